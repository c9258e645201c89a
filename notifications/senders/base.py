"""What every sender takes and what it may raise: one small interface for all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (the October report's PDF)."""

    filename: str
    content_type: str  # e.g. "application/pdf"
    data: bytes


@dataclass(frozen=True, slots=True)
class Message:
    """One email. ``key`` is the digest id: the same key twice is the same email."""

    key: str
    to: str  # one address, or several separated by commas
    subject: str
    html: str
    text: str
    from_email: str
    from_name: str
    categories: tuple[str, ...] = ("digest",)
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None  # replies go there, not to the sender (a buyer's dialogue invitation)


class SendError(Exception):
    """Sending failed. ``retryable`` says whether the next run should try again as is."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> str:
        """Deliver ``message``; return the provider's reference for it."""
        ...

    def find(self, key: str) -> str | None:
        """The reference of message ``key`` if the provider already has it, else None.

        Asked after a crash between sending and recording, so that the digest is not sent
        twice. Raises SendError when the provider cannot tell.
        """
        ...
