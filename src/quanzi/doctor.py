"""`quanzi doctor`: check each part the server needs and say plainly what is wrong."""

from __future__ import annotations

from quanzi.config import Settings
from quanzi.db.engine import Database
from quanzi.db.migrate import pending
from quanzi.domain.media.storage import MediaStore

Finding = tuple[bool, str, str]


async def diagnose(settings: Settings) -> list[Finding]:
    found: list[Finding] = [(True, "configuration", "read without errors")]
    found.append(await _database(settings))
    if settings.redis_url:
        found.append(await _redis(settings.redis_url))
    else:
        found.append((True, "redis", "not configured: one process, in-process event bus"))
    found.append(_media(settings))
    found.append(_secret(settings))
    return found


async def _database(settings: Settings) -> Finding:
    db = Database(settings.database_url)
    where = settings.database_url.split("@")[-1]
    try:
        await db.ping()
        todo = await pending(db.writer)
    except Exception as exc:
        return False, "database", f"cannot reach {where}: {exc.__class__.__name__}: {exc}"
    finally:
        await db.dispose()
    if todo:
        return False, "database", f"{len(todo)} migration(s) not applied: run `quanzi migrate`"
    return True, "database", f"{db.dialect} at {where}, schema up to date"


async def _redis(url: str) -> Finding:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        return False, "redis", f"cannot reach {url}: {exc}"
    finally:
        await client.aclose()
    return True, "redis", f"reachable at {url}"


def _media(settings: Settings) -> Finding:
    try:
        MediaStore(settings.media_path).check()
    except OSError as exc:
        return False, "media directory", f"{settings.media_path} is not writable: {exc}"
    return True, "media directory", f"{settings.media_path.resolve()} is writable"


def _secret(settings: Settings) -> Finding:
    if settings.secret_key is not None:
        return True, "secret key", "set by QUANZI_SECRET_KEY"
    path = settings.data_dir / "secret_key"
    made = "generated in" if path.exists() else "will be generated in"
    return (
        True,
        "secret key",
        f"{made} {path} (set QUANZI_SECRET_KEY when running on several machines)",
    )
