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
    return seeded
