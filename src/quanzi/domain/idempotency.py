"""Creates that may be retried: the Idempotency-Key is stored in the same transaction as the
object it created. A retry with the same key and the same request gets that object back; the
same key with a different request is refused (422), so a client bug cannot pass unnoticed."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import IdempotencyKey
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid
from quanzi.kit.ids import new_id

if TYPE_CHECKING:
    from quanzi.services import Services

MAX_KEY_LENGTH = 255


class HasId(Protocol):
    id: int


T = TypeVar("T", bound=HasId)


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


async def _find(tx: Tx, idem: Idempotency, object_type: str) -> int | None:
    row = (
        await tx.session.execute(
            select(
                IdempotencyKey.fingerprint, IdempotencyKey.object_type, IdempotencyKey.object_id
            ).where(IdempotencyKey.account_id == idem.account_id, IdempotencyKey.key == idem.key)
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint or row.object_type != object_type:
        raise Invalid(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    return int(row.object_id)


async def create_once(
    services: Services,
    idem: Idempotency | None,
    object_type: str,
    create: Callable[[Tx], Awaitable[T]],
    load: Callable[[Tx, int], Awaitable[T]],
) -> tuple[T, bool]:
    """Run `create` in a write transaction unless `idem` names an earlier one.

    Returns the object and whether it is a replay of an earlier create.
    """
    if idem is None:
        async with services.write() as tx:
            return await create(tx), False
    for _attempt in range(2):
        try:
            async with services.write() as tx:
                existing = await _find(tx, idem, object_type)
                if existing is not None:
                    return await load(tx, existing), True
                # Claim the key before creating: a concurrent request with the same key waits
                # on this row's unique index, then fails here and replays ours.
                claim = IdempotencyKey(
                    id=new_id(),
                    account_id=idem.account_id,
                    key=idem.key,
                    fingerprint=idem.fingerprint,
                    object_type=object_type,
                    object_id=0,
                    created_at=tx.now,
                )
                tx.session.add(claim)
                await tx.session.flush()
                obj = await create(tx)
                claim.object_id = obj.id
                await tx.session.flush()
                return obj, False
        except IntegrityError:
            continue  # the concurrent request committed first: replay it
    async with services.read() as tx:
        existing = await _find(tx, idem, object_type)
        if existing is None:
            raise Invalid("The request conflicted with another one; retry it.", code="conflict")
        return await load(tx, existing), True
