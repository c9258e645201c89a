"""The October report mailed to each county's coordinators exactly once, and its dashboard page, scoped."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from notifications.senders.base import Message
from notifications.senders.outbox import OutboxSender
from radar.reports.mailing import send_october_reports
from radar.reports.statistics import import_export
from radar.web.auth import hash_password
from tenders.config import Settings
from tenders.store import open_store

from .conftest import FIXTURES
from .helpers.airflow import airflow_env, python
from .helpers.dashboard_site import build, client, login

UHM = FIXTURES / "uhm-2021"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = build(tmp_path_factory.mktemp("site"))
    store = open_store(settings)
    for name in ("procurements-2021-dalarna-gavleborg.xlsx", "contracted-suppliers-2021-dalarna-gavleborg.xlsx",
                 "contracted-value-2021-dalarna-gavleborg.xlsx"):  # fmt: skip
        assert import_export(store, UHM / name).problems == []
    # addresses for the report (invented); a second Dalarna coordinator reads English
    store.save_coordinator("anna", hash_password("dalarna-pass-123"), ["SE312"], email="anna@example.org")
    store.save_coordinator("gustav", hash_password("gavleborg-pass-1"), ["SE313"], language="en",
                           email="gustav@example.org")  # fmt: skip
    store.save_coordinator("erik", hash_password("dalarna-pass-456"), ["SE312"], language="en",
                           email="erik@example.org")  # fmt: skip
    return settings


def messages(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("october-report-*.eml"))
    ]


class Counting(OutboxSender):
    """The file outbox, counting what it is asked to send (the outbox alone would overwrite a repeat)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.sent: list[str] = []

    def send(self, message: Message) -> str:
        self.sent.append(message.key)
        return super().send(message)


def test_each_countys_report_goes_to_its_coordinators_once_and_not_twice(site: Settings, tmp_path: Path) -> None:
    store = open_store(site)
    outbox = tmp_path / "outbox"
    sender = Counting(outbox)
    first = send_october_reports(store, sender, site, 2021)
    assert first["sent"] == ["SE312", "SE313"] and first["failed"] == []
    assert len(first["no_recipients"]) == 19
    again = send_october_reports(store, sender, site, 2021)
    assert again["sent"] == [] and again["already_sent"] == ["SE312", "SE313"]
    assert sender.sent == ["october-report-SE312-2021", "october-report-SE313-2021"]
    sent = messages(outbox)
    assert len(sent) == 2
    dalarna = next(m for m in sent if "Dalarnas län" in str(m["Subject"]))
    assert str(dalarna["To"]) == "anna@example.org, erik@example.org"
    assert "gustav@example.org" not in str(dalarna["To"])
    pdfs = {str(part.get_filename()): part.get_content() for part in dalarna.iter_attachments()}
    assert sorted(pdfs) == ["october-report-se312-2021-en.pdf", "october-report-se312-2021-sv.pdf"]
    path = tmp_path / "attached.pdf"
    path.write_bytes(pdfs["october-report-se312-2021-sv.pdf"])
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Oktoberavstämningen 2021" in text and "232" in text
    body = dalarna.get_body(preferencelist=("plain",))
    assert body is not None and "annonserade 232 upphandlingar" in body.get_content()
    # 2021's mailings: the module's site is shared, and another test mails 2020 on it (in any order)
    assert [(m.county, m.year, m.status, m.attempts) for m in store.report_mailings() if m.year == 2021] == [
        ("SE312", 2021, "sent", 1), ("SE313", 2021, "sent", 1)]  # fmt: skip


def test_a_run_that_died_after_sending_is_not_sent_again(site: Settings, tmp_path: Path) -> None:
    store = open_store(site)
    outbox = tmp_path / "outbox"
    sender = Counting(outbox)
    send_october_reports(store, sender, site, 2020, ["SE313"])
    store.mark_report_mailing("SE313", 2020, "sending")  # as if the run died between sending and recording
    again = send_october_reports(store, sender, site, 2020, ["SE313"])
    assert again["already_sent"] == ["SE313"] and again["sent"] == []
    assert len(messages(outbox)) == 1 and sender.sent == ["october-report-SE313-2020"]
    assert next(m for m in store.report_mailings() if m.year == 2020).status == "sent"


def test_one_countys_coordinator_cannot_fetch_anothers_report(site: Settings) -> None:
    c = client(site)
    login(c, "gustav")  # Gävleborg
    for query in ("", "?year=2021", "?year=2021&format=pdf", "?year=2021&format=json", "?year=2021&format=html"):
        response = c.get(f"/dashboard/county/SE312/report{query}")
        assert response.status_code == 403, query
        assert "Borlänge" not in response.text and not response.content.startswith(b"%PDF")
    own = c.get("/dashboard/county/SE313/report?year=2021&format=json")
    assert own.status_code == 200 and json.loads(own.text)["national_statistics"]["procurements"] == 192
    page = c.get("/dashboard/county/SE313/report?year=2021")
    assert page.status_code == 200 and 'id="national-procurements">192<' in page.text
    assert "format=pdf" in page.text and "<svg" in page.text
    pdf = c.get("/dashboard/county/SE313/report?year=2021&format=pdf&lang=en")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


def test_the_report_page_refuses_anonymous_visitors_and_unknown_places(site: Settings) -> None:
    c = client(site)
    response = c.get("/dashboard/county/SE312/report?year=2021&format=pdf", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    login(c, "anna")
    assert c.get("/dashboard/county/SE999/report").status_code == 404
    assert c.get("/dashboard/county/SE312/report?municipality=Gävle").status_code == 404
    borlange = c.get("/dashboard/county/SE312/report?year=2021&municipality=Borlänge&format=json")
    assert json.loads(borlange.text)["municipality"] == "Borlänge"
    county_page = c.get("/dashboard/county/SE312")
    assert 'id="report-link"' in county_page.text


DAG_TWICE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="dags")
states = [str(bag.dags["tender_radar_report"].test().state) for _ in range(2)]
print(json.dumps(states))
"""


@pytest.mark.timeout(600)
def test_the_report_dag_mails_each_county_once_when_run_twice(tmp_path: Path) -> None:
    from tenders.config import load_settings

    env = {**airflow_env(tmp_path), "TENDER_RADAR_REPORT_YEAR": "2021"}
    settings = load_settings(env)
    store = open_store(settings)
    assert import_export(store, UHM / "procurements-2021-dalarna-gavleborg.xlsx").problems == []
    store.save_coordinator("gustav", hash_password("gavleborg-pass-1"), ["SE313"], email="gustav@example.org")
    store.engine.dispose()
    migrate = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    result = python(DAG_TWICE, env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["success", "success"]
    mailings = open_store(settings).report_mailings()
    assert [(m.county, m.year, m.status, m.attempts) for m in mailings] == [("SE313", 2021, "sent", 1)]
    sent = messages(settings.outbox_dir)
    assert len(sent) == 1 and str(sent[0]["To"]) == "gustav@example.org"


def test_the_pdf_travels_as_an_attachment_that_sendgrids_schema_accepts() -> None:
    import base64

    from notifications.senders.base import Attachment
    from notifications.senders.sendgrid import SendGridSender

    from .fakes.sendgrid import API_KEY, fake_sendgrid

    pdf = b"%PDF-1.7 invented bytes"
    mail = Message(key="october-report-SE312-2021", to="anna@example.org", subject="Oktoberavstämningen 2021",
                   html="<p>Hej</p>", text="Hej", from_email="alerts@example.org", from_name="Social Tender Radar",
                   categories=("october-report",),
                   attachments=(Attachment("october-report-se312-2021-sv.pdf", "application/pdf", pdf),))  # fmt: skip
    with fake_sendgrid() as fake:
        SendGridSender(API_KEY, fake.url).send(mail)
    assert fake.invalid == []
    (body,) = fake.requests
    expected = {"content": base64.b64encode(pdf).decode(), "type": "application/pdf",
                "filename": "october-report-se312-2021-sv.pdf", "disposition": "attachment"}  # fmt: skip
    assert body["attachments"] == [expected]
