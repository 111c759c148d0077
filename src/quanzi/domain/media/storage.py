"""Media files on disk under names the server chooses; no client text reaches a path."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

KEY_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp|gif)$")


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def new_key(ext: str) -> str:
        name = secrets.token_hex(16)
        return f"{name[:2]}/{name[2:4]}/{name}.{ext}"

    def path(self, key: str) -> Path:
        if not KEY_RE.match(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    def write(self, key: str, data: bytes) -> None:
        """Write atomically: a reader never sees half a file."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self.path(key).unlink(missing_ok=True)
            except (OSError, ValueError):
                continue

    def check(self) -> None:
        """Raise OSError if the store cannot be written (for `quanzi doctor` and /readyz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".probe-{secrets.token_hex(4)}"
        probe.write_bytes(b"ok")
        probe.unlink()
