"""Signed, expiring tokens for the links in emails (unsubscribe, confirm).

``purpose.subject.expires.signature``, HMAC-SHA256 over the first three parts with the
project's secret: a token made for one purpose cannot be used for another, and a token
whose time has passed is refused even with a good signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from tenders import clock

PROFILE_VALID = 365 * 24 * 3600  # the profile link in every digest
FEEDBACK_VALID = 180 * 24 * 3600  # "relevant / not relevant" on a tender in a digest
VISIT_VALID = 3600  # a tender page opened from a digest: the address people copy carries this one, not the above


class TokenError(ValueError):
    """A token that is forged, damaged, for another purpose, or expired."""


def make_token(secret: str, purpose: str, subject: str, *, valid_for: float, now: float | None = None) -> str:
    expires = int((now if now is not None else clock.time()) + valid_for)
    body = f"{purpose}.{_b64(subject.encode())}.{expires}"
    return f"{body}.{_sign(secret, body)}"


def read_token(secret: str, token: str, purpose: str, *, now: float | None = None) -> str:
    """The subject of a valid token for ``purpose``; TokenError says why one is refused."""
    parts = token.split(".")
    if len(parts) != 4:
        raise TokenError("not a token")
    kind, subject, expires, signature = parts
    if not token.isascii() or not hmac.compare_digest(signature, _sign(secret, f"{kind}.{subject}.{expires}")):
        raise TokenError("bad signature")
    if kind != purpose:
        raise TokenError(f"a {kind} token, not a {purpose} token")
    if not expires.isdigit() or int(expires) < (now if now is not None else clock.time()):
        raise TokenError("expired")
    try:
        return base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise TokenError("damaged") from None


def profile_token(secret: str, subscriber: str) -> str:
    return make_token(secret, "profile", subscriber, valid_for=PROFILE_VALID)


def feedback_token(secret: str, subscriber: str) -> str:
    return make_token(secret, "feedback", subscriber, valid_for=FEEDBACK_VALID)


def visit_token(secret: str, subscriber: str) -> str:
    """What a tender page opened from a digest carries instead of the 180-day feedback token: it
    lets the visitor say "we are interested" for an hour, so a copied address soon stops doing so."""
    return make_token(secret, "visit", subscriber, valid_for=VISIT_VALID)


def interest_subscriber(secret: str, token: str) -> str:
    """The subscriber of a feedback token (a digest's link) or a visit token (a tender page); else TokenError."""
    return read_token(secret, token, "visit" if token.startswith("visit.") else "feedback")


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
