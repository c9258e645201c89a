"""Files and folders only their owner may read: the database (password hashes, addresses, consent
IPs), its WAL, the outbox (whole emails), the secret key. Made so from the start, not afterwards."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) with the new folders 0700; an existing folder is left as it is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, and make it (and SQLite's -wal, -shm and lock files) 0600."""
    private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(0o600)
    return path
