"""Erasing an account's part of the square."""

from __future__ import annotations

from sqlalchemy import delete, select

from quanzi.db.models import CommunityMember, Post
from quanzi.domain.square.comments import do_erase_comments_and_likes
from quanzi.domain.square.posts import erase_post
from quanzi.domain.tx import Tx


async def do_erase_square(tx: Tx, account_id: int) -> None:
    posts = (
        await tx.session.execute(
            select(Post).where(Post.author_id == account_id, Post.deleted_at.is_(None))
        )
    ).scalars()
    for post in list(posts):
        await erase_post(tx, post)
    await do_erase_comments_and_likes(tx, account_id)
    await tx.session.execute(
        delete(CommunityMember).where(CommunityMember.account_id == account_id)
    )
