"""Topic groups ("communities"): anyone may read them; members post into them; the owner and
moderators remove posts that do not belong."""

from __future__ import annotations

from sqlalchemy import and_, select, update

from quanzi.db.models import Community, CommunityMember, Post
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.checks import text_field
from quanzi.domain.square.queries import page_of, visible
from quanzi.domain.square.shapes import CommunityRead, PostFields
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, NotFound
from quanzi.kit.ids import new_id
from quanzi.kit.pagination import Page, Window
from quanzi.kit.posttext import topic_key

NAME_MAX = 30
DESCRIPTION_MAX = 500


async def access_community(tx: Tx, community_id: int) -> Community:
    community = await tx.session.get(Community, community_id)
    if community is None:
        raise NotFound("No such community.")
    return community


async def my_role(tx: Tx, viewer: Principal | None, community_id: int) -> str | None:
    if viewer is None:
        return None
    member = await tx.session.get(CommunityMember, (community_id, viewer.account_id))
    return member.role if member else None


async def do_create_community(
    tx: Tx, viewer: Principal, *, name: str, description: str = ""
) -> Community:
    name = text_field(
        name,
        field="name",
        what="A community name",
        code="invalid_name",
        min_len=1,
        max_len=NAME_MAX,
    )
    description = text_field(
        description,
        field="description",
        what="A description",
        code="invalid_description",
        max_len=DESCRIPTION_MAX,
        lines=True,
    )
    key = topic_key(name)
    if await tx.session.scalar(select(Community.id).where(Community.key == key)) is not None:
        raise Conflict("A community with that name exists.", code="name_taken")
    community = Community(
        id=new_id(),
        name=name,
        key=key,
        description=description,
        owner_id=viewer.account_id,
        member_count=1,
        post_count=0,
        created_at=tx.now,
    )
    tx.session.add(community)
    await tx.session.flush()
    tx.session.add(
        CommunityMember(
            community_id=community.id, account_id=viewer.account_id, role="owner", joined_at=tx.now
        )
    )
    await tx.session.flush()
    return community


async def do_join(tx: Tx, viewer: Principal, community_id: int) -> Community:
    community = await access_community(tx, community_id)
    if await tx.session.get(CommunityMember, (community.id, viewer.account_id)) is None:
        tx.session.add(
            CommunityMember(
                community_id=community.id,
                account_id=viewer.account_id,
                role="member",
                joined_at=tx.now,
            )
        )
        community.member_count += 1
        await tx.session.flush()
    return community


async def do_leave(tx: Tx, viewer: Principal, community_id: int) -> None:
    community = await access_community(tx, community_id)
    member = await tx.session.get(CommunityMember, (community.id, viewer.account_id))
    if member is None:
        raise NotFound("You are not a member.")
    if member.role == "owner":
        raise Conflict("The owner cannot leave their community.", code="owner_cannot_leave")
    await tx.session.delete(member)
    community.member_count -= 1


async def do_set_moderator(
    tx: Tx, viewer: Principal, community_id: int, account_id: int, moderator: bool
) -> None:
    community = await access_community(tx, community_id)
    if community.owner_id != viewer.account_id:
        raise Forbidden("Only the owner appoints moderators.", code="not_the_owner")
    member = await tx.session.get(CommunityMember, (community.id, account_id))
    if member is None or member.role == "owner":
        raise NotFound("No such member.")
    member.role = "moderator" if moderator else "member"


async def do_remove_post(tx: Tx, viewer: Principal, community_id: int, post_id: int) -> None:
    """Take a post out of the community (it stays on its author's page)."""
    community = await access_community(tx, community_id)
    role = await my_role(tx, viewer, community.id)
    if role not in ("owner", "moderator"):
        raise Forbidden("Only the owner and moderators remove posts.", code="not_a_moderator")
    post = (
        await tx.session.execute(
            select(Post).where(
                Post.id == post_id,
                Post.community_id == community.id,
                Post.removed_from_community.is_(False),
                visible(viewer),
            )
        )
    ).scalar_one_or_none()
    if post is None:  # missing, elsewhere, deleted, or hidden from the moderator alike
        raise NotFound("No such post in this community.")
    post.removed_from_community = True
    await tx.session.execute(
        update(Community)
        .where(Community.id == community.id)
        .values(post_count=Community.post_count - 1)
    )


async def community_timeline(
    tx: Tx, viewer: Principal | None, community_id: int, window: Window
) -> Page[PostFields]:
    community = await access_community(tx, community_id)
    query = select(Post).where(
        Post.community_id == community.id,
        Post.removed_from_community.is_(False),
        visible(viewer),
    )
    return await page_of(tx, query, window)


async def list_members(tx: Tx, community_id: int, limit: int = 200) -> list[CommunityMember]:
    await access_community(tx, community_id)
    rows = await tx.session.execute(
        select(CommunityMember)
        .where(CommunityMember.community_id == community_id)
        .order_by(CommunityMember.joined_at)
        .limit(limit)
    )
    return list(rows.scalars())


async def list_communities(
    tx: Tx, viewer: Principal, *, mine: bool, limit: int = 100
) -> list[CommunityRead]:
    """Communities with the viewer's role in each: those they belong to (the latest joined
    first), or all of them (the biggest first)."""
    query = select(Community, CommunityMember.role).outerjoin(
        CommunityMember,
        and_(
            CommunityMember.community_id == Community.id,
            CommunityMember.account_id == viewer.account_id,
        ),
    )
    if mine:
        query = query.where(CommunityMember.account_id.is_not(None)).order_by(
            CommunityMember.joined_at.desc(), Community.id.desc()
        )
    else:
        query = query.order_by(Community.member_count.desc(), Community.id.desc())
    rows = await tx.session.execute(query.limit(limit))
    return [CommunityRead.of(community, role) for community, role in rows.all()]
