"""Polite, guarded HTTP for every source: who we are, how fast, where to, how much, how long.

- **Who**: ``Mozilla/5.0 (compatible; SocialTenderRadar/<version>; +<contact>)``, the contact
  being the operator's address or URL (``TENDER_RADAR_CONTACT``). No contact, no HTTP: a
  service that wants to tell us to slow down must be able to. Never a browser disguise.
- **How fast**: one pace per host for the whole process, whatever the number of sources
  (:class:`Pacer`); a source may raise a host's floor (TED's notice downloads).
- **Where to**: http and https only; every hop of a redirect is checked again (scheme,
  address, robots.txt); loopback, private and link-local addresses are refused unless the
  source says ``allow_private: true`` (tests on loopback). robots.txt is read per origin: a
  missing one allows everything, 401/403 and 5xx or an unreachable one mean "disallow for
  now" (RFC 9309), which is reported as the source being blocked.
- **How much**: bodies are streamed and cut at ``max_bytes``.
- **How long**: ``timeout`` per read and ``deadline`` for the whole request, so a server
  dripping a byte every few seconds is dropped; ``stop_at``, the source's own total deadline,
  across every request and every retry of its run: no try runs and no backoff sleeps past it,
  so a server that accepts and never answers costs its source that deadline at most, not
  ``attempts`` times the read timeout; ``Retry-After`` is honoured up to
  ``max_retry_after`` (beyond that the source fails for this run; the scheduler tries later).
  A 429 without Retry-After waits out the window its body states ("12 request limit in 2
  minute exceeded": 120 s) or ``rate_window`` seconds, else the usual backoff. A service that
  throttles with 403 (Contracts Finder) says so with ``throttle_403`` (seconds to wait).
- **Retries**: only what a retry can fix (429, 5xx, a dropped connection) is tried again,
  ``attempts`` times in all, with backoff. A server that does not answer within ``timeout``
  (10 s per connect or read) is not asked again in the same run: a server that accepts and stays
  silent stays so for longer than a backoff, and four tries of it cost the run 4 x 30 s (issue 26).
  Its source fails for this run, retryably; the next run asks again. Any other 4xx is tried once. A 2xx other than
  200/206, an ``x-amzn-waf-action`` header whatever the status (AWS WAF's CAPTCHA answers 405),
  or (where the caller says what it expects) an
  empty or wrong-kind body is a bot challenge, not content: it is not asked again at once but
  raised as a retryable, *blocked* SourceError, and the source decides when to stop.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from scrapers.errors import SourceDeadlineError, SourceError

ROBOTS_AGENT = "SocialTenderRadar"
MAX_BYTES = 50 * 1024 * 1024  # one page, feed or API answer
MAX_RETRY_AFTER = 15 * 60.0  # seconds: a longer wait fails the source for this run instead
DEADLINE = 300.0  # seconds for one whole request, redirects and body included
TIMEOUT = 10.0  # seconds to connect, and between two reads: a healthy server answers well within it
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHALLENGE_HEADER = "x-amzn-waf-action"
_CONTACT = re.compile(r"^(?:[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+|https?://[^\s<>]+)$")


def _version() -> str:
    try:
        return version("social-tender-radar")
    except PackageNotFoundError:
        return "0"


def user_agent(contact: str) -> str:
    """What every request says about us: a bot, its version, and how to reach its operator."""
    return f"Mozilla/5.0 (compatible; SocialTenderRadar/{_version()}; +{contact})"


def check_contact(source: str, contact: str | None) -> str:
    """The operator's contact, or a SourceError saying how to set it."""
    value = (contact or "").strip()
    if not value:
        raise SourceError(
            source,
            "set TENDER_RADAR_CONTACT to an e-mail address or a URL where the services can reach the operator: "
            "an HTTP source is not read without it",
        )
    if not _CONTACT.match(value):
        raise SourceError(source, f"TENDER_RADAR_CONTACT {value!r} is not an e-mail address or an http(s) URL")
    return value


@dataclass
class Pacer:
    """The pace per host: a minimum interval between two requests to one host (the larger of
    the client's own and the host's floor), shared by every client in the process, and with
    ``directory`` (for the default pacer: ``TENDER_RADAR_PACE_DIR``) by every process on the
    machine, through a small locked file per host. Airflow runs sources in parallel processes;
    the service counts requests per IP, not per process."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    directory: Path | None = None
    from_env: bool = False  # read TENDER_RADAR_PACE_DIR at each request (the default pacer)
    _last: dict[str, float] = field(default_factory=dict)
    _floor: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def floor(self, host: str, interval: float) -> None:
        """At least ``interval`` seconds between requests to ``host``, for every client."""
        with self._lock:
            self._floor[host] = max(interval, self._floor.get(host, 0.0))

    def wait(self, host: str, interval: float) -> None:
        with self._lock:
            gap = max(interval, self._floor.get(host, 0.0))
            env = os.environ.get("TENDER_RADAR_PACE_DIR") if self.from_env else None
            shared = self.directory or (Path(env) if env else None)
            if shared is not None:
                self._wait_shared(shared, host, gap)
                return
            last = self._last.get(host)
            wait = gap - (self.clock() - last) if last is not None else 0.0
            if wait > 0:
                self.sleep(wait)
            self._last[host] = self.clock()

    def _wait_shared(self, directory: Path, host: str, gap: float) -> None:
        """The last request's wall-clock time per host in a file, read and written under an
        exclusive lock held through the wait, so processes take their turns."""
        directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9.-]", "_", host)
        with (directory / name).open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read().strip()
            last = float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else None
            wait = gap - (time.time() - last) if last is not None else 0.0
            if wait > 0:
                self.sleep(min(wait, gap))  # a clock set back cannot make a process wait for ever
            handle.seek(0)
            handle.truncate()
            handle.write(f"{time.time():.6f}")
            handle.flush()


PACER = Pacer(from_env=True)


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # where the answer finally came from (after redirects)
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _RetryError(Exception):
    """An answer that trying again may fix."""

    def __init__(self, reason: str, retry_after: float | None = None, *, challenge: bool = False,
                 silent: bool = False) -> None:  # fmt: skip
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.challenge = challenge
        self.silent = silent  # no answer within the timeout: asked again by the next run, not this one


class HTTPStatusError(SourceError):
    """A 4xx answer that no retry fixes; ``status`` says which."""

    def __init__(self, source: str, reason: str, status: int) -> None:
        super().__init__(source, reason)
        self.status = status


@dataclass
class PoliteClient:
    source: str
    contact: str | None = None
    min_interval: float = 1.0  # seconds between two requests to the same host
    timeout: float = TIMEOUT  # seconds per connect or read
    deadline: float = DEADLINE  # seconds for a whole request
    attempts: int = 4
    backoff: float = 1.0  # seconds before the second try; doubled after each
    max_bytes: int = MAX_BYTES
    max_retry_after: float = MAX_RETRY_AFTER
    rate_window: float | None = None  # seconds a 429 without Retry-After waits (else the window its body states)
    throttle_403: float | None = None  # seconds a 403 waits, for a service that throttles with 403
    allow_private: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    pacer: Pacer | None = None
    stop_at: float | None = None  # time.monotonic() at which the source's total deadline passes
    budget: float = 0.0  # that deadline in seconds, for the message
    tries: int = 0  # requests sent, robots.txt included (for health and tests)
    _robots: dict[str, Protego | str | None] = field(default_factory=dict)
    _http: httpx.Client | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.pacer is None:
            own = self.sleep is not time.sleep or self.clock is not time.monotonic
            self.pacer = Pacer(self.sleep, self.clock) if own else PACER

    # -- the public calls -------------------------------------------------------------

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        expect: str | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        return self.request("GET", url, headers=headers, expect=expect, max_bytes=max_bytes)

    def exists(self, url: str) -> bool:
        """A HEAD request: whether the server has ``url`` (404/410: no)."""
        try:
            self.request("HEAD", url)
        except HTTPStatusError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    def post_json(self, url: str, body: bytes) -> Response:
        return self.request("POST", url, body=body, headers={"Content-Type": "application/json"}, expect="json")

    def download(self, url: str, target: Path, max_bytes: int = 2 * 1024**3, *, expect: str | None = None) -> bool:
        """Stream ``url`` to ``target`` (never whole in memory); False when the server has no such file."""
        try:
            with target.open("wb") as sink:
                self.request("GET", url, sink=sink, max_bytes=max_bytes, expect=expect)
        except HTTPStatusError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sink: BinaryIO | None = None,
        max_bytes: int | None = None,
        expect: str | None = None,
    ) -> Response:
        """One request, retried only for what a retry can fix. ``expect`` ("xml", "json",
        "gzip") refuses an empty or wrong-kind 200, which is how a bot challenge looks."""
        agent = user_agent(check_contact(self.source, self.contact))
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            self._time_left(method, url)
            try:
                if sink is not None:
                    sink.seek(0)
                    sink.truncate()
                return self._follow(method, url, body, {**(headers or {}), "User-Agent": agent},
                                    sink, max_bytes or self.max_bytes, expect)  # fmt: skip
            except _RetryError as exc:
                if exc.challenge:  # asking again at once only makes it worse: the caller decides
                    raise SourceError(self.source, f"{method} {url}: {exc.reason}", retryable=True,
                                      blocked=True) from None  # fmt: skip
                if attempt == self.attempts:
                    raise SourceError(self.source, f"{method} {url}: {exc.reason} ({attempt} tries)",
                                      retryable=True) from None  # fmt: skip
                if exc.silent:  # a server that accepts and stays silent stays so for seconds: not this run
                    raise SourceError(self.source, f"{method} {url}: {exc.reason}; asked again on the next run",
                                      retryable=True) from None  # fmt: skip
                wait = exc.retry_after if exc.retry_after is not None else delay
                if wait > self.max_retry_after:
                    raise SourceError(self.source, f"{method} {url}: asked to wait {wait:.0f} s (Retry-After), more "
                                      f"than {self.max_retry_after:.0f} s; tried again on the next run",
                                      retryable=True) from None  # fmt: skip
                if wait >= self._time_left(method, url, exc.reason):
                    raise self._overrun(method, url, exc.reason) from None
                self.sleep(wait)
                delay *= 2
        raise AssertionError("unreachable")  # the loop returns or raises

    def _time_left(self, method: str, url: str, reason: str = "") -> float:
        """Seconds left before the source's total deadline; none left is the SourceError naming it."""
        if self.stop_at is None:
            return float("inf")
        left = self.stop_at - time.monotonic()
        if left <= 0:
            raise self._overrun(method, url, reason)
        return left

    def _overrun(self, method: str, url: str, reason: str = "") -> SourceDeadlineError:
        where = f": stopped at {method} {url}" + (f" ({reason})" if reason else "")
        return SourceDeadlineError(self.source, self.budget, where)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us read ``url`` (a robots.txt that cannot be read: not now)."""
        robots = self._robots_for(url, user_agent(check_contact(self.source, self.contact)))
        return not isinstance(robots, str) and (robots is None or bool(robots.can_fetch(url, ROBOTS_AGENT)))

    def _pace(self, host: str) -> None:
        assert self.pacer is not None
        self.pacer.wait(host, self.min_interval)

    # -- the machinery ----------------------------------------------------------------

    def _check_target(self, url: str) -> tuple[str, str | None]:
        """The host to pace and the address to connect to: the address that was checked, so a
        name that resolves elsewhere a moment later (DNS rebinding) cannot lead inwards."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(self.source, f"only http and https URLs are fetched, not {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise SourceError(self.source, f"{url!r} has no valid port") from None
        if self.allow_private:
            return parts.netloc, None
        try:
            found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise _RetryError(f"cannot resolve {parts.hostname}: {exc}") from None
        addresses = []
        for info in found:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if not address.is_global or address.is_multicast:
                raise SourceError(self.source, f"{parts.hostname} is a private, loopback or link-local address "
                                  f"({address}); refused (set allow_private: true only for a test)")  # fmt: skip
            addresses.append(address)
        if not addresses:
            raise _RetryError(f"cannot resolve {parts.hostname}")
        return parts.netloc, str(addresses[0])

    def _robots_for(self, url: str, agent: str) -> Protego | str | None:
        """The parsed robots.txt of ``url``'s origin; a string when it cannot be read (= disallow)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin, agent)
        return self._robots[origin]

    def _read_robots(self, origin: str, agent: str) -> Protego | str | None:
        """robots.txt, tried like any request; 401/403 disallow all, another 4xx allows all,
        and one that cannot be read (5xx, 429, the network) disallows for now (RFC 9309)."""
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                answer = self._follow("GET", f"{origin}/robots.txt", None, {"User-Agent": agent}, None, 512 * 1024,
                                      None, robots=False)  # fmt: skip
            except SourceDeadlineError:
                raise  # time ran out: not a robots.txt that refuses us
            except HTTPStatusError as exc:
                if exc.status in (401, 403):
                    return Protego.parse("User-agent: *\nDisallow: /")
                return None  # 404 and the like: no robots.txt, nothing is disallowed
            except _RetryError as exc:
                if exc.silent:  # a silent server, not a refusal: the source fails for this run, not "blocked"
                    raise SourceError(self.source, f"robots.txt of {urlsplit(origin).hostname}: {exc.reason}; "
                                      "asked again on the next run", retryable=True) from None  # fmt: skip
                wait = exc.retry_after if exc.retry_after is not None else delay
                if self.stop_at is not None and time.monotonic() + wait >= self.stop_at and not exc.challenge:
                    raise self._overrun("GET", f"{origin}/robots.txt", exc.reason) from None
                if exc.challenge or attempt == self.attempts or wait > self.max_retry_after:
                    host = urlsplit(origin).hostname
                    return f"robots.txt of {host} cannot be read ({exc.reason}): disallowed for now"
                self.sleep(wait)
                delay *= 2
                continue
            except SourceError as exc:
                return f"robots.txt of {urlsplit(origin).hostname} cannot be read ({exc.reason}): disallowed for now"
            return Protego.parse(answer.body.decode("utf-8", "replace"))
        return None  # attempts < 1: never reached

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(follow_redirects=False, timeout=httpx.Timeout(self.timeout), trust_env=False)
        return self._http

    def _follow(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        sink: BinaryIO | None,
        limit: int,
        expect: str | None,
        *,
        robots: bool = True,
    ) -> Response:
        """One try: every hop of a redirect checked again (scheme, address, robots.txt). A
        watchdog closes the connection at the deadline, so a server dripping its headers (which
        no read timeout catches) is dropped too."""
        started = time.monotonic()
        client = self._client()
        expired = threading.Event()
        left = self._time_left(method, url)  # the source's deadline comes first when it is nearer
        limit_s = min(self.deadline, left)

        def expire() -> None:
            expired.set()
            client.close()

        watchdog = threading.Timer(limit_s, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._hops(client, method, url, body, headers, sink, limit, expect, started, robots,
                              min(self.timeout, left))  # fmt: skip
        except (_RetryError, httpx.HTTPError, OSError) as exc:
            if left <= self.deadline and time.monotonic() - started >= left:
                raise self._overrun(method, url, getattr(exc, "reason", "")) from None
            if expired.is_set():
                raise SourceError(self.source, f"{url} took longer than {self.deadline:.0f} s in all; dropped",
                                  retryable=True) from None  # fmt: skip
            raise
        finally:
            watchdog.cancel()
            if expired.is_set():
                self._http = None  # the closed client is not used again

    def _hops(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        sink: BinaryIO | None,
        limit: int,
        expect: str | None,
        started: float,
        robots: bool,
        timeout: float,
    ) -> Response:
        for _hop in range(MAX_REDIRECTS + 1):
            host, address = self._check_target(url)
            if robots:
                rules = self._robots_for(url, headers["User-Agent"])
                if isinstance(rules, str):
                    raise SourceError(self.source, rules, retryable=True, blocked=True)
                if rules is not None and not rules.can_fetch(url, ROBOTS_AGENT):
                    raise SourceError(self.source, f"robots.txt of {urlsplit(url).hostname} does not allow {url}")
            self._pace(host)
            self.tries += 1
            try:
                wire, sent, extensions = url, headers, {}
                if address is not None:  # connect to the address checked, by name for Host and TLS
                    parts = urlsplit(url)
                    pinned = f"[{address}]" if ":" in address else address
                    wire = parts._replace(netloc=pinned + (f":{parts.port}" if parts.port else "")).geturl()
                    sent = {**headers, "Host": parts.netloc}
                    extensions = {"sni_hostname": parts.hostname or ""}
                with client.stream(method, wire, content=body, headers=sent, extensions=extensions,
                                   timeout=httpx.Timeout(timeout)) as raw:  # fmt: skip
                    if raw.status_code in REDIRECTS and raw.headers.get("Location"):
                        url = urljoin(url, raw.headers["Location"])
                        if raw.status_code == 303 or (raw.status_code in (301, 302) and method == "POST"):
                            method, body = "GET", None
                        continue
                    return self._answer(raw, method, url, sink, limit, expect, started)
            except httpx.TimeoutException as exc:
                what = type(exc).__name__
                raise _RetryError(f"cannot fetch {url}: timed out, no answer within {timeout:g} s ({what})",
                                  silent=True) from None  # fmt: skip
            except httpx.HTTPError as exc:
                raise _RetryError(f"cannot fetch {url}: {exc}") from None
        raise SourceError(self.source, f"{url}: more than {MAX_REDIRECTS} redirects")

    def _answer(
        self,
        raw: httpx.Response,
        method: str,
        url: str,
        sink: BinaryIO | None,
        limit: int,
        expect: str | None,
        started: float,
    ) -> Response:
        status = raw.status_code
        headers = httpx.Headers(raw.headers)  # looked up without regard to case, as HTTP says
        action = raw.headers.get(CHALLENGE_HEADER)
        if action or (200 < status < 300 and status != 206):  # before the status: AWS WAF's CAPTCHA is a 405
            raise _RetryError(f"answered {status}" + (f" with {CHALLENGE_HEADER}: {action}" if action else "")
                         + ", a bot challenge, not content", challenge=True)  # fmt: skip
        if status == 304:
            return Response(url, 304, b"", headers)
        if status == 429 or status >= 500:
            wait = _retry_after(raw.headers.get("Retry-After"))
            if wait is None and status == 429:  # a count per window without Retry-After: wait the window out
                wait = self.rate_window if self.rate_window is not None else _stated_window(raw)
            raise _RetryError(f"answered {status}", wait)
        if status == 403 and self.throttle_403 is not None:  # this service's way of saying "slow down"
            raise _RetryError(f"answered 403 (its throttle: waiting {self.throttle_403:.0f} s)", self.throttle_403)
        if status >= 300:
            raise HTTPStatusError(self.source, f"{method} {url} answered {status} {raw.reason_phrase}", status)
        size = 0
        chunks: list[bytes] = []
        head = b""
        for chunk in raw.iter_bytes():  # as they arrive, so the deadline is seen between them
            size += len(chunk)
            if size > limit:
                raise SourceError(self.source, f"{url} is larger than {limit} bytes; not read")
            if time.monotonic() - started > self.deadline:
                raise SourceError(self.source, f"{url} took longer than {self.deadline:.0f} s in all; dropped",
                                  retryable=True)  # fmt: skip
            self._time_left(method, url)
            if len(head) < 64:
                head += chunk[:64]
            if sink is not None:
                sink.write(chunk)
            else:
                chunks.append(chunk)
        _expect(expect, head, size)
        return Response(url, status, b"".join(chunks), headers)


def _expect(kind: str | None, head: bytes, size: int) -> None:
    """An empty or wrong-kind 200 is what a challenge or an error page looks like: try again later."""
    if kind is None:
        return
    if size == 0:
        raise _RetryError("answered 200 with an empty body", challenge=True)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    ok = {"gzip": head.startswith(b"\x1f\x8b"), "xml": start.startswith(b"<"), "json": start[:1] in (b"{", b"[")}
    if not ok.get(kind, True):
        raise _RetryError(f"answered 200 with something else than {kind} ({head[:16]!r}...)", challenge=True)


_WINDOW = re.compile(rb"(\d+) request limit in (\d+) minutes? exceeded", re.IGNORECASE)


def _stated_window(raw: httpx.Response) -> float | None:
    """The window a 429's body names: Find a Tender says "12 request limit in 2 minute exceeded"
    and sends no Retry-After (open-contracting/kingfisher-collect issue #1215)."""
    head = b""
    for chunk in raw.iter_bytes():
        head += chunk
        if len(head) >= 1024:
            break
    found = _WINDOW.search(head[:1024])
    return float(found.group(2)) * 60 if found else None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def same_site(url: str, base: str, allowed: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether a link found on ``base``'s pages may be followed: the same host (or one is a
    subdomain of the other, as www.), or a host in the source's allow-list; http(s) only."""
    parts, home = urlsplit(url), urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or not home.hostname:
        return False
    host, own = parts.hostname.lower(), home.hostname.lower()
    if parts.port != home.port and host == own:
        return False
    related = host == own or host.endswith("." + own) or own.endswith("." + host)
    return related or host in {h.lower() for h in allowed}


def web_link(url: object) -> str | None:
    """A link fit to show a reader: http(s) with a host. A page's ``javascript:`` or ``data:``
    href is dropped here, once, so that no digest or web page has to remember to."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
