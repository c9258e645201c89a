"""URLs as they may be shown or logged: the user info (``user:password@``) of every one replaced.

An operator may put a service account's password in a URL (``http://svc:S3cret@airflow:8080``); an
error message that quotes the URL must not carry it into a log, a run's record or an alert.
"""

from __future__ import annotations

import re

# scheme://, then user info up to the last "@" before the path (a password may hold an unencoded "@")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s'\"<>]*@")


def redacted(text: str) -> str:
    """``text`` with the user info of every URL in it replaced by ``…``: ``http://…@host/path``."""
    return _USERINFO.sub(r"\1…@", text)
