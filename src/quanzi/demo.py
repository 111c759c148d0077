"""A small demo world, so that a newcomer who starts the server sees something alive.

Everything is made through domain actions, as a person would through the API: people with
avatars, friends and a label, follows, direct and group chats with history, Moments with
photos, likes and comments (where the mutual-friend rule shows: lilei sees hanmeimei's comment
on xiaoming's Moment, not alice's), and the square with topics, a repost chain, threaded
comments, likes and a community.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from quanzi.db.models import Account
from quanzi.domain.accounts.actions import (
    ProfileChanges,
    Registration,
    create_account,
    do_update_profile,
)
from quanzi.domain.accounts.sessions import NO_SESSION, Principal
from quanzi.domain.chat.conversations import do_create_group, do_open_direct
from quanzi.domain.chat.send import Draft
from quanzi.domain.contacts.actions import (
    do_accept_friend_request,
    do_create_label,
    do_follow,
    do_send_friend_request,
)
from quanzi.domain.media.actions import upload_image
from quanzi.domain.moments import actions as moments
from quanzi.domain.square import comments, communities
from quanzi.domain.square.likes import do_like_post
from quanzi.domain.square.posts import do_create_post
from quanzi.domain.square.reposts import do_repost
from quanzi.services import Services

DEMO_PASSWORD = "quanzi-demo"  # noqa: S105 (printed for newcomers on purpose)


@dataclass(frozen=True)
class Person:
    handle: str
    display_name: str
    bio: str
    region: str
    gender: str | None
    colour: tuple[int, int, int]
    role: str = "user"


PEOPLE = [
    Person("xiaoming", "小明", "喜欢摄影和爬山。", "北京", "male", (46, 125, 50), "admin"),
    Person("lilei", "李雷", "Hello, how are you? 我是李雷。", "上海", "male", (21, 101, 192)),
    Person(
        "hanmeimei", "韩梅梅", "Fine, thank you. 爱读书，爱旅行。", "广州", "female", (173, 20, 87)
    ),
    Person(
        "alice", "Alice Chen", "Backend engineer, tea drinker.", "Shenzhen", "female", (230, 81, 0)
    ),
    Person("bob", "Bob", "Runs the company book club.", "Hangzhou", None, (69, 39, 160)),
]


@dataclass(frozen=True)
class Seeded:
    handle: str
    number: int
    display_name: str


def avatar_png(letter: str, colour: tuple[int, int, int], side: int = 256) -> bytes:
    image = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=side // 2)
    box = draw.textbbox((0, 0), letter, font=font)
    x = (side - (box[2] - box[0])) / 2 - box[0]
    y = (side - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), letter, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def seed(services: Services, *, only_if_empty: bool = False) -> list[Seeded]:
    if only_if_empty:
        async with services.read() as tx:
            if await tx.session.scalar(select(func.count()).select_from(Account)):
                return []
    seeded = []
    people: dict[str, Principal] = {}
    for person in PEOPLE:
        account = await create_account(
            services,
            Registration(person.handle, DEMO_PASSWORD, person.display_name),
            role=person.role,
        )
        me = Principal(account.id, NO_SESSION, account.role)
        media, _ = await upload_image(
            services, me, avatar_png(person.handle[0].upper(), person.colour)
        )
        async with services.write() as tx:
            await do_update_profile(
                tx,
                me,
                ProfileChanges(
                    bio=person.bio, region=person.region, gender=person.gender, avatar_id=media.id
                ),
            )
        seeded.append(Seeded(account.handle, account.number, account.display_name))
        people[person.handle] = me
    classmates = await _social(services, people)
    await _square(services, people)
    await _moments(services, people, classmates)
    return seeded


# Who asks whom, with what greeting, and the remark the asker gives the asked (a remark is how
# its owner sees the other's name: never another person's name).
FRIENDS = [
    ("xiaoming", "lilei", "我是小明，上次聚会见过", "李雷"),
    ("hanmeimei", "xiaoming", "小明你好，我是梅梅", ""),
    ("lilei", "hanmeimei", "Hi Meimei, it's Li Lei", "梅梅"),
    ("alice", "bob", "Hi Bob, Alice from the book club", "Bob (book club)"),
    ("alice", "xiaoming", "你好！我是 Alice", "Xiaoming (design team)"),
]

DIRECT_CHATS = [
    (
        "xiaoming",
        "lilei",
        [
            ("lilei", "周六有空吗？"),
            ("xiaoming", "有的，去爬香山怎么样？"),
            ("lilei", "好主意！几点出发？"),
            ("xiaoming", "早上八点，地铁站见 🚇"),
        ],
    ),
    (
        "alice",
        "bob",
        [
            ("alice", "Did you finish the book?"),
            ("bob", "Almost — two chapters left."),
            ("alice", "No spoilers then! See you Thursday."),
        ],
    ),
]

GROUP = (
    "xiaoming",
    "周末爬山 ⛰️",
    ["lilei", "hanmeimei", "alice"],
    "周六 8:00 香山地铁站集合，记得带水",
    [
        ("xiaoming", "欢迎大家！这周六去香山。"),
        ("hanmeimei", "我带相机 📷"),
        ("alice", "Count me in! I'll bring snacks."),
        ("lilei", "天气预报说是晴天 ☀️"),
    ],
)


async def _social(services: Services, people: dict[str, Principal]) -> int:
    """Friends, a label, follows, two direct chats and a group chat with some history; the
    label's id is returned."""
    for asker, asked, greeting, remark in FRIENDS:
        async with services.write() as tx:
            request, friends = await do_send_friend_request(
                tx,
                people[asker],
                people[asked].account_id,
                greeting=greeting,
                remark=remark,
                label_ids=[],
            )
        if not friends:
            async with services.write() as tx:
                await do_accept_friend_request(tx, people[asked], request.id)
    async with services.write() as tx:
        label = await do_create_label(
            tx,
            people["xiaoming"],
            "同学",
            [people["lilei"].account_id, people["hanmeimei"].account_id],
        )
        for follower, followee in [("bob", "alice"), ("lilei", "xiaoming"), ("alice", "xiaoming")]:
            await do_follow(tx, people[follower], people[followee].account_id)
    for one, other, lines in DIRECT_CHATS:
        async with services.write() as tx:
            conv = await do_open_direct(tx, people[one], people[other].account_id)
        await _say(services, people, conv.id, lines)
    owner, name, members, announcement, lines = GROUP
    async with services.write() as tx:
        group = await do_create_group(
            tx,
            people[owner],
            name=name,
            member_ids=[people[m].account_id for m in members],
            announcement=announcement,
        )
    await _say(services, people, group.id, lines)
    return label.id


async def _say(
    services: Services,
    people: dict[str, Principal],
    conversation_id: int,
    lines: list[tuple[str, str]],
) -> None:
    for n, (who, text) in enumerate(lines):
        await services.sender.send(
            people[who], conversation_id, Draft(client_msg_id=f"demo-{n}", text=text)
        )


def photo_jpeg(sky: tuple[int, int, int], ground: tuple[int, int, int], side: int = 480) -> bytes:
    """A simple landscape: sky, sun and hills (no camera metadata, nothing to strip)."""
    image = Image.new("RGB", (side, side * 3 // 4), sky)
    draw = ImageDraw.Draw(image)
    height = image.height
    draw.ellipse((side * 0.7, height * 0.12, side * 0.85, height * 0.32), fill=(255, 214, 102))
    draw.polygon(
        [(0, height), (side * 0.3, height * 0.45), (side * 0.6, height), (0, height)], fill=ground
    )
    shade = tuple(max(0, c - 40) for c in ground)
    draw.polygon(
        [(side * 0.35, height), (side * 0.7, height * 0.55), (side, height * 0.8), (side, height)],
        fill=shade,
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


POSTS = [
    ("xiaoming", "周六去香山看红叶，天气特别好！#周末爬山# #北京#"),
    ("alice", "Reading Designing Data-Intensive Applications again. Still the best #books read."),
    ("lilei", "今天学会了用 Python 写异步服务器，太有意思了 #python #编程#"),
    ("hanmeimei", "推荐一本好书：《活着》。#读书# 看完久久不能平静。"),
    ("bob", "Book club this Thursday: we discuss chapter 7. @alice will bring tea. #books"),
]


async def _square(services: Services, people: dict[str, Principal]) -> None:
    """Posts with topics, a repost chain with comments, threaded comments, likes and a
    community, so the square and trending are not empty."""
    posted: dict[str, int] = {}
    for handle, text in POSTS:
        async with services.write() as tx:
            made = await do_create_post(tx, people[handle], text=text)
        posted[handle] = made.post.id
    hike = posted["xiaoming"]
    async with services.write() as tx:
        first = await do_repost(tx, people["lilei"], hike, comment="下次带上我！")
    async with services.write() as tx:
        await do_repost(tx, people["hanmeimei"], first.id, comment="我也想去")
    async with services.write() as tx:
        top = await comments.do_comment(tx, people["hanmeimei"], hike, text="照片呢？")
    async with services.write() as tx:
        await comments.do_comment(
            tx, people["xiaoming"], hike, text="发在朋友圈了 😄", reply_to_id=top.id
        )
    async with services.write() as tx:
        await comments.do_comment(
            tx, people["bob"], posted["alice"], text="Great pick!", also_repost=True
        )
    for liker, author in [
        ("lilei", "xiaoming"),
        ("hanmeimei", "xiaoming"),
        ("alice", "xiaoming"),
        ("bob", "alice"),
        ("xiaoming", "hanmeimei"),
        ("alice", "bob"),
    ]:
        async with services.write() as tx:
            await do_like_post(tx, people[liker], posted[author])
    async with services.write() as tx:
        club = await communities.do_create_community(
            tx, people["bob"], name="读书会 Book club", description="每周一本书 · A book a week"
        )
    for member in ("alice", "hanmeimei"):
        async with services.write() as tx:
            await communities.do_join(tx, people[member], club.id)
    async with services.write() as tx:
        await do_create_post(
            tx,
            people["hanmeimei"],
            text="这个月大家想读什么？ #读书#",
            community_id=club.id,
        )


MOMENTS = [
    # author, text, location, and the (sky, ground) colours of a photo, if any
    (
        "xiaoming",
        "香山的红叶 🍁 和大家一起爬山真开心",
        "北京·香山",
        ((135, 190, 235), (190, 60, 40)),
    ),
    ("hanmeimei", "周末在家读书，窗外下着雨 ☔", "广州", None),
    ("alice", "First snow in the mountains this year.", "", ((200, 215, 230), (240, 240, 245))),
    ("lilei", "新买的键盘到了，打字声音很好听 ⌨️", "上海", None),
]


async def _moments(services: Services, people: dict[str, Principal], classmates: int) -> None:
    """Moments with photos, likes and comments. On xiaoming's Moment, hanmeimei, lilei and
    alice all comment: lilei and hanmeimei (friends of each other) see each other's comments,
    and neither sees alice's, who is friends with xiaoming only."""
    posted: dict[str, int] = {}
    for handle, text, location, colours in MOMENTS:
        media_ids: list[int] = []
        if colours is not None:
            media, _ = await upload_image(services, people[handle], photo_jpeg(*colours))
            media_ids.append(media.id)
        async with services.write() as tx:
            moment = await moments.do_post_moment(
                tx,
                people[handle],
                text=text,
                media_ids=media_ids,
                location=location,
                audience=moments.Audience("friends"),
            )
        posted[handle] = moment.id
    hike = posted["xiaoming"]
    for who in ("lilei", "hanmeimei", "alice"):
        async with services.write() as tx:
            await moments.do_like(tx, people[who], hike)
    said: dict[str, int] = {}
    for who, text in [
        ("hanmeimei", "好美！下次叫上我"),
        ("alice", "Beautiful colours!"),
        ("lilei", "第一张最好看"),
    ]:
        async with services.write() as tx:
            comment = await moments.do_comment(tx, people[who], hike, text=text)
        said[who] = comment.id
    async with services.write() as tx:
        await moments.do_comment(
            tx, people["xiaoming"], hike, text="一定！", reply_to_id=said["hanmeimei"]
        )
    async with services.write() as tx:
        await moments.do_like(tx, people["bob"], posted["alice"])
    async with services.write() as tx:
        await moments.do_comment(tx, people["xiaoming"], posted["hanmeimei"], text="读的什么书？")
    async with services.write() as tx:
        await moments.do_post_moment(
            tx,
            people["xiaoming"],
            text="只给同学看：下周同学聚会，地点待定。",
            media_ids=[],
            location="",
            audience=moments.Audience("include", label_ids=[classmates]),
        )
