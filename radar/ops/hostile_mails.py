"""Alert e-mails built to be slow or deep, for ``make bench`` (the mailbox source, issue 25, items 3 and 4).

Every message here is invented.
"""

from __future__ import annotations

import time
from email.message import EmailMessage

from radar.ops.bench_rows import Row
from scrapers.errors import ParseError
from scrapers.notices import Document
from scrapers.sources.mailbox import AlertMailbox


def hostile_mails() -> dict[str, bytes]:
    """Alert e-mails built to be slow or deep (invented): one <div> of 16,000 links (1 MB), 250 nested parts."""
    links = "".join(f'<a href="https://annonser.example.org/annons/{n}">Lokalvård {n}</a> Sista anbudsdag '
                    f"2027-01-{n % 28 + 1:02d}. " for n in range(16_000))  # fmt: skip
    one_div = EmailMessage()
    one_div["From"], one_div["Subject"] = "bevakning@annonser.example.org", "16 000 upphandlingar"
    one_div.set_content(f"<html><body><div>{links}</div></body></html>", subtype="html")
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(250))
    closing = "".join(f"\r\n--b{i}--\r\n" for i in range(249, -1, -1))
    nested = "From: bevakning@annonser.example.org\r\nSubject: nested\r\n" + opening + "\r\nLokalvård.\r\n" + closing
    return {"16,000 links in one div": one_div.as_bytes(), "250 nested parts": nested.encode()}


def hostile_mail_case() -> Row:
    """Each hostile alert e-mail parsed as the mailbox source parses it (a refusal counts as handled)."""
    source = AlertMailbox(name="bench", options={"senders": ["@annonser.example.org"]})
    worst, outcomes = 0.0, []
    for name, data in hostile_mails().items():
        start = time.perf_counter()
        try:
            outcome = f"{len(source.parse(Document(origin=name, data=data, unit=name)))} tenders"
        except ParseError:
            outcome = "flagged"
        took = time.perf_counter() - start
        outcomes.append(f"{name}: {outcome}, {took:.1f} s")
        worst = max(worst, took)
    row = Row("hostile alert mails", "1 MB of links; 250 nested parts", [worst], "mails", 1)
    row.note = "; ".join(outcomes) + " (the div took 320 s when each link read the whole div)"
    row.target, row.verdict = "< 10 s each", "met" if worst < 10 else "missed"
    return row
