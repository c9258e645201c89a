"""Passwords of logins (coordinators, buyers): scrypt hashes, and reading a new one safely.

Below the web app and the command lines alike, since both create logins; the web app checks them
(``radar.web.auth``), off its event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def hash_password_from_input() -> str:
    """A new login's password, hashed: read from standard input (a prompt on a terminal), never
    from the command line, where other users could see it. Raises ValueError for a weak one."""
    import getpass
    import sys

    return hash_password(sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: "))


@lru_cache(maxsize=1)
def unknown_user_hash() -> str:
    """A hash to check a password against when the user name is unknown: the answer takes as long
    as for a real user, so user names cannot be told apart by timing."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(again, _unb64(digest))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
