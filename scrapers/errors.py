"""Errors a parser or a source raises: each names what failed and where (a URL without its user info:
these messages are logged, kept with the run and sent in alerts)."""

from __future__ import annotations

from tenders.redact import redacted


class ParseError(Exception):
    """A notice or feed that cannot be turned into tenders; ``origin`` says which."""

    def __init__(self, origin: str, reason: str) -> None:
        origin, reason = redacted(origin), redacted(reason)
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class SourceError(Exception):
    """A source that could not be read at all.

    ``retryable`` is true where trying again later can help (the network, a server's 5xx)
    and false where it cannot (a missing path, a wrong configuration). ``blocked`` says the
    service refuses us for now (a bot challenge, a robots.txt that cannot be read): the reason
    then starts with "blocked: ", which is how the source's health tells it apart.
    ``collected`` carries what the run stored before the source failed (set by the pipeline).
    """

    BLOCKED = "blocked: "

    def __init__(self, source: str, reason: str, *, retryable: bool = False, blocked: bool = False) -> None:
        reason = redacted(reason)
        if blocked and not reason.startswith(self.BLOCKED):
            reason = self.BLOCKED + reason
        super().__init__(f"source {source!r}: {reason}")
        self.source = source
        self.reason = reason
        self.retryable = retryable
        self.blocked = blocked
        self.collected: object | None = None


class SourcesFileError(SourceError):
    """A wrong ``sources.yaml``: names the file and the entry."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, reason)
        self.args = (f"{where}: {reason}",)

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class SourceDeadlineError(SourceError):
    """A source stopped at its own total deadline (``source_deadline``): what it stored stays, the
    rest is read again next run. Apart from SourceError so that no caller takes it for a blocked
    or unreadable robots.txt: time ran out, the service refused nothing."""

    def __init__(self, source: str, seconds: float, detail: str = "") -> None:
        super().__init__(source, f"not done within its deadline of {seconds:g} s (source_deadline){detail}; "
                         "what it stored stays, the rest is read again next run", retryable=True)  # fmt: skip
        self.seconds = seconds
