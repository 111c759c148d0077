"""The web client's static files (/static): versioned URLs cached for a year, text gzipped.

Pages link to `/static/<name>?v=<STATIC_VERSION>`, a version that changes whenever any static
file does (the release and a hash of the files' bytes), so a browser may keep such a response
for good (`immutable`) and never ask again; a URL without it (or with an old one) is revalidated
each time (`no-cache`, then 304 by its ETag). CSS, JavaScript and SVG go out gzipped to a
browser that accepts it, each compressed once per process. Pages themselves are not compressed:
they carry the CSRF token beside what the user typed (BREACH).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from quanzi import __version__

STATIC_DIR = Path(__file__).parent / "static"
FOREVER = "public, max-age=31536000, immutable"
COMPRESSIBLE = frozenset({".css", ".js", ".svg", ".json", ".txt"})


def fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


STATIC_VERSION = f"{__version__}-{fingerprint(STATIC_DIR)}"


class Static(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=STATIC_DIR)
        self._gzipped: dict[tuple[str, int, int], bytes] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        versioned = f"v={STATIC_VERSION}".encode() in scope["query_string"].split(b"&")
        response.headers["Cache-Control"] = FOREVER if versioned else "no-cache"
        if not isinstance(response, FileResponse) or Path(response.path).suffix not in COMPRESSIBLE:
            return response
        response.headers["Vary"] = "Accept-Encoding"
        headers = Headers(scope=scope)
        if "gzip" not in headers.get("accept-encoding", "") or "range" in headers:
            return response
        return self._gzip(response)

    def _gzip(self, response: FileResponse) -> Response:
        stat = response.stat_result
        assert stat is not None  # StaticFiles always gives the file's stat
        key = (str(response.path), int(stat.st_mtime_ns), stat.st_size)
        body = self._gzipped.get(key)
        if body is None:
            body = self._gzipped[key] = gzip.compress(
                Path(key[0]).read_bytes(), compresslevel=9, mtime=0
            )
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        headers["Content-Encoding"] = "gzip"
        return Response(body, headers=headers, media_type=response.media_type)
