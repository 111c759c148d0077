"""Configuration: one Settings object, read from QUANZI_* environment variables and `.env`.

Every knob has a safe default for the embedded mode (SQLite file and in-process bus under
./data). A bad value stops the server before it starts, with a message naming the variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "QUANZI_"

_DATABASE_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    # Where things live
    data_dir: Path = Path("./data")
    database_url: str = ""  # empty: SQLite file <data_dir>/quanzi.db
    redis_url: str | None = None  # set: Redis bus and rate limits, shared by all processes
    redis_prefix: str = "quanzi"
    media_dir: Path | None = None  # empty: <data_dir>/media
    public_url: AnyHttpUrl | None = None  # empty: http://<host>:<port>
    secret_key: SecretStr | None = None  # empty: generated once into <data_dir>/secret_key

    # Serving
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    node_id: int | None = Field(default=None, ge=0, le=1023)  # id generator node; random if unset
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-* headers are trusted
    db_pool_size: int = Field(default=10, ge=1, le=200)
    sqlite_readers: int = Field(default=4, ge=1, le=64)
    # NORMAL survives a crash of the process; FULL also a power cut, at a cost per commit.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # inline: sqlite3 calls on the event loop thread (fast); aiosqlite: on a worker thread
    sqlite_driver: Literal["inline", "aiosqlite"] = "inline"

    # Accounts
    registration: Literal["open", "closed", "invite"] = "open"
    password_min_length: int = Field(default=8, ge=6, le=128)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4_194_304)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)
    # Password hashes computed at once (0: one per CPU), and how many of them checks of the
    # current password by a logged-in session may take (the rest stay free for log-ins).
    password_hash_slots: int = Field(default=0, ge=0, le=256)
    password_recheck_slots: int = Field(default=1, ge=1, le=256)
    session_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    display_name_max: int = Field(default=40, ge=1, le=200)
    bio_max: int = Field(default=500, ge=0, le=10_000)

    # The square
    post_max_chars: int = Field(default=2000, ge=1, le=100_000)

    # Contacts
    friend_request_days: int = Field(default=7, ge=1, le=365)  # a request expires after this
    max_friends: int = Field(default=5000, ge=1, le=100_000)

    # Chats
    message_max_chars: int = Field(default=5000, ge=1, le=100_000)
    recall_seconds: int = Field(default=120, ge=0, le=86_400)
    group_max_members: int = Field(default=500, ge=2, le=100_000)
    group_max_admins: int = Field(default=3, ge=0, le=100)
    group_invite_approval_above: int = Field(default=100, ge=2)  # bigger groups: invitee accepts

    # Rate limits, in the `limits` notation ("10/minute", "100 per hour")
    rate_register_ip: str = "10/hour"
    rate_login_ip: str = "30/minute"
    rate_login_account: str = "10/minute"
    # Checks of the current password (changing it, deleting the account): every check per
    # session, and the failed ones per account from all its sessions.
    rate_reauth_session: str = "5/minute"
    rate_reauth_account: str = "10/hour"
    rate_friend_request: str = "50/day"
    # Requests an account may make through the Mastodon-compatible API (as Mastodon: 300 per
    # 5 minutes), told to clients in X-RateLimit-* headers.
    rate_mastodon_account: str = "300/5 minutes"

    # Requests and media
    max_json_bytes: int = Field(default=1_048_576, ge=1024)
    media_max_bytes: int = Field(default=20 * 1_048_576, ge=1024)
    media_max_pixels: int = Field(default=40_000_000, ge=1)
    media_max_frames: int = Field(default=300, ge=1)
    media_max_side: int = Field(default=4096, ge=64)  # larger images are scaled down
    thumbnail_side: int = Field(default=400, ge=32, le=2048)
    # Media attached to nothing (never used, or its post, Moment, message or avatar is gone)
    # is erased once it is this old.
    media_unattached_hours: float = Field(default=24.0, gt=0)

    # Realtime
    ws_send_queue: int = Field(default=512, ge=1, le=100_000)
    ws_ping_interval: float = Field(default=20.0, gt=0)
    ws_ping_timeout: float = Field(default=20.0, gt=0)

    # Background work (jobs/): the durable job queue, stored in the database
    jobs_worker: bool = True  # run a worker inside `quanzi serve`
    jobs_concurrency: int = Field(default=4, ge=1, le=256)  # jobs run at once per process
    jobs_poll_seconds: float = Field(default=1.0, gt=0, le=60)  # look for jobs others queued
    jobs_sweep_seconds: int = Field(default=60, ge=1)  # look for jobs of dead processes
    jobs_retries: int = Field(default=5, ge=1, le=100)  # attempts before the dead-letter list
    jobs_timeout_seconds: int = Field(default=300, ge=1)  # a job running longer is cancelled
    # Extra modules whose JOBS (a list of async functions) the worker runs, comma-separated.
    jobs_modules: str = ""

    # Web Push (domain/push/): notifications to closed tabs and Mastodon apps
    push_subject: str = ""  # VAPID contact for push services (mailto: or https:); empty: public URL
    push_ttl_seconds: int = Field(default=2 * 86400, ge=0)  # how long a push service keeps one
    # Let subscriptions name http:// or private addresses (tests, a closed network); off, the
    # server only calls public https push services.
    push_allow_private: bool = False

    # Operations
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"  # auto: console on a terminal
    access_log: bool = True
    metrics_token: SecretStr | None = None  # set: /metrics requires "Authorization: Bearer <it>"
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        if not value:
            return value
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in _DATABASE_SCHEMES:
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(sqlite:// and postgresql:// are accepted and mean the same)"
            )
        return f"{_DATABASE_SCHEMES[scheme]}://{rest}"

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (try: openssl rand -hex 32)")
        return value

    @field_validator(
        "rate_register_ip",
        "rate_login_ip",
        "rate_login_account",
        "rate_reauth_session",
        "rate_reauth_account",
        "rate_friend_request",
        "rate_mastodon_account",
    )
    @classmethod
    def _check_rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError:
            raise ValueError("must be a rate such as '10/minute' or '100 per hour'") from None
        return value

    @model_validator(mode="after")
    def _fill_paths(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'quanzi.db').as_posix()}"
        if self.media_dir is None:
            self.media_dir = self.data_dir / "media"
        return self

    # Derived values

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def media_path(self) -> Path:
        assert self.media_dir is not None
        return self.media_dir

    @property
    def public_base(self) -> str:
        """The address clients reach this server at, without a trailing slash."""
        if self.public_url is None:
            return f"http://{self.host}:{self.port}"
        return str(self.public_url).rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.public_base.startswith("https://")

    def secret(self) -> bytes:
        """The server secret; generated once and kept in the data directory if not configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Written whole under another name, then linked into place: processes starting
            # together all read the one that got there first (media URLs are signed with it).
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".secret_key.{secrets.token_hex(8)}")
            draft.write_text(secrets.token_hex(32))
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip().encode()


def describe_errors(error: ValidationError) -> list[str]:
    """Turn a settings ValidationError into lines that name the environment variable."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "settings"
        variable = f"{ENV_PREFIX}{field.upper()}"
        given = item.get("input")
        secret = field in {"secret_key", "metrics_token"}
        shown = "" if secret or isinstance(given, dict) or given is None else f" (got {given!r})"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{variable}: {message}{shown}")
    return lines
