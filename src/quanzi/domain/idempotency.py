"""Creates that may be retried: the one way a door makes a create idempotent.

The door states the key (`Idempotency`, made from the request's `Idempotency-Key` and its
body) and the action; `create_once` runs the action in a write transaction and stores the key
with the id of what it created, under the unique (account, key) constraint, in that same
transaction. A retry with the same key and the same request creates nothing and answers with
the original object's id; the same key with a different request is refused (422,
`idempotency_key_reused`), so a client bug cannot pass unnoticed. Two retries at once: the
second waits on the key's unique index, then replays the first.

What is returned is what the action returned (`Created.made`), or, for a replay, nothing but
the original id: a door renders by id, which checks again that the viewer may still see it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import IdempotencyKey
from quanzi.domain.tx import Transactions, Tx
from quanzi.errors import Invalid
from quanzi.kit.ids import new_id

MAX_KEY_LENGTH = 255


class HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=HasId)


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    fingerprint: str
    account_id: int = 0  # 0: a request made before logging in (registration)

    @classmethod
    def of(cls, key: str, request_parts: list[bytes], account_id: int = 0) -> Idempotency:
        digest = hashlib.sha256()
        for part in request_parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return cls(key, digest.hexdigest(), account_id)


@dataclass(frozen=True, slots=True)
class Created(Generic[R]):
    """The outcome of a create that may have been a retry."""

    id: int  # of the object created, now or by the original request
    made: R | None  # what the action returned; None when this replays an earlier request

    @property
    def replayed(self) -> bool:
        return self.made is None


async def create_once(
    db: Transactions,
    idem: Idempotency | None,
    kind: str,
    create: Callable[[Tx], Awaitable[R]],
) -> Created[R]:
    """Run `create` in a write transaction, unless `idem` names an earlier request of the same
    `kind` (post, moment, account …): then create nothing and return that request's object id.
    Without a key, every request creates."""
    if idem is None:
        async with db.write() as tx:
            made = await create(tx)
        return Created(made.id, made)
    for _attempt in range(2):
        try:
            async with db.write() as tx:
                existing = await _find(tx, idem, kind)
                if existing is not None:
                    return Created(existing, None)
                # Claim the key before creating: a concurrent request with the same key waits
                # on this row's unique index, then fails here and replays ours.
                claim = IdempotencyKey(
                    id=new_id(),
                    account_id=idem.account_id,
                    key=idem.key,
                    fingerprint=idem.fingerprint,
                    object_type=kind,
                    object_id=0,
                    created_at=tx.now,
                )
                tx.session.add(claim)
                await tx.session.flush()
                made = await create(tx)
                claim.object_id = made.id
                await tx.session.flush()
            return Created(made.id, made)
        except IntegrityError:
            continue  # the concurrent request committed first: replay it
    async with db.read() as tx:
        existing = await _find(tx, idem, kind)
    if existing is None:
        raise Invalid("The request conflicted with another one; retry it.", code="conflict")
    return Created(existing, None)


async def _find(tx: Tx, idem: Idempotency, kind: str) -> int | None:
    row = (
        await tx.session.execute(
            select(
                IdempotencyKey.fingerprint, IdempotencyKey.object_type, IdempotencyKey.object_id
            ).where(IdempotencyKey.account_id == idem.account_id, IdempotencyKey.key == idem.key)
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint or row.object_type != kind:
        raise Invalid(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    return int(row.object_id)
