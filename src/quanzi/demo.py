"""A small demo world, so that a newcomer who starts the server sees something alive.

Everything is made through domain actions, as a person would through the API: people with
avatars, friends and a label, follows, direct and group chats with history (pictures in the
group), Moments with photos (grids of 1, 2, 3, 4 and 9, of every shape), likes and comments
(where the mutual-friend rule shows: lilei sees hanmeimei's comment on xiaoming's Moment, not
alice's), and the square with photos, topics, a repost chain, threaded comments, likes and a
community.
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

PICTURE = "picture:"  # a line of a chat that is a picture of this shape

GROUP = (
    "xiaoming",
    "周末爬山 ⛰️",
    ["lilei", "hanmeimei", "alice"],
    "周六 8:00 香山地铁站集合，记得带水",
    [
        ("xiaoming", "欢迎大家！这周六去香山。"),
        ("hanmeimei", "我带相机 📷"),
        ("alice", "Count me in! I'll bring snacks."),
        ("hanmeimei", PICTURE + "portrait"),
        ("alice", PICTURE + "wide"),
        ("xiaoming", PICTURE + "square"),
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
        draft = Draft(client_msg_id=f"demo-{n}", text=text)
        if text.startswith(PICTURE):
            [media_id] = await _photos(services, people[who], [(text[len(PICTURE) :], "")], n)
            draft = Draft(client_msg_id=f"demo-{n}", media_id=media_id)
        await services.sender.send(people[who], conversation_id, draft)


SHAPES = {  # width and height of the demo's photos: phones take all of these
    "landscape": (480, 360),
    "portrait": (360, 480),
    "square": (420, 420),
    "wide": (720, 240),  # a panorama: cropped to 2.5:1 when shown alone
    "tall": (240, 600),
}


def photo_jpeg(
    sky: tuple[int, int, int], ground: tuple[int, int, int], shape: str = "landscape"
) -> bytes:
    """A simple landscape: sky, sun and hills (no camera metadata, nothing to strip)."""
    width, height = SHAPES[shape]
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    sun = min(width, height) * 0.2
    draw.ellipse(
        (width * 0.7, height * 0.12, width * 0.7 + sun, height * 0.12 + sun), fill=(255, 214, 102)
    )
    draw.polygon(
        [(0, height), (width * 0.3, height * 0.45), (width * 0.6, height), (0, height)], fill=ground
    )
    shade = tuple(max(0, c - 40) for c in ground)
    draw.polygon(
        [
            (width * 0.35, height),
            (width * 0.7, height * 0.55),
            (width, height * 0.8),
            (width, height),
        ],
        fill=shade,
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


# Skies and grounds of the demo's photos, taken in turn
PALETTE = [
    ((135, 190, 235), (190, 60, 40)),
    ((250, 200, 150), (120, 80, 60)),
    ((200, 215, 230), (240, 240, 245)),
    ((90, 120, 200), (40, 120, 60)),
    ((255, 170, 120), (90, 60, 110)),
    ((170, 220, 240), (210, 180, 90)),
    ((60, 70, 120), (30, 40, 60)),
    ((220, 235, 250), (70, 150, 90)),
    ((240, 150, 160), (150, 50, 70)),
]
# A photo: (shape, alt text or ""): the author's alt text is the viewer's caption.
Photo = tuple[str, str]
HIKE = [
    ("landscape", "香山山顶，红叶满山"),
    ("portrait", ""),
    ("square", ""),
    ("wide", "山顶的全景 · The view from the top"),
    ("tall", ""),
    ("landscape", ""),
    ("square", ""),
    ("portrait", ""),
    ("landscape", ""),
]


async def _photos(
    services: Services, who: Principal, photos: list[Photo], start: int = 0
) -> list[int]:
    """Upload the demo photos of one Moment, post or message; their ids."""
    ids = []
    for n, (shape, alt) in enumerate(photos):
        sky, ground = PALETTE[(start + n) % len(PALETTE)]
        media, _ = await upload_image(
            services, who, photo_jpeg(sky, ground, shape), description=alt or None
        )
        ids.append(media.id)
    return ids


POSTS: list[tuple[str, str, list[Photo]]] = [
    ("xiaoming", "周六去香山看红叶，天气特别好！#周末爬山# #北京#", HIKE),
    (
        "alice",
        "Reading Designing Data-Intensive Applications again. Still the best #books read.",
        [("portrait", "The book on my desk, next to a cup of tea")],
    ),
    (
        "lilei",
        "今天学会了用 Python 写异步服务器，太有意思了 #python #编程#",
        [("landscape", ""), ("square", "")],
    ),
    (
        "hanmeimei",
        "推荐一本好书：《活着》。#读书# 看完久久不能平静。",
        [("portrait", ""), ("landscape", ""), ("square", ""), ("tall", "")],
    ),
    (
        "bob",
        "Book club this Thursday: we discuss chapter 7. @alice will bring tea. #books",
        [("square", ""), ("wide", ""), ("portrait", "")],
    ),
]


async def _square(services: Services, people: dict[str, Principal]) -> None:
    """Posts with topics, a repost chain with comments, threaded comments, likes and a
    community, so the square and trending are not empty."""
    posted: dict[str, int] = {}
    for n, (handle, text, photos) in enumerate(POSTS):
        media_ids = await _photos(services, people[handle], photos, start=n)
        async with services.write() as tx:
            made = await do_create_post(tx, people[handle], text=text, media_ids=media_ids)
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


MOMENTS: list[tuple[str, str, str, list[Photo]]] = [
    # author, text, location, photos: one Moment of each size of grid (1, 2, 3, 4 and 9)
    ("xiaoming", "香山的红叶 🍁 和大家一起爬山真开心", "北京·香山", HIKE),
    ("hanmeimei", "周末在家读书，窗外下着雨 ☔", "广州", [("portrait", ""), ("square", "")]),
    ("alice", "First snow in the mountains this year.", "", [("wide", "Snow on the ridge")]),
    (
        "lilei",
        "新买的键盘到了，打字声音很好听 ⌨️",
        "上海",
        [("square", ""), ("landscape", ""), ("portrait", ""), ("landscape", "")],
    ),
    (
        "bob",
        "Three places from this week's walks.",
        "",
        [("tall", ""), ("square", ""), ("wide", "")],
    ),
    ("alice", "Tea garden in the morning.", "Hangzhou", [("portrait", "Rows of tea bushes")]),
]


async def _moments(services: Services, people: dict[str, Principal], classmates: int) -> None:
    """Moments with photos, likes and comments. On xiaoming's Moment, hanmeimei, lilei and
    alice all comment: lilei and hanmeimei (friends of each other) see each other's comments,
    and neither sees alice's, who is friends with xiaoming only."""
    posted: dict[str, int] = {}
    for n, (handle, text, location, photos) in enumerate(MOMENTS):
        media_ids = await _photos(services, people[handle], photos, start=n)
        async with services.write() as tx:
            moment = await moments.do_post_moment(
                tx,
                people[handle],
                text=text,
                media_ids=media_ids,
                location=location,
                audience=moments.Audience("friends"),
            )
        posted.setdefault(handle, moment.id)
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
