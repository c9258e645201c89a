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
never lost silently.

A From address can be forged: ``senders`` keeps out what is not an alert, not an attacker. Use
a mailbox that only alert services write to; whatever a message says is treated as untrusted
text (links must be http(s), everything is escaped where it is shown).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import imaplib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar

from bs4 import BeautifulSoup
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError, MailboxLoginError

from scrapers.errors import ParseError, SourceError
from scrapers.http import web_link
from scrapers.notices import Document, Unit
from scrapers.sources.base import Source
from scrapers.sources.web import _iso_date
from tenders.model import Tender

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
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
                fetched = list(box.fetch(AND(uid=str(head.uid)), mark_seen=False))
                if not fetched:
                    continue  # deleted meanwhile
                data = fetched[0].obj.as_bytes()
                message_id = str(fetched[0].obj.get("Message-ID") or "").strip()
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
            message = email.message_from_bytes(document.data, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
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
        """(link, title, the text around it) for each procurement link, each link once."""
        pattern = re.compile(str(self.options["link_pattern"])) if self.options.get("link_pattern") else None
        soup = BeautifulSoup(html, "html.parser")
        out: dict[str, tuple[str, str | None, str]] = {}
        for anchor in soup.find_all("a", href=True):
            url = web_link(str(anchor["href"]))
            words = " ".join(anchor.get_text(" ").split())
            if url is None or url in out or (pattern and not pattern.search(url)):
                continue
            if pattern is None and (_ACCOUNT.search(url) or _ACCOUNT.search(words)):
                continue
            holder = anchor.find_parent(["li", "tr", "p", "div", "td"]) or anchor
            block = "\n".join(" ".join(line.split()) for line in holder.get_text("\n").splitlines() if line.strip())
            block = block[:5000]
            out[url] = (url, words or None, block)
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


def _deadline(block: str) -> str | None:
    found = _DEADLINE.search(block)
    return _iso_date(found.group(1)) if found else None


def _buyer(block: str) -> str | None:
    found = _BUYER.search(block)
    return " ".join(found.group(1).split()) if found else None
