"""A local journal of what a provider accepted, so that a store that fails after acceptance causes no resend.

SMTP has no idempotency key and keeps nothing a client can ask: if the store cannot record the
server's 250 after DATA, the digest looks unsent and used to go again (issue 26: 1 of 6 twice).
So the acceptance is appended here, and the file and its folder fsync'd, before the store is
told; and before any digest is sent or looked up, this journal is read first. One JSON line per
acceptance: ``{"key", "ref", "sender", "at"}``. A line torn by a crash mid-append is ignored, and
the next append starts on a line of its own. Appends take an exclusive ``flock``, so two runs on
one machine never interleave. The journal only grows (about 150 bytes a digest).

It cannot remove every doubt: a server that reads the whole message and then goes silent or
closes may or may not have taken it, and nothing was journalled (``TENDER_RADAR_SMTP_UNSURE``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from notifications.senders.base import LookupUnavailableError, Message, Sender, SendError

log = logging.getLogger(__name__)


class AcceptanceJournal:
    """Append-only, fsync'd: digest key -> the provider's reference (the Message-ID for SMTP)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read_to = 0  # the file is append-only: each read starts where the last whole line ended
        self._file: tuple[int, int] | None = None  # (device, inode): a replaced file is read from its start
        self._accepted: dict[str, str] = {}

    def record(self, key: str, ref: str, sender: str) -> None:
        """Append one acceptance and make it durable (the file, and the folder when the file is new)."""
        line = json.dumps({"key": key, "ref": ref, "sender": sender, "at": datetime.now(UTC).isoformat()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"  # a crash cut the last line short
            os.write(fd, ("\n" if torn else "").encode() + line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        if new:
            _fsync_dir(self.path.parent)

    def accepted(self) -> dict[str, str]:
        """Every acceptance journalled so far. Only what was appended since the last call is read, so
        that a run asking before each digest does not read a long journal once per digest."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return {}
        with handle:
            stat = os.fstat(handle.fileno())
            if self._file != (stat.st_dev, stat.st_ino) or stat.st_size < self._read_to:  # replaced or emptied
                self._file, self._read_to, self._accepted = (stat.st_dev, stat.st_ino), 0, {}
            handle.seek(self._read_to)
            fresh = handle.read()
        whole = fresh.rfind(b"\n") + 1  # a last line without its newline may be an append under way
        self._accepted.update(_parse(fresh[:whole]))
        self._read_to += whole
        return self._accepted

    def find(self, key: str) -> str | None:
        return self.accepted().get(key)


def _parse(data: bytes) -> dict[str, str]:
    accepted: dict[str, str] = {}
    for raw in data.splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:  # a line torn by a crash mid-append, or the fragment before a recovered one
            continue
        if isinstance(entry, dict) and isinstance(entry.get("key"), str) and isinstance(entry.get("ref"), str):
            accepted[entry["key"]] = entry["ref"]
    return accepted


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalledSender:
    """Any sender, with its acceptances journalled before the caller records them, and read before any send."""

    def __init__(self, inner: Sender, journal: AcceptanceJournal) -> None:
        self.inner = inner
        self.journal = journal
        self.name = inner.name

    def send(self, message: Message) -> str:
        """The journalled reference if this digest was accepted before; else send it and journal the acceptance."""
        try:
            earlier = self.journal.find(message.key)
        except OSError as exc:  # not knowing what was accepted, sending could send twice
            raise SendError(f"cannot read the delivery journal {self.journal.path}: {exc}", retryable=True) from exc
        if earlier is not None:
            log.info("digest %s was accepted before (journal): not sent again", message.key)
            return earlier
        ref = self.inner.send(message)
        try:
            self.journal.record(message.key, ref, self.inner.name)
        except OSError as exc:  # the store is still told; only a store failure now could cause a resend
            log.error("accepted digest %s not journalled in %s: %s", message.key, self.journal.path, exc)
        return ref

    def find(self, key: str) -> str | None:
        """The journal first (it knows what SMTP accepted), then the provider."""
        try:
            earlier = self.journal.find(key)
        except OSError as exc:
            raise LookupUnavailableError(f"cannot read the delivery journal {self.journal.path}: {exc}") from exc
        return earlier if earlier is not None else self.inner.find(key)
