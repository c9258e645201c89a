"""Coordinator logins: scrypt password hashes, signed session cookies, CSRF tokens, a brake on guessing.

The session is a signed, expiring token (``notifications.tokens``) in an HttpOnly,
SameSite=Strict cookie; every form carries a CSRF token derived from the session (or,
before login, from a random cookie of its own) and a POST also has to come from this
site's own origin when the browser says where it came from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import defaultdict, deque

from tenders import clock

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SESSION_HOURS = 8
SESSION_COOKIE = "tr_session"
LOGIN_COOKIE = "tr_login"
FAILURES_ALLOWED = 5  # per user name and 15 minutes
FAILURE_WINDOW = 15 * 60


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(again, _unb64(digest))


def csrf_token(secret: str, anchor: str) -> str:
    """Bound to the session (or the login cookie), so a token from another browser is useless."""
    return _b64(hmac.new(secret.encode(), f"csrf|{anchor}".encode(), hashlib.sha256).digest())


def csrf_ok(secret: str, anchor: str, given: str) -> bool:
    return bool(anchor) and hmac.compare_digest(csrf_token(secret, anchor), given or "")


class Brake:
    """Refuses a user name after too many wrong passwords in a short time."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, username: str, now: float | None = None) -> bool:
        now = now or clock.time()
        recent = self.failures[username.lower()]
        while recent and recent[0] < now - FAILURE_WINDOW:
            recent.popleft()
        return len(recent) >= FAILURES_ALLOWED

    def failed(self, username: str) -> None:
        self.failures[username.lower()].append(clock.time())

    def succeeded(self, username: str) -> None:
        self.failures.pop(username.lower(), None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
