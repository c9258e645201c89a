"""What every sender takes and what it may raise: one small interface for all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    """One email. ``key`` is the digest id: the same key twice is the same email."""

    key: str
    to: str
    subject: str
    html: str
    text: str
    from_email: str
    from_name: str
    categories: tuple[str, ...] = ("digest",)
    headers: dict[str, str] = field(default_factory=dict)


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
