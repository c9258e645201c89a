"""Coordinator logins: scrypt password hashes, signed session cookies, CSRF tokens, a brake on guessing.

The session cookie is a signed, expiring token (``notifications.tokens``) holding a random session
value that the store knows (logging out deletes it there), HttpOnly and SameSite=Strict. Every form
carries a CSRF token derived from the session (or, before login, from a random cookie of its own),
and a POST also has to come from this site's own origin (scheme, host and port) when the browser
says where it came from. Wrong passwords are counted in the store per user name and per client
(the address the app sees), so that fresh user names from one client are stopped too.

A password is hashed (scrypt, about 40 ms of a core) off the event loop, on a few threads of its
own (``HASH_THREADS``): a flood of logins waits its turn there, while the pages, which run in the
shared thread pool, go on being served. Hashed on the loop, 20 clients logging in with fresh
names cut the public pages from 574 to 3.6 requests/s (issue 25, item 5).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from radar.passwords import hash_password as hash_password  # the login pages' callers find it here
from radar.passwords import unknown_user_hash as unknown_user_hash
from radar.passwords import verify_password as verify_password

SESSION_HOURS = 8
SESSION_COOKIE = "tr_session"
LOGIN_COOKIE = "tr_login"
FAILURES_ALLOWED = 5  # per user name and 15 minutes, counted in the store (every worker, every restart)
CLIENT_FAILURES_ALLOWED = 20  # per client address and 15 minutes: an office behind one address has room
FAILURE_WINDOW = 15 * 60
HASH_THREADS = max(1, (os.cpu_count() or 2) // 2)  # logins hash on at most half the cores
_hashing = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="password-hash")


async def on_hashing_threads(check: Callable[[str, str], bool], password: str, stored: str) -> bool:
    """``check(password, stored)`` (``verify_password``) on the hashing threads, awaited without
    holding the event loop or a thread of the shared pool while it waits its turn."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, check, password, stored)


def csrf_token(secret: str, anchor: str) -> str:
    """Bound to the session (or the login cookie), so a token from another browser is useless."""
    return _b64(hmac.new(secret.encode(), f"csrf|{anchor}".encode(), hashlib.sha256).digest())


def csrf_ok(secret: str, anchor: str, given: str) -> bool:
    """Compared as bytes: ``compare_digest`` raises on a str with a non-ASCII character."""
    return bool(anchor) and hmac.compare_digest(csrf_token(secret, anchor).encode(), (given or "").encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
