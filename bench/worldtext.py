"""The texts of the generated world (bench/world.py): sentences in Chinese and English from
weighted word lists, and the work done in the process pool (writing post texts and cutting
them into words with jieba, which is the slow part of making the world).

Word frequencies decide what search costs, so they follow real text: every slot of a sentence
draws from a long list with a Zipf-like head, so that the commonest content words are in a few
percent of the posts of their language and most words in far fewer. Chinese slots mix everyday
words with the words of jieba's own dictionary of the same kind, weighted by its frequencies
(real counts from a Chinese corpus); English slots use long lists weighted 1 / (rank + 30).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


class Vocab:
    """Words with weights, drawn by bisection on the running total."""

    def __init__(self, weighted: Sequence[tuple[str, float]]) -> None:
        self.words = [w for w, _ in weighted]
        self.weights = [weight for _, weight in weighted]
        self.totals: list[float] = []
        total = 0.0
        for _, weight in weighted:
            total += weight
            self.totals.append(total)

    def pick(self, rng: random.Random) -> str:
        return self.words[bisect_left(self.totals, rng.random() * self.totals[-1])]

    @classmethod
    def ranked(cls, words: Sequence[str], offset: float = 30.0) -> Vocab:
        """Weights 1 / (rank + offset): a Zipf-Mandelbrot head, flattened by the offset."""
        return cls([(w, 1.0 / (rank + offset)) for rank, w in enumerate(words, start=1)])

    @classmethod
    def mixed(
        cls, everyday: Sequence[str], corpus: Sequence[tuple[str, float]], share: float = 0.35
    ) -> Vocab:
        """A `share` of the draws from the everyday words (ranked), the rest from corpus
        words by their frequency."""
        head = cls.ranked(everyday)
        head_total = head.totals[-1]
        corpus_total = sum(f for _, f in corpus) or 1.0
        return cls(
            [
                (w, share * weight / head_total)
                for w, weight in zip(head.words, head.weights, strict=True)
            ]
            + [(w, (1 - share) * f / corpus_total) for w, f in corpus]
        )


# Everyday words (the ones searched for by bench/search.py come early in their lists)

ZH_TIME = _w("今天 昨天 周末 早上 晚上 中午 下午 刚才 最近 明天 今年 去年 春节 假期 平时")
ZH_PEOPLE = _w("朋友 同学 同事 家人 室友 闺蜜 兄弟 爸妈 孩子 老婆 老公 老板 老师 邻居 网友 客户")
ZH_PLACE = _w(
    "公园 公司 学校 超市 商场 地铁 机场 图书馆 咖啡馆 餐厅 健身房 海边 老家 "
    "上海 北京 广州 深圳 杭州 成都 武汉 西安 南京 重庆 苏州 厦门"
)
ZH_NOUN = _w(
    "天气 咖啡 火锅 电影 微信 音乐 手机 照片 奶茶 视频 游戏 小说 新闻 工作 项目 会议 "
    "考试 比赛 篮球 足球 晚饭 早餐 午饭 蛋糕 水果 红包 快递 外卖 相机 衣服 猫咪 小狗 "
    "花园 阳光 雨伞 电脑 书店 演出 展览 风景 微博 支付宝 朋友圈 地图 演唱会 高铁 航班 "
    "房子 工资 周报 代码 电视剧 综艺 烧烤 面条 饺子 包子 米饭 啤酒 红酒 果汁 书包"
)
ZH_VERB = _w(
    "喜欢 推荐 分享 看 买 拍 吃 喝 玩 学习 讨论 准备 完成 等 收到 发现 参加 打卡 转发 "
    "收藏 下载 预订 退货 排队 加班 逛 听 写 修 做"
)
ZH_ADJ = _w(
    "开心 不错 好看 好吃 好玩 有趣 累 忙 舒服 漂亮 热闹 安静 方便 便宜 美好 精彩 温暖 "
    "无聊 贵 冷 热 难忘 可爱 难过 激动"
)
ZH_WEATHER = _w("下雨 晴天 下雪 阴天 大风 很热 很冷 降温 起雾 闷热")
ZH_TEMPLATES = (
    "{time}{place}的{noun}真{adj}",
    "{time}和{people}一起去{place}{verb}{noun}",
    "{people}给我{verb}了一个{noun}，{adj}",
    "用{noun}{verb}了{noun2}，太{adj}了",
    "在{place}等{people}，顺便{verb}{noun}",
    "{noun}很{adj}，{noun2}也{adj2}",
    "{time}的{noun}有点{adj}",
    "终于{verb}了{noun}，{adj}",
    "{place}{time}{weather}，记得带{noun}",
    "{people}在{place}{verb}{noun}和{noun2}",
    "{time}{weather}，和{people}在家{verb}{noun}",
    "关于{noun}的{noun2}，{people}觉得很{adj}",
)
ZH_ENDS = ("。", "！", "～", "", "。", "…")

EN_TIME = (
    "today",
    "yesterday",
    "this weekend",
    "this morning",
    "last night",
    "tonight",
    "after work",
    "on Sunday",
    "this summer",
    "at lunch",
)
EN_PEOPLE = (
    "friends",
    "my sister",
    "the team",
    "colleagues",
    "my parents",
    "the kids",
    "my roommate",
    "old classmates",
    "the neighbours",
    "my brother",
)
EN_PLACE = (
    "the park",
    "the office",
    "downtown",
    "the beach",
    "the library",
    "the gym",
    "a new cafe",
    "the market",
    "Shanghai",
    "Beijing",
    "Shenzhen",
    "London",
    "Berlin",
    "the station",
    "the mall",
    "the lake",
)
EN_NOUN = _w(
    "time people day year way thing world life work home coffee weather week night house "
    "game music book friend city family school money story water room morning phone team "
    "movie dinner food idea car road song photo trip party rain train lunch breakfast tea "
    "sunset garden dog cat bike hike run concert pizza noodles cake ticket shop weekend "
    "holiday birthday news show picture video camera laptop project meeting code python "
    "office street river sea snow beach park hotel flight bus job boss deadline exam class "
    "teacher kid baby doctor health tree flower window door table chair bed kitchen "
    "breakfast market price plan question answer problem result market art film season "
    "summer winter spring autumn light sound voice heart mind body face hair hand eye "
    "smile dream plan journey walk view mountain island bridge tower museum gallery stage "
    "band album guitar piano drum game match goal score player fan league cup race medal "
    "bread rice soup salad burger taco sushi curry wine beer juice cookie chocolate "
    "icecream sandwich apple orange banana grape lemon tomato potato onion garlic pepper"
)
EN_VERB = _w(
    "made went took saw got found tried enjoyed finished started watched cooked shared "
    "missed planned loved visited opened played walked talked called asked waited bought "
    "sold read wrote heard met ran lost won built fixed cleaned painted learned taught "
    "booked ordered tasted baked grew picked caught drove rode climbed swam danced sang"
)
EN_ADJ = _w(
    "good new great little old big long best nice beautiful lovely busy quiet amazing "
    "perfect cozy sunny cold warm fun delicious strange happy sad late early hard easy "
    "short tiny huge bright dark fresh sweet spicy cheap expensive crowded empty lazy "
    "calm wild funny boring loud clean"
)
EN_TEMPLATES = (
    "{Time} I {verb} a {adj} {noun} with {people}",
    "The {noun} at {place} was {adj}",
    "{Time} was {adj}: {noun} and {noun2} at {place}",
    "Can't believe how {adj} the {noun} is {time}",
    "Finally {verb} the {noun}",
    "Anyone up for {noun} at {place} {time}?",
    "{Time} we {verb} {noun} and {noun2} with {people}",
    "Such a {adj} {noun} {time}",
    "My {noun} is {adj} and the {noun2} is {adj2}",
    "{People} {verb} the {noun} at {place}",
)
EN_ENDS = (".", "!", "", ".", "...")

ZH_TOPICS = (
    *_w(
        "周末去哪儿 今日天气 美食分享 旅行日记 读书笔记 健身打卡 加班日常 萌宠日常 "
        "电影推荐 考研加油 春节回家 毕业季 音乐分享 摄影 咖啡时间 火锅爱好者 城市夜景 "
        "早安 晚安 打工人 追剧 秋天的第一杯奶茶 跑步 露营 周末愉快"
    ),
    *(f"{city}{what}" for city in ZH_PLACE[13:] for what in ("美食", "天气", "生活")),
)
EN_TOPICS = (
    *_w(
        "weekend coffee python travel photography running books music foodie cats dogs "
        "sunset gym worklife movies rainyday hiking gaming startup design"
    ),
    *(f"{city.lower()}{what}" for city in EN_PLACE[8:13] for what in ("food", "life")),
)
HOT_ZH = ("演唱会抢票", "新品发布会", "台风来了", "高考加油", "春晚")
HOT_EN = ("launchday", "worldcup", "eclipse", "finals", "breaking")

REPOST_ZH = ("转发微博", "好文", "哈哈哈", "说得对", "mark", "涨知识了", "")
REPOST_EN = ("Worth reading", "So true", "ha", "This!", "")
COMMENT_ZH = ("好看！", "哈哈哈", "羡慕", "在哪里？", "太棒了", "下次带我", "赞", "好久不见")
COMMENT_EN = ("Nice!", "Looks great", "Where is this?", "Miss you", "Haha", "Lovely")
REPLY_ZH = ("谢谢～", "下次一起", "哈哈是的", "在老地方")
REPLY_EN = ("Thanks!", "Next time!", "Yes :)")
LOCATIONS = ("上海·外滩", "北京·三里屯", "杭州·西湖", "成都·春熙路", "深圳·南山", "London", "")
GREETINGS = ("你好，我是同事", "Hi, it's me", "我是你大学同学", "加个好友吧", "")
LABEL_NAMES = ("家人", "同事", "同学", "好友", "Family", "Work", "Gym")

SURNAMES = tuple(
    zip(
        _w("张 王 李 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 林 何"),
        _w("zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo lin he"),
        strict=True,
    )
)
GIVEN = tuple(
    zip(
        _w("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 桂英 晓东 子涵"),
        _w(
            "wei fang na min jing li qiang lei jun yang yong yan jie tao ming chao xiuying "
            "guiying xiaodong zihan"
        ),
        strict=True,
    )
)
FIRST = _w("Alice Bob Carol David Emma Frank Grace Henry Ivy Jack Kate Leo Mia Noah Olivia Paul")
LAST = _w("Smith Jones Brown Miller Wilson Taylor Clark Lewis Walker Young King Green")


@cache
def _jieba_words() -> dict[str, list[tuple[str, float]]]:
    """Words of jieba's dictionary by kind (two or three characters), with their counts."""
    import jieba

    kinds = {"n": "noun", "v": "verb", "a": "adj", "ns": "place", "t": "time"}
    found: dict[str, list[tuple[str, float]]] = {kind: [] for kind in kinds.values()}
    with jieba.dt.get_dict_file() as raw:
        for line in raw:
            word, freq, pos = line.decode("utf-8").split()
            kind = kinds.get(pos)
            if kind is not None and 2 <= len(word) <= 3 and int(freq) >= 20:
                found[kind].append((word, float(freq)))
    return found


@cache
def vocabularies() -> dict[str, Vocab]:
    corpus = _jieba_words()
    return {
        "zh_time": Vocab.mixed(ZH_TIME, corpus["time"]),
        "zh_people": Vocab.ranked(ZH_PEOPLE),
        "zh_place": Vocab.mixed(ZH_PLACE, corpus["place"]),
        "zh_noun": Vocab.mixed(ZH_NOUN, corpus["noun"]),
        "zh_verb": Vocab.mixed(ZH_VERB, corpus["verb"]),
        "zh_adj": Vocab.mixed(ZH_ADJ, corpus["adj"]),
        "zh_weather": Vocab.ranked(ZH_WEATHER),
        "en_time": Vocab.ranked(EN_TIME),
        "en_people": Vocab.ranked(EN_PEOPLE),
        "en_place": Vocab.ranked(EN_PLACE),
        "en_noun": Vocab.ranked(EN_NOUN),
        "en_verb": Vocab.ranked(EN_VERB),
        "en_adj": Vocab.ranked(EN_ADJ),
        "zh_topic": Vocab.ranked(ZH_TOPICS, 2.0),
        "en_topic": Vocab.ranked(EN_TOPICS, 2.0),
    }


class Words:
    """Sentences for one random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.v = vocabularies()

    def zh(self) -> str:
        v, rng = self.v, self.rng
        return rng.choice(ZH_TEMPLATES).format(
            time=v["zh_time"].pick(rng),
            people=v["zh_people"].pick(rng),
            place=v["zh_place"].pick(rng),
            noun=v["zh_noun"].pick(rng),
            noun2=v["zh_noun"].pick(rng),
            verb=v["zh_verb"].pick(rng),
            adj=v["zh_adj"].pick(rng),
            adj2=v["zh_adj"].pick(rng),
            weather=v["zh_weather"].pick(rng),
        )

    def en(self) -> str:
        v, rng = self.v, self.rng
        when, who = v["en_time"].pick(rng), v["en_people"].pick(rng)
        return rng.choice(EN_TEMPLATES).format(
            time=when,
            Time=when[0].upper() + when[1:],
            people=who,
            People=who[0].upper() + who[1:],
            place=v["en_place"].pick(rng),
            noun=v["en_noun"].pick(rng),
            noun2=v["en_noun"].pick(rng),
            verb=v["en_verb"].pick(rng),
            adj=v["en_adj"].pick(rng),
            adj2=v["en_adj"].pick(rng),
        )

    def text(self, lang: str, sentences: int) -> str:
        if lang == "zh":
            return "，".join(self.zh() for _ in range(sentences)) + self.rng.choice(ZH_ENDS)
        return ". ".join(self.en() for _ in range(sentences)) + self.rng.choice(EN_ENDS)

    def topic(self, lang: str) -> str:
        return self.v["zh_topic" if lang == "zh" else "en_topic"].pick(self.rng)


# Work done in the process pool


def pool_init() -> None:
    from quanzi.kit.words import words

    words("预热")  # loads jieba's dictionary once per worker
    vocabularies()


PostPlan = tuple[int, str, str, str | None, tuple[str, ...]]


def post_texts(chunk: tuple[int, list[PostPlan]]) -> list[tuple[str, str, list[str], list[str]]]:
    """(text, search_tokens, topics, mentions) for each (index, kind, lang, topic, handles):
    kind "o" an original post, "r" a repost's comment, "d" a deleted post (nothing left).
    The texts are cleaned and cut by the project's own functions, as posting does."""
    from quanzi.kit import posttext
    from quanzi.kit.text import clean_text
    from quanzi.kit.words import search_tokens

    seed, items = chunk
    out = []
    for index, kind, lang, topic, handles in items:
        if kind == "d":
            out.append(("", "", [], []))
            continue
        rng = random.Random(seed * 1_000_003 + index)
        if kind == "r":
            text = rng.choice(REPOST_ZH if lang == "zh" else REPOST_EN)
        else:
            text = Words(rng).text(lang, rng.choice((1, 1, 2, 2, 3)))
            if topic is not None:
                tag = f"#{topic}#" if lang == "zh" else f"#{topic}"
                text = f"{tag} {text}" if rng.random() < 0.5 else f"{text} {tag}"
            for handle in handles:
                text = f"@{handle} {text}" if rng.random() < 0.5 else f"{text} @{handle}"
        text = clean_text(text)
        out.append((text, search_tokens(text), posttext.topics(text), posttext.mentions(text)))
    return out


def name_tokens(chunk: list[tuple[str, str]]) -> list[str]:
    from quanzi.kit.words import name_tokens

    return [name_tokens(handle, name) for handle, name in chunk]
