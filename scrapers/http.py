"""Polite HTTP for every source: robots.txt, a pace per host, timeouts, a size cap, retries.

Only http and https. A descriptive User-Agent. A host's robots.txt is read once per client
and obeyed (a missing one allows everything; one that cannot be fetched blocks nothing but
is reported). 429 and 5xx are retried with backoff, honouring Retry-After; the last error
is a retryable SourceError, so the scheduler can try again later.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from protego import Protego

from scrapers.errors import SourceError

USER_AGENT = (
    "SocialTenderRadar/0.1 (public tender alerts for social enterprises; +https://github.com/social-tender-radar)"
)
ROBOTS_AGENT = "SocialTenderRadar"
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Response:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class PoliteClient:
    source: str
    min_interval: float = 1.0  # seconds between two requests to the same host
    timeout: float = 30.0
    attempts: int = 4
    max_bytes: int = MAX_BYTES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, Protego | None] = field(default_factory=dict)

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", url, headers=headers)

    def post_json(self, url: str, body: bytes) -> Response:
        return self.request("POST", url, body=body, headers={"Content-Type": "application/json"})

    def request(
        self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(self.source, f"only http and https URLs are fetched, not {url!r}")
        if not self.allowed(url):
            raise SourceError(self.source, f"robots.txt of {parts.hostname} does not allow {url}")
        delay = 1.0
        for attempt in range(1, self.attempts + 1):
            self._pace(parts.netloc)
            request = urllib.request.Request(  # ruff: ignore[suspicious-url-open-usage] (scheme checked above)
                url, data=body, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as raw:  # ruff: ignore[suspicious-url-open-usage]
                    data = raw.read(self.max_bytes + 1)
                    if len(data) > self.max_bytes:
                        raise SourceError(self.source, f"{url} is larger than {self.max_bytes} bytes")
                    return Response(url, raw.status, data, dict(raw.headers.items()))
            except urllib.error.HTTPError as exc:
                if exc.code == 304:
                    return Response(url, 304, b"", dict(exc.headers.items()))
                if exc.code != 429 and exc.code < 500:
                    raise SourceError(self.source, f"{method} {url} answered {exc.code} {exc.reason}") from exc
                if attempt == self.attempts:
                    raise SourceError(self.source, f"{method} {url} answered {exc.code} {attempt} times",
                                      retryable=True) from exc  # fmt: skip
                self.sleep(_retry_after(exc.headers.get("Retry-After")) or delay)
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == self.attempts:
                    raise SourceError(self.source, f"cannot fetch {url}: {exc}", retryable=True) from exc
                self.sleep(delay)
            delay *= 2
        raise SourceError(self.source, f"cannot fetch {url}", retryable=True)

    def download(self, url: str, target: Path, max_bytes: int = 2 * 1024**3) -> bool:
        """Stream ``url`` to ``target`` (never whole in memory); False when the server has no such file."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(self.source, f"only http and https URLs are fetched, not {url!r}")
        if not self.allowed(url):
            raise SourceError(self.source, f"robots.txt of {parts.hostname} does not allow {url}")
        self._pace(parts.netloc)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # ruff: ignore[suspicious-url-open-usage]
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as raw, target.open("wb") as out:  # ruff: ignore[suspicious-url-open-usage]
                written = 0
                while chunk := raw.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise SourceError(self.source, f"{url} is larger than {max_bytes} bytes")
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise SourceError(
                self.source, f"GET {url} answered {exc.code}", retryable=exc.code == 429 or exc.code >= 500
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SourceError(self.source, f"cannot fetch {url}: {exc}", retryable=True) from exc
        return True

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        robots = self._robots[origin]
        return True if robots is None else bool(robots.can_fetch(url, ROBOTS_AGENT))

    def _read_robots(self, origin: str) -> Protego | None:
        self._pace(urlsplit(origin).netloc)
        request = urllib.request.Request(f"{origin}/robots.txt", headers={"User-Agent": USER_AGENT})  # ruff: ignore[suspicious-url-open-usage]
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as raw:  # ruff: ignore[suspicious-url-open-usage]
                return Protego.parse(raw.read(512 * 1024).decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):  # RFC 9309: unreachable because forbidden means disallow all
                return Protego.parse("User-agent: *\nDisallow: /")
            return None  # 404 and the like: no robots.txt, nothing is disallowed
        except (urllib.error.URLError, OSError):
            return None

    def _pace(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = self.min_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[host] = self.clock()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def web_link(url: object) -> str | None:
    """A link fit to show a reader: http(s) with a host. A page's ``javascript:`` or ``data:``
    href is dropped here, once, so that no digest or web page has to remember to."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
