"""Making the world of bench/world.py: accounts, follows, friendships, labels, blocks, posts
(with their topics, mentions, reposts and likes, and the last hour's topic events) and
Moments (with audiences, likes and comments), written by bulk inserts into a database made by
the project's migrations. See bench/world.py for what is in it and why each row is what the
domain code would have written; the texts come from bench/worldtext.py.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import worldtext
from bench.common import PASSWORD, log
from bench.worldtext import (
    COMMENT_EN,
    COMMENT_ZH,
    FIRST,
    GIVEN,
    GREETINGS,
    HOT_EN,
    HOT_ZH,
    LABEL_NAMES,
    LAST,
    LOCATIONS,
    REPLY_EN,
    REPLY_ZH,
    SURNAMES,
    Words,
)

# kit/ids.py layout: 41 bits of ms since 2024-01-01, 10 bits of node, 12 bits of sequence. Each
# table gets its own node number, so ids are unique across tables as the server's would be.
EPOCH_MS = 1_704_067_200_000
NODES = {
    "accounts": 1001,
    "follows": 1002,
    "friend_requests": 1003,
    "labels": 1004,
    "posts": 1005,
    "topics": 1006,
    "moments": 1007,
    "moment_comments": 1008,
    "auth_sessions": 1009,
}
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

# domain/square/topics.py
TOPIC_WINDOW_MINUTES = 10
TOPIC_SPAN_WINDOWS = 6
WEIGHTS = {"post": 1.0, "repost": 0.8, "like": 0.3}
FRIEND_REQUEST_DAYS = 7  # config.friend_request_days
# The cheap argon2 parameters the benchmarks' servers use for setting up (bench/chat.py).
ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@dataclass(frozen=True)
class Spec:
    name: str
    users: int  # active accounts
    posts: int
    follows_min: int  # follows of an active account, uniform in [min, max]
    follows_max: int
    friends_min: int
    friends_max: int
    circle: int  # friends come mostly from a circle of this many accounts
    moments_min: int  # Moments of an active account
    moments_max: int
    big_followers: int  # followers of the big account (active ones + light accounts)
    big_posts: int  # posts by the big account, among `posts`
    light_sessions: int  # light followers given a session (for reading their timelines)
    post_days: int = 60
    moment_days: int = 56
    hot_share: float = 0.01  # posts in the last hour (a busy hour, for trending)
    seed: int = 20261122

    @property
    def light(self) -> int:
        return self.big_followers - self.users // 2


FULL = Spec(
    name="full",
    users=10_000,
    posts=1_000_000,
    follows_min=50,
    follows_max=350,
    friends_min=20,
    friends_max=50,
    circle=200,
    moments_min=10,
    moments_max=40,
    big_followers=100_000,
    big_posts=1_000,
    light_sessions=1_000,
)
QUICK = Spec(
    name="quick",
    users=1_000,
    posts=50_000,
    follows_min=10,
    follows_max=90,
    friends_min=20,
    friends_max=50,
    circle=100,
    moments_min=10,
    moments_max=40,
    big_followers=5_000,
    big_posts=100,
    light_sessions=200,
)

# The smallest world with every kind of row: what tests/test_bench_world.py builds, to find out
# at once when a schema change leaves the generator behind.
TINY = Spec(
    name="tiny",
    users=60,
    posts=3_000,
    follows_min=5,
    follows_max=20,
    friends_min=5,
    friends_max=10,
    circle=30,
    moments_min=2,
    moments_max=5,
    big_followers=100,
    big_posts=30,
    light_sessions=10,
)


def _zipf(n: int, s: float = 0.8) -> list[float]:
    """Cumulative weights of ranks 1..n, each 1 / rank**s."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


# Ids and times


def assign_ids(times_ms: Sequence[int], node: int) -> list[int]:
    """Time-sortable ids for rows made at `times_ms` (any order): the sequence counts up within
    a millisecond, as kit.ids does."""
    order = sorted(range(len(times_ms)), key=times_ms.__getitem__)
    ids = [0] * len(times_ms)
    last, seq = -1, 0
    for i in order:
        ms = times_ms[i]
        if ms == last:
            seq += 1
            if seq > 0xFFF:
                raise RuntimeError("more than 4096 rows in one millisecond")
        else:
            last, seq = ms, 0
        ids[i] = ((ms - EPOCH_MS) << 22) | (node << 12) | seq
    return ids


def stamp(ms: int) -> str:
    """A UTC timestamp as SQLAlchemy stores it on SQLite (naive, with microseconds: the ones
    below the millisecond are made up, the same for the same millisecond, so that rows written
    in one transaction share their time as they do in the domain)."""
    moment = datetime.fromtimestamp(ms // 1000, UTC).replace(tzinfo=None)
    moment = moment.replace(microsecond=(ms % 1000) * 1000 + (ms * 2654435761) % 1000)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def topic_window(ms: int) -> int:
    return int(ms / 1000 // 60 // TOPIC_WINDOW_MINUTES)


# The database


class Loader:
    """Bulk inserts into a freshly migrated database, every column named."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-400000",
            "temp_store=MEMORY",
            "locking_mode=EXCLUSIVE",
            "foreign_keys=OFF",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.columns: dict[str, list[str]] = {}
        self.counts: Counter[str] = Counter()

    def insert(
        self,
        table: str,
        columns: str | Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        ignore: bool = False,
    ) -> None:
        """Rows into `table`; `columns` (a list, or names separated by spaces) must name every
        column of the table, so that a column added by a migration is not left to chance."""
        if isinstance(columns, str):
            columns = columns.split()
        known = self.columns.get(table)
        if known is None:
            known = self.columns[table] = [
                r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")
            ]
            unwritten, unknown = set(known) - set(columns), set(columns) - set(known)
            if unwritten or unknown:
                raise RuntimeError(
                    f"{table}: the generator does not write {sorted(unwritten)} (added by a "
                    f"migration? say what the domain would write there) and writes "
                    f"{sorted(unknown)}, which the table does not have"
                )
        marks = ", ".join("?" * len(columns))
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        cursor = self.conn.executemany(
            f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            rows,
        )
        self.counts[table] += max(cursor.rowcount, 0)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")


# What registration writes besides the account's own values (do_create_account).
ACCOUNT_DEFAULTS: dict[str, Any] = {
    "email": None,
    "email_key": None,
    "bio": "",
    "region": "",
    "gender": None,
    "avatar_id": None,
    "find_by_number": 1,
    "find_by_handle": 1,
    "find_in_search": 1,
    "add_needs_verification": 1,
    "allow_strangers": 0,
    "locked": 0,
    "show_presence": 1,
    "role": "user",
    "status": "active",
    "post_count": 0,  # counted once the posts are written (Generator.count_posts)
}
POST_COLUMNS = (
    "id author_id text search_tokens visibility language root_id parent_id community_id "
    "removed_from_community media_ids repost_count comment_count like_count view_count "
    "created_at edited_at deleted_at"
)


class Rate:
    """Progress lines with a rate, at most every few seconds."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total = what, total
        self.t0 = self.last = time.monotonic()

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= 5.0:
            self.last = now
            rate = done / max(now - self.t0, 1e-9)
            log(f"{self.what}: {done:,} / {self.total:,} ({rate:,.0f}/s)")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class People:
    """Accounts by index: 0..users-1 active, `star` the big account, then light accounts."""

    ids: list[int]
    ms: list[int]
    handles: list[str]
    names: list[str]
    windows: list[str]
    star: int
    users: int

    @property
    def active(self) -> range:
        return range(self.users)


class Generator:
    def __init__(self, spec: Spec, path: Path, jobs: int) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.db = Loader(path)
        self.jobs = jobs
        self.now_ms = int(time.time()) * 1000
        self.tokens: dict[int, str] = {}
        self.seconds: dict[str, float] = {}

    def ts(self, ms: int) -> str:
        return stamp(ms)

    def run(self) -> dict[str, Any]:
        context = multiprocessing.get_context("spawn")
        with context.Pool(self.jobs, initializer=worldtext.pool_init) as pool:
            step = time.monotonic()
            people = self.accounts_and_graph(pool)
            self.seconds["accounts_graph"] = round(time.monotonic() - step, 1)
            step = time.monotonic()
            self.posts(pool, people)
            self.seconds["posts"] = round(time.monotonic() - step, 1)
        step = time.monotonic()
        self.moments(people)
        self.seconds["moments"] = round(time.monotonic() - step, 1)
        self.sessions(people)
        step = time.monotonic()
        problems = self.db.conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"rows without their parents: {problems[:5]}")
        self.db.conn.execute("PRAGMA journal_mode=WAL")
        self.db.conn.close()
        self.seconds["check"] = round(time.monotonic() - step, 1)
        return {
            "generated_at": self.now_ms / 1000,
            "counts": dict(sorted(self.db.counts.items())),
            "steps_s": self.seconds,
            "star": [people.ids[people.star], self.tokens[people.ids[people.star]]],
            "active": [[people.ids[u], self.tokens[people.ids[u]]] for u in people.active],
            "star_followers_count": len(self.followers[people.star]),
            "star_followers": self.star_followers_with_tokens,
        }

    # Accounts, follows, friends, labels, blocks

    def accounts_and_graph(self, pool: Any) -> People:
        spec, rng, now = self.spec, self.rng, self.now_ms
        users, light = spec.users, spec.light
        total = users + 1 + light
        log(f"accounts: {users:,} active, 1 big account, {light:,} light followers")
        handles, names, windows, created = [], [], [], []
        for u in range(users):
            if rng.random() < 0.6:
                (sur, sur_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN)
                handles.append(f"{sur_py}{given_py}{u}")
                names.append(f"{sur}{given}")
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                handles.append(f"{first.lower()}{u}")
                names.append(f"{first} {last}")
            draw = rng.random()
            windows.append("all" if draw < 0.8 else "6m" if draw < 0.95 else "3d")
            created.append(now - rng.randint(90 * DAY_MS, 400 * DAY_MS))
        star = users
        handles.append("bigstar")
        names.append("大明星 Big Star")
        windows.append("all")
        created.append(now - 500 * DAY_MS)
        for j in range(light):
            handles.append(f"fan{j}")
            names.append(f"粉丝{j}" if j % 2 else f"Fan {j}")
            windows.append("all")
            created.append(now - rng.randint(62 * DAY_MS, 400 * DAY_MS))
        ids = assign_ids(created, NODES["accounts"])
        people = People(ids, created, handles, names, windows, star, users)

        tokens: list[str] = []
        pairs = list(zip(handles, names, strict=True))
        rate = Rate("name words", total)
        for part in pool.imap(worldtext.name_tokens, list(_chunks(pairs, 2000))):
            tokens.extend(part)
            rate.update(len(tokens))

        # Follows: active accounts follow popular ones more; half of them and every light
        # account follow the big account.
        popularity = list(range(users))
        rng.shuffle(popularity)  # popularity[rank] = account
        cum = _zipf(users, 0.7)
        following: list[set[int]] = [set() for _ in range(total)]
        for u in range(users):
            want = rng.randint(spec.follows_min, spec.follows_max)
            mine = following[u]
            while len(mine) < want:
                for rank in (
                    bisect_left(cum, x * cum[-1]) for x in (rng.random() for _ in range(want))
                ):
                    v = popularity[rank]
                    if v != u:
                        mine.add(v)
                        if len(mine) >= want:
                            break
        star_fans = rng.sample(range(users), users // 2)
        for u in star_fans:
            following[u].add(star)
        for j in range(users + 1, total):
            following[j].add(star)
        followers: list[list[int]] = [[] for _ in range(total)]
        for u in range(total):
            for v in following[u]:
                followers[v].append(u)

        # Friends: mostly within a circle, some anywhere; both sides in each other's contacts.
        target = [rng.randint(spec.friends_min, spec.friends_max) for _ in range(users)]
        friends: list[set[int]] = [set() for _ in range(users)]
        order = list(range(users))
        rng.shuffle(order)
        for u in order:
            base = (u // spec.circle) * spec.circle
            tries = 0
            while len(friends[u]) < target[u] and tries < 2000:
                tries += 1
                if rng.random() < 0.8:
                    v = min(users - 1, base + rng.randrange(spec.circle))
                else:
                    v = rng.randrange(users)
                if v == u or v in friends[u] or len(friends[v]) >= target[v] + 5:
                    continue
                friends[u].add(v)
                friends[v].add(u)

        # A few blocks, between accounts with no follow or friendship either way.
        blocks: list[tuple[int, int, int]] = []
        for u in rng.sample(range(users), max(1, users // 200)):
            v = rng.randrange(users)
            if v != u and v not in friends[u] and v not in following[u] and u not in following[v]:
                blocks.append((u, v, max(created[u], created[v]) + rng.randint(0, 20 * DAY_MS)))
        self.blocked = {(a, b) for a, b, _ in blocks} | {(b, a) for a, b, _ in blocks}

        # Rows. Follows and friendships are older than every post and Moment.
        graph_end = now - 61 * DAY_MS
        db = self.db
        db.begin()
        password_hash = _password_hash()
        rows = []
        # Numbers count up from 10001 in the order the accounts were made.
        for number, k in enumerate(sorted(range(total), key=ids.__getitem__), start=10001):
            made = self.ts(created[k])
            rows.append(
                {
                    **ACCOUNT_DEFAULTS,
                    "id": ids[k],
                    "number": number,
                    "handle": handles[k],
                    "handle_key": handles[k].lower(),
                    "password_hash": password_hash,
                    "display_name": names[k],
                    "moments_window": windows[k],
                    "search_tokens": tokens[k],
                    "followers_count": len(followers[k]),
                    "following_count": len(following[k]),
                    "created_at": made,
                    "updated_at": made,
                }
            )
        db.insert("accounts", list(rows[0]), (tuple(r.values()) for r in rows))
        db.conn.execute(
            "UPDATE counters SET value = ? WHERE name = 'account_number'", (10000 + total,)
        )
        log(f"accounts: {total:,} rows")

        follow_rows: list[tuple[int, int, int]] = []
        for u in range(total):
            for v in following[u]:
                start = max(created[u], created[v])
                follow_rows.append((u, v, rng.randint(start, max(start, graph_end))))
        follow_ids = assign_ids([ms for _, _, ms in follow_rows], NODES["follows"])
        db.insert(
            "follows",
            "id follower_id followee_id status created_at",
            (
                (fid, ids[u], ids[v], "active", self.ts(ms))
                for fid, (u, v, ms) in zip(follow_ids, follow_rows, strict=True)
            ),
        )
        log(f"follows: {len(follow_rows):,} rows")
        del follow_rows, follow_ids

        requests: list[tuple[int, int, int, int]] = []  # from, to, asked, accepted
        for u in range(users):
            for v in friends[u]:
                if u < v:
                    a, b = (u, v) if rng.random() < 0.5 else (v, u)
                    start = max(created[a], created[b]) + DAY_MS
                    asked = rng.randint(start, graph_end - 3 * DAY_MS)
                    requests.append((a, b, asked, asked + rng.randint(MINUTE_MS, 2 * DAY_MS)))
        request_ids = assign_ids([r[2] for r in requests], NODES["friend_requests"])
        db.insert(
            "friend_requests",
            "id from_id to_id greeting remark label_ids status created_at updated_at expires_at",
            (
                (
                    rid,
                    ids[a],
                    ids[b],
                    rng.choice(GREETINGS),
                    "",
                    "[]",
                    "accepted",
                    self.ts(asked),
                    self.ts(accepted),
                    self.ts(asked + FRIEND_REQUEST_DAYS * DAY_MS),
                )
                for rid, (a, b, asked, accepted) in zip(request_ids, requests, strict=True)
            ),
        )
        accepted_at = {}
        for a, b, _, accepted in requests:
            accepted_at[(a, b)] = accepted
        db.insert(
            "contacts",
            "owner_id friend_id remark created_at",
            (
                row
                for (a, b), at in ((pair, self.ts(ms)) for pair, ms in accepted_at.items())
                for row in ((ids[a], ids[b], "", at), (ids[b], ids[a], "", at))
            ),
        )
        log(f"friendships: {len(requests):,} (two contact rows and a request each)")
        del requests, request_ids, accepted_at

        # Labels on some friends, for Moments audiences.
        self.labels: dict[int, list[tuple[int, list[int]]]] = {}
        label_rows, member_rows = [], []
        label_ms = []
        for u in range(users):
            if rng.random() >= 0.3 or len(friends[u]) < 5:
                continue
            for name in rng.sample(LABEL_NAMES, rng.randint(1, 3)):
                members = rng.sample(sorted(friends[u]), min(len(friends[u]), rng.randint(3, 10)))
                label_ms.append(graph_end + rng.randint(0, DAY_MS))
                label_rows.append((u, name, members))
        label_ids = assign_ids(label_ms, NODES["labels"])
        for lid, (u, _, members) in zip(label_ids, label_rows, strict=True):
            self.labels.setdefault(u, []).append((lid, members))
            member_rows.extend((lid, ids[m]) for m in members)
        db.insert(
            "labels",
            "id owner_id name created_at",
            (
                (lid, ids[u], name, self.ts(ms))
                for lid, ms, (u, name, _) in zip(label_ids, label_ms, label_rows, strict=True)
            ),
        )
        db.insert("label_members", "label_id friend_id", member_rows)
        db.insert(
            "blocks",
            "blocker_id blocked_id created_at",
            ((ids[a], ids[b], self.ts(ms)) for a, b, ms in blocks),
        )
        db.commit()
        self.following, self.followers, self.friends = following, followers, friends
        self.star_fans = star_fans
        return people

    # Posts, reposts, likes, topics, mentions

    def posts(self, pool: Any, people: People) -> None:
        spec, rng, now = self.spec, self.rng, self.now_ms
        users, star, ids = spec.users, people.star, people.ids
        n = spec.posts
        hot = int(n * spec.hot_share)
        times = sorted(
            [rng.randint(now - spec.post_days * DAY_MS, now - HOUR_MS) for _ in range(n - hot)]
            + [rng.randint(now - HOUR_MS, now - 1000) for _ in range(hot)]
        )
        post_ids = assign_ids(times, NODES["posts"])
        weights = [rng.lognormvariate(0, 1.0) for _ in range(users)]
        authors = rng.choices(range(users), weights=weights, k=n - spec.big_posts)
        authors += [star] * spec.big_posts
        rng.shuffle(authors)
        active_followers = [[f for f in fs if f < users] for fs in self.followers]
        mean_followers = sum(len(fs) for fs in active_followers[:users]) / users
        events_from = (topic_window(now) - TOPIC_SPAN_WINDOWS) * TOPIC_WINDOW_MINUTES * MINUTE_MS
        hot_from = now - HOUR_MS
        log(f"posts: planning {n:,} ({hot:,} in the last hour)")
        words = Words(rng)

        # One plan per post: (kind, lang, topic, mentioned accounts, visibility, root index,
        # likers with times, deleted at)
        plans: list[tuple[Any, ...]] = []
        repost_count: Counter[int] = Counter()
        recent: list[int] = []  # recent public originals that can be reposted
        topics_of: dict[int, str] = {}
        events: list[tuple[int, str, int, float]] = []  # ms, topic key, account, weight
        for i in range(n):
            a, ms = authors[i], times[i]
            is_hot = ms >= hot_from
            lang = "zh" if rng.random() < 0.6 else "en"
            if recent and rng.random() < 0.05:
                root = recent[rng.randrange(len(recent))]
                root_author = authors[root]
                if root_author != a and (a, root_author) not in self.blocked:
                    repost_count[root] += 1
                    likers = self._likers(a, "public", (), active_followers, mean_followers, ms)
                    plans.append(("r", lang, None, (), "public", root, likers, None))
                    if ms >= events_from and root in topics_of:
                        events.append((ms, topics_of[root], a, WEIGHTS["repost"]))
                    self._like_events(events, likers, topics_of.get(root), events_from)
                    continue
            if ms < now - 2 * HOUR_MS and rng.random() < 0.005:
                deleted = ms + rng.randint(MINUTE_MS, HOUR_MS)
                plans.append(("d", lang, None, (), "public", None, (), deleted))
                continue
            topic = None
            if rng.random() < (0.6 if is_hot else 0.25):
                if is_hot and rng.random() < 0.7:
                    topic = rng.choice(HOT_ZH if lang == "zh" else HOT_EN)
                else:
                    topic = words.topic(lang)
            mentioned: tuple[int, ...] = ()
            if a != star and rng.random() < 0.08:
                pool_ = sorted(self.friends[a]) or sorted(v for v in self.following[a] if v < users)
                if pool_:
                    mentioned = (rng.choice(pool_),)
            draw = rng.random()
            if mentioned and draw < 0.25:
                visibility = "mentioned"
            elif draw < 0.08 or (mentioned and draw < 0.33):
                visibility = "followers"
            else:
                visibility = "public"
            likers = self._likers(a, visibility, mentioned, active_followers, mean_followers, ms)
            plans.append(("o", lang, topic, mentioned, visibility, None, likers, None))
            if topic is not None:
                key = _topic_key(topic)
                topics_of[i] = key
                if ms >= events_from:
                    events.append((ms, key, a, WEIGHTS["post"]))
                self._like_events(events, likers, key, events_from)
            if visibility == "public":
                if len(recent) >= 20_000:
                    recent[rng.randrange(len(recent))] = i
                else:
                    recent.append(i)

        log("posts: writing texts and cutting them into words")
        db = self.db
        topic_ids: dict[str, int] = {}
        topic_rows: dict[str, list[Any]] = {}
        topic_ms_seq: dict[int, int] = {}
        post_topic_count: Counter[str] = Counter()
        handles_of = people.handles
        size = 5000
        jobs = [
            (
                spec.seed,
                [
                    (
                        i,
                        plans[i][0],
                        plans[i][1],
                        plans[i][2],
                        tuple(handles_of[m] for m in plans[i][3]),
                    )
                    for i in range(start, min(n, start + size))
                ],
            )
            for start in range(0, n, size)
        ]
        rate = Rate("posts", n)
        done = 0
        db.begin()
        for part in pool.imap(worldtext.post_texts, jobs):
            post_rows, topic_links, mention_rows, like_rows = [], [], [], []
            for text, tokens, found_topics, found_mentions in part:
                i = done
                done += 1
                kind, _, topic, mentioned, visibility, root, likers, deleted = plans[i]
                pid, ms, a = post_ids[i], times[i], authors[i]
                expected = [] if topic is None else [topic]
                if kind != "r" and [_topic_key(t) for t in found_topics] != [
                    _topic_key(t) for t in expected
                ]:
                    raise RuntimeError(f"post {i}: topics {found_topics}, meant {expected}")
                if sorted(found_mentions) != sorted(handles_of[m] for m in mentioned):
                    raise RuntimeError(f"post {i}: mentions {found_mentions}, meant {mentioned}")
                for name in found_topics:
                    key = _topic_key(name)
                    if key not in topic_ids:
                        seq = topic_ms_seq.get(ms, 0)
                        topic_ms_seq[ms] = seq + 1
                        topic_ids[key] = ((ms - EPOCH_MS) << 22) | (NODES["topics"] << 12) | seq
                        topic_rows[key] = [topic_ids[key], name, key, 0, self.ts(ms)]
                    post_topic_count[key] += 1
                    topic_links.append((topic_ids[key], pid))
                mention_rows.extend((pid, ids[m]) for m in mentioned)
                like_rows.extend((pid, ids[u], self.ts(at)) for u, at in likers)
                post_rows.append(
                    (
                        pid,
                        ids[a],
                        text,
                        tokens,
                        visibility,
                        None,  # language: only Mastodon apps say it
                        post_ids[root] if root is not None else None,
                        post_ids[root] if root is not None else None,
                        None,
                        0,
                        "",
                        repost_count.get(i, 0),
                        0,
                        len(likers),
                        0,
                        self.ts(ms),
                        None,
                        self.ts(deleted) if deleted is not None else None,
                    )
                )
            db.insert("posts", POST_COLUMNS, post_rows)
            db.insert("post_topics", "topic_id post_id", topic_links)
            db.insert("post_mentions", "post_id account_id", mention_rows)
            db.insert("post_likes", "post_id account_id created_at", like_rows)
            if done % 50_000 < size:
                db.commit()
                db.begin()
            rate.update(done)
        rate.update(done, force=True)
        for key, row in topic_rows.items():
            row[3] = post_topic_count[key]
        db.insert("topics", "id name key post_count created_at", topic_rows.values())
        # What topics.record_engagement leaves: the first event per topic, account and window.
        events.sort()
        db.insert(
            "topic_events",
            "topic_id account_id window weight",
            (
                (topic_ids[key], ids[account], topic_window(ms), weight)
                for ms, key, account, weight in events
            ),
            ignore=True,
        )
        # An account's post_count: its posts and reposts not deleted (as each post and deletion
        # moves it in square/posts.py, and as migration 0007 counted it).
        db.conn.execute(
            "UPDATE accounts SET post_count = (SELECT count(*) FROM posts "
            "WHERE posts.author_id = accounts.id AND posts.deleted_at IS NULL)"
        )
        db.commit()
        log(
            f"posts: {n:,} rows, {len(topic_rows):,} topics, "
            f"{db.counts['topic_events']:,} topic events in the last hour"
        )

    def _likers(
        self,
        author: int,
        visibility: str,
        mentioned: tuple[int, ...],
        active_followers: list[list[int]],
        mean_followers: float,
        ms: int,
    ) -> tuple[tuple[int, int], ...]:
        """Who liked a post (each able to see it), and when."""
        rng, users = self.rng, self.spec.users
        fans = active_followers[author]
        if author == self.spec.users:  # the big account
            k = rng.randint(20, 200)
        else:
            factor = min(10.0, max(0.3, len(fans) / mean_followers))
            k = int(rng.expovariate(1.0) * factor)
        if k == 0:
            return ()
        if visibility == "mentioned":
            candidates: Sequence[int] = mentioned
            k = min(k, len(candidates))
        elif visibility == "followers":
            candidates = fans
            k = min(k, len(fans))
        else:
            candidates = fans if fans else range(users)
        chosen: dict[int, int] = {}
        for _ in range(k * 2):
            if len(chosen) >= k:
                break
            if visibility == "public" and rng.random() < 0.3:
                u = rng.randrange(users)
            else:
                u = candidates[rng.randrange(len(candidates))]
            if u == author or u in chosen or (u, author) in self.blocked:
                continue
            chosen[u] = min(self.now_ms - 1, ms + int(rng.expovariate(1 / (3 * HOUR_MS))))
        return tuple(chosen.items())

    @staticmethod
    def _like_events(
        events: list[tuple[int, str, int, float]],
        likers: Iterable[tuple[int, int]],
        key: str | None,
        events_from: int,
    ) -> None:
        if key is None:
            return
        for u, at in likers:
            if at >= events_from:
                events.append((at, key, u, WEIGHTS["like"]))

    # Moments

    def moments(self, people: People) -> None:
        spec, rng, now, ids = self.spec, self.rng, self.now_ms, people.ids
        users = spec.users
        log("moments: planning")
        plans: list[tuple[int, int, str, tuple[Any, ...], bool]] = []
        for u in range(users):
            for _ in range(rng.randint(spec.moments_min, spec.moments_max)):
                ms = rng.randint(now - spec.moment_days * DAY_MS, now - MINUTE_MS)
                draw = rng.random()
                listed: tuple[Any, ...] = ()
                if draw < 0.8 or not self.friends[u]:
                    audience = "friends"
                elif draw < 0.85:
                    audience = "private"
                else:
                    audience = "include" if draw < 0.93 else "exclude"
                    labels = self.labels.get(u, [])
                    if labels and rng.random() < 0.5:
                        listed = (("label", rng.choice(labels)),)
                    else:
                        pick = rng.sample(sorted(self.friends[u]), min(len(self.friends[u]), 3))
                        listed = tuple(("account", v) for v in pick)
                plans.append((u, ms, audience, listed, rng.random() < 0.005))
        moment_ids = assign_ids([p[1] for p in plans], NODES["moments"])
        order = sorted(range(len(plans)), key=moment_ids.__getitem__)
        words = Words(rng)
        db = self.db
        db.begin()
        moment_rows, audience_rows, like_rows = [], [], []
        comments: list[tuple[int, int, int, int, str, int]] = []  # moment, author, reply to
        # (index into comments, or -1), reply-to account, text, ms
        rate = Rate("moments", len(plans))
        for count, k in enumerate(order, start=1):
            u, ms, audience, listed, deleted = plans[k]
            mid = moment_ids[k]
            lang = "zh" if rng.random() < 0.7 else "en"
            if deleted:  # what do_delete_moment leaves
                gone = self.ts(min(now - 1, ms + HOUR_MS))
                moment_rows.append((mid, ids[u], "", "", audience, "", self.ts(ms), gone))
                continue
            text = words.text(lang, rng.choice((1, 1, 2)))
            location = rng.choice(LOCATIONS) if rng.random() < 0.2 else ""
            moment_rows.append((mid, ids[u], text, location, audience, "", self.ts(ms), None))
            shown: set[int] = set(self.friends[u])
            named: set[int] = set()
            for kind, ref in listed:
                if kind == "label":
                    lid, members = ref
                    audience_rows.append((mid, "label", lid))
                    named.update(members)
                else:
                    audience_rows.append((mid, "account", ids[ref]))
                    named.add(ref)
            if audience == "private":
                shown = set()
            elif audience == "include":
                shown &= named
            elif audience == "exclude":
                shown -= named
            if not shown:
                continue
            viewers = sorted(shown)
            for v in rng.sample(viewers, min(len(viewers), int(rng.expovariate(1 / 5)))):
                at = min(now - 1, ms + int(rng.expovariate(1 / (2 * HOUR_MS))))
                like_rows.append((mid, ids[v], self.ts(at)))
            for v in rng.sample(viewers, min(len(viewers), int(rng.expovariate(1 / 2.5)))):
                at = min(now - 2, ms + int(rng.expovariate(1 / (3 * HOUR_MS))))
                said = rng.choice(COMMENT_ZH if lang == "zh" else COMMENT_EN)
                comments.append((mid, ids[v], -1, 0, said, at))
                if rng.random() < 0.3:  # the poster answers
                    reply = rng.choice(REPLY_ZH if lang == "zh" else REPLY_EN)
                    back = min(now - 1, at + int(rng.expovariate(1 / HOUR_MS)))
                    comments.append((mid, ids[u], len(comments) - 1, ids[v], reply, back))
            if len(like_rows) > 100_000:
                db.insert("moment_likes", "moment_id account_id created_at", like_rows)
                like_rows = []
            rate.update(count)
        db.insert(
            "moments",
            "id author_id text location audience media_ids created_at deleted_at",
            moment_rows,
        )
        db.insert("moment_audience", "moment_id kind ref_id", audience_rows)
        db.insert("moment_likes", "moment_id account_id created_at", like_rows)
        comment_ids = assign_ids([c[5] for c in comments], NODES["moment_comments"])
        db.insert(
            "moment_comments",
            "id moment_id author_id reply_to_id reply_to_account_id text created_at deleted_at",
            (
                (
                    cid,
                    mid,
                    author,
                    comment_ids[parent] if parent >= 0 else None,
                    to if parent >= 0 else None,
                    said,
                    self.ts(ms),
                    None,
                )
                for cid, (mid, author, parent, to, said, ms) in zip(
                    comment_ids, comments, strict=True
                )
            ),
        )
        db.commit()
        log(
            f"moments: {len(plans):,}, {db.counts['moment_likes']:,} likes, "
            f"{len(comments):,} comments"
        )

    # Sessions: rows as log_in writes them; the tokens go into the world's JSON

    def sessions(self, people: People) -> None:
        from quanzi.domain.accounts.sessions import new_token

        rng, users, star, ids = self.rng, self.spec.users, people.star, people.ids
        light = rng.sample(
            range(users + 1, len(ids)), min(self.spec.light_sessions, self.spec.light)
        )
        holders = [*range(users), star, *light]
        made = [self.now_ms - rng.randint(MINUTE_MS, DAY_MS) for _ in holders]
        session_ids = assign_ids(made, NODES["auth_sessions"])
        rows = []
        for sid, k, ms in zip(session_ids, holders, made, strict=True):
            token, digest = new_token()
            self.tokens[ids[k]] = token
            made_at = self.ts(ms)
            rows.append((sid, ids[k], digest, "bench", "api", made_at, made_at, None, None))
        self.db.begin()
        self.db.insert(
            "auth_sessions",
            "id account_id token_hash device_name kind created_at last_used_at app_id scopes",
            rows,
        )
        self.db.commit()
        fans = [(u, "active") for u in self.star_fans] + [(j, "light") for j in light]
        self.star_followers_with_tokens = [[ids[k], self.tokens[ids[k]], kind] for k, kind in fans]


def _topic_key(name: str) -> str:
    from quanzi.kit.posttext import topic_key

    return topic_key(name)


def _password_hash() -> str:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(type=Type.ID, **ARGON2).hash(PASSWORD)
