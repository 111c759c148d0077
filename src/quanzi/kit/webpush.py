"""Web Push, the mechanism: a server key (VAPID, RFC 8292), a payload encrypted to one
browser's subscription (RFC 8291, `aes128gcm`; the draft `aesgcm` for older Mastodon apps),
and the request that hands it to the push service. Which events become pushes, and what they
say, is the domain's (`domain/push/`).

The encryption and the VAPID signature are web-push-libs' `http_ece` and `py_vapid`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

# The order of P-256's group: a private key is a number in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_UNCOMPRESSED = (serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ServerKey:
    """The server's VAPID key pair, derived from the server secret: every process has the same
    one without storing it, and browsers' subscriptions (made to its public key) stay valid
    across restarts. `public` is what a client passes as `applicationServerKey`."""

    def __init__(self, secret: bytes, subject: str) -> None:
        seed = hmac.digest(secret, b"quanzi web push vapid v1", "sha256")
        number = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
        self.private = ec.derive_private_key(number, ec.SECP256R1())
        self.public = b64url(self.private.public_key().public_bytes(*_UNCOMPRESSED))
        self.subject = subject
        self._vapid = Vapid02(self.private, conf={"no-strict": True})
        self._signed: dict[str, tuple[float, str]] = {}

    def authorization(self, endpoint: str) -> str:
        """The `Authorization` header for a request to `endpoint`'s push service: a JWT for its
        origin, valid 12 hours, reused for 6."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._signed.get(audience)
        if cached is not None and cached[0] > now:
            return cached[1]
        claims = {"aud": audience, "exp": int(now) + 12 * 3600, "sub": self.subject}
        header = str(self._vapid.sign(claims)["Authorization"])
        self._signed[audience] = (now + 6 * 3600, header)
        return header


@dataclass(frozen=True, slots=True)
class Sealed:
    """A payload encrypted for one subscription, with the headers that go with it."""

    body: bytes
    headers: dict[str, str]


def seal(payload: bytes, p256dh: str, auth: str, *, standard: bool = True) -> Sealed:
    """Encrypt `payload` to a subscription's keys with a new ephemeral key.

    Raises ValueError for keys that are not a P-256 point and a 16-byte secret."""
    try:
        receiver = b64url_decode(p256dh)
        secret = b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver)
    except (ValueError, TypeError) as bad:
        raise ValueError("not a P-256 public key") from bad
    if len(secret) != 16:
        raise ValueError("the auth secret is not 16 bytes")
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    if standard:
        body = http_ece.encrypt(
            payload, private_key=ephemeral, dh=receiver, auth_secret=secret, version="aes128gcm"
        )
        return Sealed(body, {"Content-Encoding": "aes128gcm"})
    salt = os.urandom(16)
    body = http_ece.encrypt(
        payload,
        salt=salt,
        private_key=ephemeral,
        dh=receiver,
        auth_secret=secret,
        version="aesgcm",
    )
    sender = b64url(ephemeral.public_key().public_bytes(*_UNCOMPRESSED))
    return Sealed(
        body,
        {
            "Content-Encoding": "aesgcm",
            "Encryption": f"salt={b64url(salt)}",
            "Crypto-Key": f"dh={sender}",
        },
    )


def check_endpoint(endpoint: str, *, allow_private: bool) -> str:
    """A push endpoint the server may POST to, or ValueError: an https URL (http too when
    `allow_private`) whose host is a name or a public address. Names are checked again when
    sending (`public_address`), since what they resolve to can change."""
    if len(endpoint) > 2000:
        raise ValueError("too long")
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ValueError("not an https URL")
    if not allow_private:
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return endpoint
        if not address.is_global:
            raise ValueError("not a public address")
    return endpoint


def public_address(endpoint: str) -> bool:
    """Whether every address `endpoint`'s host resolves to is public (no loopback, private,
    link-local or reserved address: a subscription must not make the server call inside its
    own network)."""
    parts = urlsplit(endpoint)
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(f[4][0]).is_global for f in found)


def fingerprint(endpoint: str) -> str:
    """A short stable name for an endpoint, for logs (never the URL: it is a capability)."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:12]


class PushClient:
    """Hands sealed payloads to push services over one HTTP client (made on first use, so a
    process that never pushes opens none). Redirects are not followed: a push service answers
    where it was asked."""

    def __init__(self, key: ServerKey, *, timeout: float = 10.0) -> None:
        self.key = key
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None

    async def post(self, endpoint: str, sealed: Sealed, *, ttl: int, urgency: str) -> int:
        """POST one push (RFC 8030); the push service's status code. Network errors raise."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        headers = {
            "Authorization": self.key.authorization(endpoint),
            "TTL": str(ttl),
            "Urgency": urgency,
            "Content-Type": "application/octet-stream",
            **sealed.headers,
        }
        response = await self._http.post(endpoint, content=sealed.body, headers=headers)
        return response.status_code

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
