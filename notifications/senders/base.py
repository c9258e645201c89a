"""What every sender takes and what it may raise: one small interface for all of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

# Characters no header written from data may hold: C0 and C1 controls (CR, LF, NUL, ESC, tab), DEL, the
# Unicode line and paragraph separators (str.splitlines breaks there) and the bidi embeddings, overrides
# and isolates (a subject must read as it is stored).
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def header_text(value: str) -> str:
    """Text from data made fit for a header (a subject, a display name), whatever the interpreter.

    Control characters become spaces and runs of white space one space. ``=?`` becomes ``=``, a
    no-break space and ``?`` (no folding can take that space out), so that no RFC 2047 encoded word
    survives: the email package decodes one found in a value it is given (``=?utf-8?q?=0D=0A?=`` is
    a line break), and before CPython 3.11.10 and 3.12.5 (CVE-2024-6923) it wrote the decoded line
    break as is, starting a header of the data's choosing.
    The email package encodes the result itself where it needs to.
    """
    return " ".join(_HEADER_UNSAFE.sub(" ", value).split()).replace("=?", "=\u00a0?")


def header_address(value: str, what: str) -> str:
    """``value`` if it is one or more addresses fit for a header; SendError (not retryable) if not.

    An address cannot be rewritten as a subject can: one with a control character or an encoded
    word (``=?`` is legal in a local part) is refused, and the message is held, not sent.
    """
    if _HEADER_UNSAFE.search(value) or "=?" in value:
        raise SendError(f"{what} {value!r} holds a control character or an encoded word", retryable=False)
    return value


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

    def __post_init__(self) -> None:
        # Every message the project sends is built here: its subject and sender name come from data
        # (a tender's title, an organisation's name) and are made header-safe once, for every sender.
        object.__setattr__(self, "subject", header_text(self.subject))
        object.__setattr__(self, "from_name", header_text(self.from_name))

    def checked_addresses(self) -> None:
        """Raise SendError (not retryable) if an address or an extra header could change the headers."""
        header_address(self.to, "To")
        header_address(self.from_email, "From")
        if self.reply_to:
            header_address(self.reply_to, "Reply-To")
        for name, value in self.headers.items():
            header_address(value, name)


class SendError(Exception):
    """Sending failed. ``retryable`` says whether the next run should try again as is.

    ``maybe_sent``: the request may have reached the provider (its answer was lost, or was an
    error that can follow acceptance). Such a message is never sent again blindly: the next run
    asks the provider first (``Sender.find``). ``rate_limited``: the provider wants no more
    requests for now, so the run stops sending and leaves the rest for the next one. ``timed_out``:
    the provider did not answer within the timeout; the run stops sending too, so that a silent
    provider costs one timeout per run, not one per digest.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        maybe_sent: bool = False,
        rate_limited: bool = False,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.maybe_sent = maybe_sent
        self.rate_limited = rate_limited
        self.timed_out = timed_out


class LookupUnavailableError(SendError):
    """The provider cannot say now whether it has a message (``Sender.find``).

    ``permanent``: it never will with this account (SendGrid's Email Activity API without its
    add-on answers 403), so waiting is pointless.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, rate_limited: bool = False, timed_out: bool = False
    ) -> None:
        super().__init__(message, retryable=not permanent, rate_limited=rate_limited, timed_out=timed_out)
        self.permanent = permanent


class PartlyRefusedError(SendError):
    """The server refused some recipients (address -> (code, text)); ``reference`` is None when it
    refused every one. Otherwise not a failure of the whole message: the accepted recipients have
    it, and sending it again would give them a second copy. (A SendError, so that a caller that
    sends one-off mail, an alert or a confirmation, handles it as any failure.)
    """

    def __init__(self, reference: str | None, refused: dict[str, tuple[int, str]]) -> None:
        super().__init__(
            ", ".join(f"{a} refused ({code} {text})" for a, (code, text) in sorted(refused.items())),
            retryable=any(code < 500 for code, _ in refused.values()),
        )
        self.reference = reference
        self.refused = refused

    def permanent(self) -> dict[str, tuple[int, str]]:
        return {a: r for a, r in self.refused.items() if r[0] >= 500}

    def temporary(self) -> dict[str, tuple[int, str]]:
        return {a: r for a, r in self.refused.items() if r[0] < 500}


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> str:
        """Deliver ``message``; return the provider's reference for it.

        Raises SendError (with ``maybe_sent`` when the provider may have it after all), or
        PartlyRefusedError when some recipients were refused and the others got it.
        """
        ...

    def find(self, key: str) -> str | None:
        """The reference of message ``key`` if the provider already has it, else None.

        Asked after a crash between sending and recording, or after an answer that was lost, so
        that the digest is not sent twice. Raises LookupUnavailableError when the provider cannot tell.
        """
        ...
