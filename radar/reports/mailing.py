"""Mail each county's October report (PDF) to its coordinators: once per county and year.

The mailing is recorded before the email goes out; a county already sent is skipped, and one
left "sending" by a run that died is looked up at the provider first (the outbox file, or
SendGrid's custom argument), so a rerun neither loses nor doubles it.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from notifications.senders.base import Attachment, Message, Sender, SendError
from notifications.senders.configured import for_settings
from radar.reports.october import build_report
from radar.reports.render import render_pdf, title
from radar.wording import words
from tenders.config import Settings, load_settings
from tenders.places import county_names
from tenders.store import Store, open_store
from tenders.translations import LANGUAGES


def mail_october_reports(year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Every county's report for ``year`` through the configured sender: the ``tender_radar_report`` DAG's step."""
    settings = settings or load_settings()
    return send_october_reports(open_store(settings), for_settings(settings), settings, year)


def send_october_reports(
    store: Store, sender: Sender, settings: Settings, year: int, counties: Iterable[str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"year": year, "sent": [], "already_sent": [], "no_recipients": [], "failed": []}
    for county in counties or sorted(county_names()):
        recipients = store.report_recipients(county)
        if not recipients:
            out["no_recipients"].append(county)
            continue
        key = f"october-report-{county}-{year}"
        row = store.claim_report_mailing(county, year, key, [address for address, _ in recipients])
        if row is None:
            out["already_sent"].append(county)
            continue
        try:
            if row.attempts > 1 and sender.find(key):
                store.mark_report_mailing(county, year, "sent")  # sent by a run that died before recording it
                out["already_sent"].append(county)
                continue
            sender.send(_message(store, settings, county, year, key, recipients))
        except SendError as exc:
            store.mark_report_mailing(county, year, "failed", str(exc))
            out["failed"].append(f"{county}: {exc}")
            continue
        store.mark_report_mailing(county, year, "sent")
        out["sent"].append(county)
    return out


def _message(
    store: Store, settings: Settings, county: str, year: int, key: str, recipients: list[tuple[str, str]]
) -> Message:
    report = build_report(store, county, year, processed_by=settings.from_name)
    languages = sorted({lang for _, lang in recipients if lang in LANGUAGES}, key=lambda x: x != "sv") or ["sv"]
    name = county_names()[county]
    lines = {lang: _summary(report, lang) for lang in languages}
    text = "\n\n".join(lines[lang] for lang in languages)
    slug = county.lower()
    return Message(
        key=key,
        to=", ".join(address for address, _ in recipients),
        subject=title(languages[0], year, name),
        html="".join(f"<p>{escape(lines[lang])}</p>" for lang in languages),
        text=text,
        from_email=settings.from_email,
        from_name=settings.from_name,
        categories=("october-report",),
        attachments=tuple(
            Attachment(f"october-report-{slug}-{year}-{lang}.pdf", "application/pdf", render_pdf(report, lang))
            for lang in languages
        ),
    )


def _summary(report: dict[str, Any], language: str) -> str:
    """The mail's paragraph in one language, each count with its plural."""
    t, national = words(language), report["national_statistics"]
    n = national["procurements"]
    return " ".join((
        t.gettext("The October check-in %(year)d for %(county)s is in the attached PDF.")
        % {"year": report["year"], "county": report["county"]["name"]},
        t.ngettext("The county's buyers advertised %(n)d procurement (%(social)d socially sustainable, %(reserved)d "
                   "reserved);", "The county's buyers advertised %(n)d procurements (%(social)d socially sustainable, "
                   "%(reserved)d reserved);", n)
        % {"n": n, "social": national["social"], "reserved": national["reserved"]},
        t.gettext("the radar saw %(seen)d.") % {"seen": report["radar"]["procurements"]},
    ))  # fmt: skip
