"""Alert e-mails read over IMAP (``mailbox``): one tender per procurement an alert lists.

Sweden's advertising databases have no open feed, but each sends a registered supplier free
alert e-mails (by CPV code and region), and buyers send newsletters. A coordinator registers
a mailbox for them; this source reads its unread messages from the senders it lists.

Options: ``host``, ``port`` (993), ``security`` (``ssl``, ``starttls``, or ``none``, the last
only with ``allow_private: true``, for a server on this machine), ``folder`` (INBOX),
``senders`` (required: addresses or ``@domain``s whose mail is read; anything else is left
alone), ``user_env``/``password_env`` (the names of the environment variables holding the
credentials, by default TENDER_RADAR_MAILBOX_USER and TENDER_RADAR_MAILBOX_PASSWORD),
``max_message_bytes`` (2 MB), ``link_pattern`` (a regular expression a procurement's link
matches; by default every web link but the alert's own account and unsubscribe links),
``language``, ``nuts``, ``country``.

Each link to an ad becomes one tender: the link's text as its title, the text around it as
its description, and a deadline or buyer where that text labels one. A mail with no such
link becomes one tender from its subject and text. A message is marked read only after the
run has stored what it held; one too big, or one that cannot be read, is reported in the
run's errors and flagged (and marked read) in the mailbox for a person to look at: skipped,
never lost silently. So is one of more than 100 parts or with parts nested more than 20 deep
(250 nested multiparts, 18 kB, once took the whole source down with a RecursionError): the
message is read from the server's own bytes by a parser that stops counting at the cap.

A From address can be forged: ``senders`` keeps out what is not an alert, not an attacker. Use
a mailbox that only alert services write to; whatever a message says is treated as untrusted
text (links must be http(s), everything is escaped where it is shown).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import imaplib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import Policy
from email.utils import parseaddr, parsedate_to_datetime
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar

from bs4 import BeautifulSoup
from bs4.element import CData, NavigableString, PageElement, Tag
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError, MailboxLoginError

from scrapers.errors import ParseError, SourceError
from scrapers.http import web_link
from scrapers.notices import Document, Unit
from scrapers.sources.base import Source
from scrapers.sources.web import _iso_date
from tenders.model import Tender

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_PARTS = 100  # MIME parts of one message, the message itself included; an alert has a handful
MAX_DEPTH = 20  # levels of nesting (multipart and message/rfc822 parts); an alert has two to four
# Links in an alert that are about the subscription, not a procurement (Swedish and English).
_ACCOUNT = re.compile(
    r"avregistr|avsluta|prenumeration|inställning|logga in|unsubscribe|settings|preferences|log in|sign in|privacy|"
    r"integritet|mailto:",
    re.IGNORECASE,
)
_DEADLINE = re.compile(r"(?:sista (?:anbuds|ansöknings)dag|anbudsdag|svara senast|deadline|closing date)\D{0,20}"
                       r"(\d{4}-\d{2}-\d{2}|\d{1,2} [a-zåäö]+ \d{4})", re.IGNORECASE)  # fmt: skip
_BUYER = re.compile(r"(?:köpare|upphandlande (?:organisation|myndighet|enhet)|beställare|buyer)\s*:\s*([^\n|;]{2,120})",
                    re.IGNORECASE)  # fmt: skip


@dataclass
class AlertMailbox(Source):
    kind: ClassVar[str] = "mailbox"
    default_expect: ClassVar[str] = "7d"
    _uids: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        senders = [str(s).lower().strip() for s in self.options.get("senders") or [] if str(s).strip()]
        if not senders:
            raise SourceError(self.name, "a mailbox source needs 'senders': the addresses or @domains read")
        limit = int(self.options.get("max_message_bytes", MAX_MESSAGE_BYTES))
        self._uids = {}
        try:
            yield from self._read(known, senders, limit)
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
            raise SourceError(self.name, f"{self._where()}: {exc}", retryable=True) from None

    def _read(self, known: Mapping[str, str], senders: list[str], limit: int) -> Iterator[Unit | ParseError]:
        with self._open() as box:
            unread = list(box.fetch(AND(seen=False), mark_seen=False, headers_only=True, bulk=True))
            skipped: list[str] = []
            stored: list[str] = []  # stored by an earlier run that could not mark them read
            for head in unread:
                sender = parseaddr(head.from_)[1].lower()
                if not any(sender == s or (s.startswith("@") and sender.endswith(s)) for s in senders):
                    continue  # not an alert sender: not ours to read or mark
                where = f"{self._where()}: message {head.uid} from {sender} ({head.subject!r})"
                if head.size_rfc822 > limit:
                    skipped.append(str(head.uid))
                    yield ParseError(where, f"{head.size_rfc822} bytes, more than max_message_bytes ({limit}); "
                                     "not read, flagged in the mailbox")  # fmt: skip
                    continue
                data = _raw(box, str(head.uid))  # the server's bytes: nothing parsed or written out again
                if data is None:
                    continue  # deleted meanwhile
                try:
                    message_id = str(read_message(data).get("Message-ID") or "").strip()
                except ValueError as exc:
                    skipped.append(str(head.uid))
                    yield ParseError(where, f"not a readable e-mail: {exc}; not read, flagged in the mailbox")
                    continue
                key = "msg:" + hashlib.sha256((message_id or f"{head.uid}|{head.date_str}").encode()).hexdigest()[:24]
                if known.get(key) == "read":
                    stored.append(str(head.uid))
                    continue
                document = Document(origin=where, data=data, unit=key)
                try:
                    self.parse(document)  # an e-mail is small: a message that cannot be read is set aside here
                except ParseError as exc:
                    skipped.append(str(head.uid))
                    yield ParseError(where, f"{exc.reason}; not read, flagged in the mailbox")
                    continue
                self._uids[key] = str(head.uid)
                yield Unit(key=key, fingerprint="read", documents=partial(iter, [document]))
            if skipped:
                box.flag(skipped, (MailMessageFlags.FLAGGED, MailMessageFlags.SEEN), True)
            if stored:
                box.flag(stored, MailMessageFlags.SEEN, True)

    def after_store(self, stored: Mapping[str, str]) -> None:
        """Mark read the messages whose tenders the run has stored (and only those)."""
        uids = [self._uids[key] for key in stored if key in self._uids]
        if not uids:
            return
        try:
            with self._open() as box:
                box.flag(uids, MailMessageFlags.SEEN, True)
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:  # marked on the next run instead
            raise SourceError(self.name, f"{self._where()}: cannot mark read: {exc}", retryable=True) from None

    def parse(self, document: Document) -> list[Tender]:
        try:
            message = read_message(document.data)
            html_part = message.get_body(preferencelist=("html",))
            text_part = message.get_body(preferencelist=("plain",))
            html = html_part.get_content() if html_part is not None else None
            text = text_part.get_content() if text_part is not None else None
        except (LookupError, ValueError, UnicodeError, AssertionError, AttributeError) as exc:
            raise ParseError(document.origin, f"not a readable e-mail: {exc}") from None
        if not html and not text:
            raise ParseError(document.origin, "the e-mail has no text to read")
        subject = " ".join(str(message.get("subject") or "").split()) or None
        try:
            published = parsedate_to_datetime(str(message.get("date"))).date().isoformat()
        except (TypeError, ValueError):
            published = None
        listed = self._listed(html) if html else []
        base: dict[str, Any] = {"source": self.name, "notice_type": "competition", "published": published,
                                "language": self.options.get("language"), "buyer_country": self.options.get("country"),
                                "nuts": [str(n) for n in self.options.get("nuts") or []]}  # fmt: skip
        if not listed:
            body = " ".join((text or BeautifulSoup(html or "", "html.parser").get_text(" ")).split())
            key = hashlib.sha256(f"{document.unit}|mail".encode()).hexdigest()[:16]
            return [Tender(notice_id=key, title=subject, description=body[:20_000] or None, **base)]
        return [
            Tender(notice_id=hashlib.sha256(url.encode()).hexdigest()[:16], title=title, url=url,
                   description=" ".join(block.split()) or None, deadline=_deadline(block), buyer_name=_buyer(block),
                   **base)
            for url, title, block in listed
        ]  # fmt: skip

    def _listed(self, html: str) -> list[tuple[str, str | None, str]]:
        """(link, title, the text around it) for each procurement link, each link once.

        The text around a link is that of its nearest list item, row, paragraph, cell or div; where
        one of those holds several links, each gets the part from its own link to the next one (the
        first also what comes before it). The document is walked once, and each link reads at most
        BLOCK_READ characters of it, so the time grows with the size of the mail, not its square
        (one div of 16,000 links, 1 MB, took 320 s when each link read its whole div).
        """
        pattern = re.compile(str(self.options["link_pattern"])) if self.options.get("link_pattern") else None
        walk = _walk(BeautifulSoup(html, "html.parser"))
        out: dict[str, tuple[str, str | None, str]] = {}
        kept: dict[int, list[tuple[Tag, str, str | None]]] = {}  # holder -> its links, in document order
        for anchor, holder in walk.anchors:
            url = web_link(str(anchor["href"]))
            words = " ".join(walk.text(anchor, TITLE_READ, " ").split())
            if url is None or url in out or (pattern and not pattern.search(url)):
                continue
            if pattern is None and (_ACCOUNT.search(url) or _ACCOUNT.search(words)):
                continue
            out[url] = (url, words or None, "")
            kept.setdefault(id(holder), []).append((anchor, url, words or None))
        for holder_id, links in kept.items():
            holder = walk.holders[holder_id]
            for n, (anchor, url, title) in enumerate(links):
                start = walk.span[id(holder)][0] if n == 0 else walk.span[id(anchor)][0]
                end = walk.span[id(holder)][1] if n == len(links) - 1 else walk.span[id(links[n + 1][0])][0]
                text = walk.read(start, end, BLOCK_READ, "\n")
                block = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
                out[url] = (url, title, block[:5000])
        return list(out.values())

    def _where(self) -> str:
        return f"imap://{self.options.get('host')}/{self.options.get('folder', 'INBOX')}"

    def _open(self) -> BaseMailBox:
        host = str(self.options.get("host") or "")
        if not host:
            raise SourceError(self.name, "a mailbox source needs 'host' (the IMAP server)")
        user_env = str(self.options.get("user_env", "TENDER_RADAR_MAILBOX_USER"))
        password_env = str(self.options.get("password_env", "TENDER_RADAR_MAILBOX_PASSWORD"))
        user, password = os.environ.get(user_env), os.environ.get(password_env)
        if not user or not password:
            raise SourceError(self.name, f"set {user_env} and {password_env}: the mailbox's user name and password")
        security = str(self.options.get("security", "ssl"))
        timeout = float(self.options.get("timeout", 30.0))
        kinds: dict[str, tuple[Any, int]] = {
            "ssl": (MailBox, 993), "starttls": (MailBoxStartTls, 143), "none": (MailBoxUnencrypted, 143)}  # fmt: skip
        if security not in kinds:
            raise SourceError(self.name, f"security must be ssl, starttls or none, not {security!r}")
        if security == "none" and self.options.get("allow_private") is not True:
            raise SourceError(self.name, "security: none sends the password in clear: only for a server on this "
                              "machine, with allow_private: true")  # fmt: skip
        cls, port = kinds[security]
        try:
            box: Any = cls(host, int(self.options.get("port", port)), timeout=timeout)
            return box.login(user, password, initial_folder=str(self.options.get("folder", "INBOX")))  # type: ignore[no-any-return]
        except MailboxLoginError as exc:
            raise SourceError(self.name, f"the IMAP server refused the login of {user!r}: {exc}") from None
        except OSError as exc:
            raise SourceError(self.name, f"cannot reach the IMAP server {host}: {exc}", retryable=True) from None


_HOLDERS = frozenset({"li", "tr", "p", "div", "td"})
TITLE_READ = 2_000  # characters of a link's own text read for its title (titles are capped at 1,000)
BLOCK_READ = 20_000  # characters of text around a link read for its description (kept: 5,000)


@dataclass
class _Walk:
    """A parsed alert walked once: its strings in document order, the range of them inside each
    element, and each link with its holder (the nearest li, tr, p, div or td, else the link)."""

    strings: list[str] = field(default_factory=list)
    span: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(tag) -> [first, end) of strings
    anchors: list[tuple[Tag, Tag]] = field(default_factory=list)
    holders: dict[int, Tag] = field(default_factory=dict)

    def read(self, start: int, end: int, cap: int, separator: str) -> str:
        """The strings[start:end] joined, stopping once ``cap`` characters are read."""
        taken: list[str] = []
        size = 0
        for index in range(start, end):
            piece = self.strings[index][: cap - size]
            taken.append(piece)
            size += len(piece) + 1
            if size >= cap:
                break
        return separator.join(taken)

    def text(self, tag: Tag, cap: int, separator: str) -> str:
        first, end = self.span[id(tag)]
        return self.read(first, end, cap, separator)


def _walk(soup: BeautifulSoup) -> _Walk:
    """One pass over the tree without recursion (a mail may nest thousands of elements)."""
    walk = _Walk()
    stack: list[tuple[Tag, Iterator[PageElement], Tag | None]] = [(soup, iter(soup.contents), None)]
    walk.span[id(soup)] = (0, 0)
    while stack:
        tag, children, holder = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            walk.span[id(tag)] = (walk.span[id(tag)][0], len(walk.strings))
        elif isinstance(child, Tag):
            walk.span[id(child)] = (len(walk.strings), len(walk.strings))
            if child.name == "a" and child.get("href") is not None:
                walk.anchors.append((child, holder or child))
                walk.holders[id(holder or child)] = holder or child
            inner = child if child.name in _HOLDERS else holder
            stack.append((child, iter(child.contents), inner))
        elif type(child) in (NavigableString, CData):  # what get_text reads: no comments, scripts or styles
            walk.strings.append(str(child))
    return walk


class _TooComplexError(ValueError):
    """A message of more parts, or parts nested deeper, than an alert has."""


def read_message(data: bytes) -> EmailMessage:
    """The e-mail, parsed with the default policy; _TooComplexError (a ValueError) past MAX_PARTS or MAX_DEPTH.

    The email package parses and walks a message recursively, a few frames per level: hundreds of
    nested parts exhaust the interpreter's stack. The parser is stopped at the part after the cap,
    so no more than MAX_PARTS levels are ever parsed, and the depth is then counted without recursion.
    """
    made = 0

    def new_part(policy: Policy = email.policy.default) -> EmailMessage:
        nonlocal made
        made += 1
        if made > MAX_PARTS + 1:  # the parser makes one part when it starts, to try the factory
            raise _TooComplexError(f"more than {MAX_PARTS} MIME parts")
        return EmailMessage(policy=policy)

    message = email.parser.BytesParser(new_part, policy=email.policy.default).parsebytes(data)
    levels: list[tuple[Message, int]] = [(message, 1)]
    while levels:
        part, level = levels.pop()
        if level > MAX_DEPTH:
            raise _TooComplexError(f"parts nested more than {MAX_DEPTH} deep")
        payload = part.get_payload()
        if isinstance(payload, list):
            levels.extend((child, level + 1) for child in payload if isinstance(child, Message))
    assert isinstance(message, EmailMessage)
    return message


def _raw(box: BaseMailBox, uid: str) -> bytes | None:
    """The message with this UID as the server holds it (not marked read), or None if it is gone."""
    status, answer = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid}: {status} {answer!r}")
    for item in answer:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _deadline(block: str) -> str | None:
    found = _DEADLINE.search(block)
    return _iso_date(found.group(1)) if found else None


def _buyer(block: str) -> str | None:
    found = _BUYER.search(block)
    return " ".join(found.group(1).split()) if found else None
