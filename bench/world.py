"""The world that the timeline and search benchmarks read: `python -m bench world [--quick]`.

A SQLite database made by the project's own migrations (`quanzi migrate`), then filled by bulk
inserts (bench/worldgen.py: sqlite3 executemany in large transactions, journal and sync off
during the load): the API would take days for a million posts. Every row is what the domain
code writes for the same history, checked against src/quanzi: ids are time-sortable and made
from the row's own time (kit/ids.py); posts carry the words of kit/words.search_tokens (jieba,
cut in a process pool) and are indexed by the FTS5 triggers of migration 0003; topics and
mentions are what kit/posttext finds in the text (post_topics, topics.post_count,
post_mentions); reposts count on their originals and likes on their posts, each by someone who
may see it; friendships are an accepted friend request and two contact rows; follows are
"active" and counted on both accounts; Moments have their audiences, and likes and comments
only from friends who may see them; sessions are rows as logging in writes them (the tokens go
into the JSON beside the database). Engagement of the last hour is in topic_events (one per
account, topic and 10-minute window, the first weight standing), as a running server leaves
it. Not written: notifications, view counts, media, communities, comments on posts (nothing
measured reads them).

Texts mix Chinese (60 %) and English sentences made from weighted word lists
(bench/worldtext.py): Chinese slots draw half their words from jieba's own dictionary by its
corpus frequencies, so that, as in real posts, the commonest content words are in a few percent
of the posts of their language (朋友 in 8 % of the Chinese ones, "friends" in 6 % of the English
ones) and most words in far fewer. A quarter of the posts have a #话题# or #tag topic (60 % in
the last hour, a busy one holding 1 % of all posts), 8 % mention someone, 5 % are reposts;
visibility is mostly public, with followers-only and mentioned-only posts.

The full world (10,000 active users, 1,000,000 posts over 60 days, 50-350 follows each, 20-50
friends each with 10-40 Moments over 8 weeks, one account followed by 100,000 accounts, most of
them light accounts that only follow it) and the quick one (1,000 users, 50,000 posts, a
5,000-follower account) are cached as bench/.cache/world-<name>.db with a JSON beside it
(counts, the time it was made, bearer tokens). A cached world is reused while its generator
version and specification match and it is younger than --max-age-hours (timelines read "the
last day" from the clock, so an old world drifts); a newer migration head is applied to it in
place. The benchmarks copy it into each server's fresh data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, log, migrate
from bench.worldgen import FULL, QUICK, Generator, Spec

WORLD_VERSION = 3  # bump when the generator writes anything differently
CACHE_DIR = ROOT / "bench" / ".cache"
MAX_AGE_HOURS = 48.0


# The cache


@dataclass(frozen=True)
class World:
    """A generated world on disk and what the benchmarks need to know of it."""

    spec: Spec
    path: Path
    meta: dict[str, Any]

    @property
    def generated_at(self) -> float:
        return float(self.meta["generated_at"])

    @property
    def age_hours(self) -> float:
        return (time.time() - self.generated_at) / 3600

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "version": WORLD_VERSION,
            "counts": self.meta["counts"],
            "generate_s": self.meta["seconds"],
            "size_mib": round(self.path.stat().st_size / 2**20, 1),
            "age_h": round(self.age_hours, 2),
        }


def spec_of(quick: bool) -> Spec:
    return QUICK if quick else FULL


def paths(spec: Spec) -> tuple[Path, Path]:
    return CACHE_DIR / f"world-{spec.name}.db", CACHE_DIR / f"world-{spec.name}.json"


def cached(spec: Spec, max_age_hours: float = MAX_AGE_HOURS) -> World | None:
    """The cached world if it is current, else None."""
    db_path, meta_path = paths(spec)
    if not db_path.exists() or not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        return None
    if meta.get("version") != WORLD_VERSION or meta.get("spec") != asdict(spec):
        return None
    if meta.get("size_bytes") != db_path.stat().st_size:
        return None
    world = World(spec, db_path, meta)
    if world.age_hours > max_age_hours:
        return None
    return world


def ensure(
    spec: Spec, *, rebuild: bool = False, max_age_hours: float = MAX_AGE_HOURS, jobs: int = 0
) -> World:
    """The cached world, made (or brought to the newest migration) when needed."""
    world = None if rebuild else cached(spec, max_age_hours)
    if world is None:
        world = generate(spec, jobs or os.cpu_count() or 2)
    else:
        log(f"world {spec.name}: cached, {world.age_hours:.1f} h old ({world.path})")
    _migrate(world.path)
    return world


def _migrate(db_path: Path) -> None:
    """`quanzi migrate` on the world (a no-op unless a migration was added since)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    env["QUANZI_DATABASE_URL"] = f"sqlite+aiosqlite:///{db_path}"
    before = db_path.stat().st_size
    t0 = time.monotonic()
    migrate(env, db_path.parent, timeout=1800)
    # WAL mode: make sure the file alone holds everything before it is copied
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = db_path.stat().st_size
    if after != before:
        meta_path = db_path.with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        meta["size_bytes"] = after
        meta_path.write_text(json.dumps(meta))
        log(f"world migrated to the newest schema in {time.monotonic() - t0:.1f} s")


def generate(spec: Spec, jobs: int) -> World:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    db_path, meta_path = paths(spec)
    for stale in (db_path, meta_path, db_path.with_name(db_path.name + "-wal")):
        stale.unlink(missing_ok=True)
    free = shutil.disk_usage(CACHE_DIR).free / 2**30
    log(f"world {spec.name}: generating with {jobs} worker processes ({free:.0f} GiB free)")
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="world-", dir=CACHE_DIR))
    try:
        building = tmp / "quanzi.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
        env["QUANZI_DATA_DIR"] = str(tmp)
        migrate(env, tmp, timeout=300)
        result = Generator(spec, building, jobs).run()
        building.replace(db_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = round(time.monotonic() - t0, 1)
    meta = {
        "version": WORLD_VERSION,
        "spec": asdict(spec),
        "seconds": seconds,
        "size_bytes": db_path.stat().st_size,
        **result,
    }
    meta_path.write_text(json.dumps(meta))
    log(
        f"world {spec.name}: done in {seconds:.0f} s, "
        f"{db_path.stat().st_size / 2**20:,.0f} MiB ({db_path})"
    )
    return World(spec, db_path, meta)


def copy_to(world: World, data_dir: Path) -> Path:
    """The world as the database of a fresh data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "quanzi.db"
    t0 = time.monotonic()
    shutil.copyfile(world.path, target)
    # On disk before the server starts: otherwise the kernel writes the copy back while the
    # benchmark runs, and the server's first checkpoint (an fsync of the database) waits for
    # all of it (1.3 s stalls, p99 of 1 s in the search benchmark).
    with open(target, "rb") as f:
        os.fsync(f.fileno())
    log(f"world copied into {data_dir} and synced in {time.monotonic() - t0:.1f} s")
    return target


# `python -m bench world`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rebuild", action="store_true", help="generate even if cached")
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=MAX_AGE_HOURS,
        help=f"regenerate a cached world older than this ({MAX_AGE_HOURS:g})",
    )
    parser.add_argument("--jobs", type=int, default=0, help="text-cutting processes (cores)")


def add_world_arguments(parser: argparse.ArgumentParser) -> None:
    """The world options of the benchmarks that read one."""
    parser.add_argument("--rebuild-world", action="store_true", help="regenerate the world")
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=MAX_AGE_HOURS,
        help=f"regenerate a cached world older than this ({MAX_AGE_HOURS:g})",
    )


def generation_seconds(spec: Spec, rebuild: bool, max_age_hours: float) -> float:
    """Time to allow for making the world (0 when a current one is cached)."""
    if not rebuild and cached(spec, max_age_hours) is not None:
        # copying, maybe migrating: a migration that cuts the posts' words again (0011) takes
        # ~5 minutes on the full world when the machine is busy
        return 900.0
    return 3600.0 if spec.name == "full" else 600.0


def limit_seconds(args: argparse.Namespace) -> float:
    return generation_seconds(spec_of(args.quick), args.rebuild, args.max_age_hours)


def run(args: argparse.Namespace) -> dict[str, Any]:
    world = ensure(
        spec_of(args.quick),
        rebuild=args.rebuild,
        max_age_hours=args.max_age_hours,
        jobs=args.jobs,
    )
    return {"benchmark": "world", **world.summary(), "path": str(world.path)}
