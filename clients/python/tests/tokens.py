"""Access tokens signed with the test daemon's key, to reach the cases a real
session cannot reach quickly (an expired token)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Dict


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def expired_copy(token: str, secret: bytes, seconds_ago: int = 600) -> str:
    """The same token (same claims, header and key id), with ``iat`` and
    ``exp`` moved into the past, signed again with ``secret``."""
    header, payload, _ = token.split(".")
    claims: Dict[str, Any] = json.loads(_b64decode(payload))
    lifetime = int(claims["exp"]) - int(claims["iat"])
    claims["exp"] = int(time.time()) - seconds_ago
    claims["iat"] = claims["exp"] - lifetime
    body = header + "." + _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return body + "." + _b64encode(signature)
