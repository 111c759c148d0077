"""A small demo world, so that a newcomer who starts the server sees something alive.

Everything is made through domain actions, as a person would through the API. Later areas
(friends, chats, Moments, the square) add their part of the world here.
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
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.actions import do_create_group, do_open_direct
from quanzi.domain.chat.send import Draft
from quanzi.domain.contacts.actions import (
    do_accept_friend_request,
    do_create_label,
    do_follow,
    do_send_friend_request,
)
from quanzi.domain.media.actions import upload_image
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
        me = Principal(account.id, 0, account.role)
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
    await _social(services, people)
    return seeded


FRIENDS = [
    ("xiaoming", "lilei", "我是小明，上次聚会见过", "李雷"),
    ("hanmeimei", "xiaoming", "小明你好，我是梅梅", ""),
    ("lilei", "hanmeimei", "Hi Meimei, it's Li Lei", "梅梅"),
    ("alice", "bob", "Hi Bob, Alice from the book club", "Bob (book club)"),
    ("alice", "xiaoming", "你好！我是 Alice", "Alice"),
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


async def _social(services: Services, people: dict[str, Principal]) -> None:
    """Friends, a label, follows, two direct chats and a group chat with some history."""
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
        await do_create_label(
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
