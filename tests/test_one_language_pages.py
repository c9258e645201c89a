"""One language per page (issue 27, item 5): every page of the web app, asked for in Swedish, holds
no English, and asked for in English, no Swedish; no library's validation text and no stored code
reaches a page; the Swedish catalogue translates every message the code and templates say.

Every GET route is visited (a new route fails here until it is added), the forms also with a
validation error and after a post. "A word of the other language" is a word of five letters or
more that the other language's catalogues say and this one's never do (``other_words``).

Organisations, people, addresses, numbers and notices here are invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from notifications.senders.outbox import OutboxSender
from notifications.tokens import feedback_token, make_token, profile_token
from radar.buyers.notices import add_buyer, publish
from radar.delivery import send_due
from radar.judging import judge
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from radar.watching import watch
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.store import open_store
from tenders.store.buyers import BuyerStore

from .conftest import PROJECT
from .helpers.dashboard_site import csrf

SECRET = "one-language-secret-" + "l" * 20
PASSWORDS = {"root": "root-admin-pass-1", "dala": "dala-buyer-pass-1"}
KEY, EMAIL = "orsa-gront", "info@orsa-gront.example.org"
PENDING, PENDING_EMAIL = "mora-tvatt", "info@mora-tvatt.example.org"
SOON = (clock.today() + timedelta(days=30)).isoformat()
LATER = (clock.today() + timedelta(days=90)).isoformat()
CATALOGUES = [PROJECT / "radar/web/locale", PROJECT / "radar/locale", PROJECT / "notifications/locale"]
# Not pages: a redirect, the API (JSON), downloads (CSV, the calendar feed), the schema.
NOT_PAGES = {"/", "/openapi.json", "/api/v1/notices", "/api/v1/notices/{tender_id}", "/calendar.ics",
             "/buyer/notices/{tender_id}/interest.csv"}  # fmt: skip
LIBRARY_TEXT = ("is not an email address (", "@-sign", "String should have", "Field required", "Input should be",
                "Value error", "valid number", "Traceback", "Internal Server Error", '"detail"', "bad signature",
                "not a token")  # fmt: skip
RAW_CODES = re.compile(r"\b(competition|planning|res-ws|suitable|possible|unlikely|publish|stale|failing)\b")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\(invented\)")  # data, not words: addresses, the tests' mark
PLACEHOLDER = re.compile(r"%\(\w+\)s")
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]{5,}")


@dataclass
class Page:
    route: str
    url: str
    status: int
    text: str = field(repr=False)


def luhn_number(nine: str) -> str:
    """An organisation number (NNNNNN-NNNN) with its check digit: the register takes only valid ones."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return f"{nine[:6]}-{nine[6:]}{(10 - total % 10) % 10}"


def build(home: Path, lang: str) -> tuple[Settings, dict[str, str]]:
    """A site with a source, an admin, a buyer with an open and a planned notice, a tender, the
    register, an active subscriber (with a digest sent and a watched tender) and a pending one."""
    feed = PROJECT / "data/samples/feeds/dalarna.xml"
    (home / "sources.yaml").write_text(f"sources:\n  - {{name: orsa-feed, kind: feed, path: '{feed}', nuts: [SE312], "
                                       "country: SE}\n", encoding="utf-8")  # fmt: skip
    (home / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    settings = load_settings({"TENDER_RADAR_HOME": str(home), "TENDER_RADAR_SECRET": SECRET,
                              "TENDER_RADAR_SOURCES": str(home / "sources.yaml"),
                              "TENDER_RADAR_SUBSCRIBERS": str(home / "subscribers.yaml"),
                              "TENDER_RADAR_BASE_URL": "http://localhost:8000"})  # fmt: skip
    store = open_store(settings)
    store.save_coordinator("root", hash_password(PASSWORDS["root"]), [], is_admin=True)
    org = add_buyer(
        store, "Orsa Inköp (invented)", "999999-9999", ["Dalarna"], contact_email="inkop@orsa.example.org"
    ).org
    store.save_coordinator("dala", hash_password(PASSWORDS["dala"]), [])
    BuyerStore(store).add_user("dala", org.org_number)
    enterprise_number = luhn_number("556677889")
    store.replace_register([
        {"org_number": luhn_number(f"55667788{i}").replace("-", ""), "municipality": "Orsa", "county": "SE312",
         "name": f"Orsa Fönsterputs {i} ek. för. (invented)", "sectors": ["cleaning", "snow"]}
        for i in range(4)
    ])  # fmt: skip
    tender = Tender(source="ted", notice_id="700001-2026", notice_type="competition", language="sv",
                    title="Fönsterputs Orsa (invented)", buyer_name="Orsa Inköp (invented)", nuts=["SE312"],
                    cpv_main="90911300", deadline=SOON, published=clock.today().isoformat())  # fmt: skip
    store.upsert([tender], {tender.id: judge(tender)})
    body = {"title": "Snöröjning Orsa (invented)", "status": "planned", "expected_publication": LATER,
            "cpv_main": "90620000"}  # fmt: skip
    planned = publish(store, org, body, "user:dala", base_url=settings.base_url).tender
    body = {"title": "Fönsterputs skolor Orsa (invented)", "status": "open", "deadline": SOON, "cpv_main": "90911300"}
    notice = publish(store, org, body, "user:dala", base_url=settings.base_url).tender
    profile = {"key": KEY, "organisation": "Orsa Grönt (invented)", "email": EMAIL, "regions": ["SE312"],
               "sectors": ["cleaning"], "frequency": "instant", "language": lang, "min_score": 0.0,
               "org_number": enterprise_number}  # fmt: skip
    store.sign_up(KEY, EMAIL, profile)
    store.confirm(KEY, "127.0.0.1")
    store.sign_up(PENDING, PENDING_EMAIL, {**profile, "key": PENDING, "email": PENDING_EMAIL})
    subscribers = active_subscribers(settings, store)
    match_and_queue(store, subscribers, include_expired=True)
    send_due(store, subscribers, OutboxSender(settings.outbox_dir), settings)
    watch(store, KEY, tender.id)
    ids = {"tender": tender.id, "planned": planned.id, "notice": notice.id}
    return settings, ids


def login(c: TestClient, user: str) -> TestClient:
    page = c.get("/login")
    answer = c.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf": csrf(page.text)},
                    follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return c


def visit(settings: Settings, ids: dict[str, str], lang: str) -> list[Page]:
    """Every page in ``lang``: the GET routes, error pages, forms with a validation error, answers to posts."""
    pages: list[Page] = []
    q = f"lang={lang}"

    def get(c: TestClient, route: str, url: str) -> str:
        answer = c.get(url + ("&" if "?" in url else "?") + q)
        pages.append(Page(route, url, answer.status_code, answer.text))
        assert answer.status_code < 500, (url, answer.text)
        return str(answer.text)

    def post(
        c: TestClient, route: str, url: str, form_page: str, data: dict[str, str] | None = None, files: Any = None
    ) -> str:
        fields = {"csrf": csrf(form_page), **(data or {})}
        answer = c.post(url + ("&" if "?" in url else "?") + q, data=fields, files=files)
        pages.append(Page(f"POST {route}", url, answer.status_code, answer.text))
        assert answer.status_code < 500, (url, answer.text)
        return str(answer.text)

    anonymous = TestClient(create_app(settings), base_url="http://localhost:8000")
    secret = settings.secret_key()
    profile, feedback = profile_token(secret, KEY), feedback_token(secret, KEY)
    tender, notice, planned = ids["tender"], ids["notice"], ids["planned"]

    # the enterprises' pages, by their signed links
    form = get(anonymous, "/subscribe", "/subscribe")
    post(anonymous, "/subscribe", "/subscribe", form, data={"organisation": "", "email": "x", "regions": "Narnia",
                                                            "min_score": "abc", "frequency": "daily"})  # fmt: skip
    new = {"organisation": "Mora Gräs (invented)", "email": "info@mora-gras.example.org", "regions": "Mora"}
    post(anonymous, "/subscribe", "/subscribe", form, data=new)
    form = get(anonymous, "/profile", f"/profile?token={profile}")
    post(anonymous, "/profile", f"/profile?token={profile}", form, data={"regions": "Narnia", "min_score": "500"})
    post(anonymous, "/profile", f"/profile?token={profile}", form, data={"regions": "Orsa", "language": lang})
    get(anonymous, "/my-tenders", f"/my-tenders?token={profile}")
    form = get(anonymous, "/feedback", f"/feedback?token={feedback}&tender={tender}")
    post(anonymous, "/feedback", f"/feedback?token={feedback}&tender={tender}", form, data={"relevant": "1"})
    get(anonymous, "/tenders/{tender_id:path}", f"/tenders/{tender}")
    get(anonymous, "/tenders/{tender_id:path}", f"/tenders/{notice}")
    get(anonymous, "/tenders/{tender_id:path}", "/tenders/no-such-tender")
    get(anonymous, "/tenders", "/tenders")
    get(anonymous, "/tenders", f"/tenders?q=Fönsterputs&token={profile}")
    get(anonymous, "/tenders", "/tenders?from=yesterday")
    search = get(anonymous, "/watch-search", f"/watch-search?token={profile}&q=Fönsterputs")
    form = get(anonymous, "/watch", f"/watch?token={feedback}&tender={tender}")
    post(anonymous, "/watch", f"/watch?token={feedback}&tender={tender}", form, data={"action": "watch"})
    get(anonymous, "/watch", f"/watch?token={feedback}&tender=no-such-tender")
    form = get(anonymous, "/calendar", f"/calendar?token={profile}")
    post(anonymous, "/calendar", f"/calendar?token={profile}", form, data={"action": "revoke"})
    form = get(anonymous, "/interest", f"/interest?token={feedback}&tender={notice}")
    post(anonymous, "/interest", f"/interest?token={feedback}&tender={notice}", form,
         data={"action": "raise", "note": "Vi har bil (invented)", "joint_bid": "1", "share_contact": "1"})  # fmt: skip
    form = get(anonymous, "/interest", f"/interest?token={feedback}&tender={planned}")
    post(anonymous, "/interest", f"/interest?token={feedback}&tender={planned}", form,
         data={"action": "raise", "share_contact": "1"})  # fmt: skip
    expired = make_token(secret, "unsubscribe", KEY, valid_for=-1)
    get(anonymous, "/unsubscribe", f"/unsubscribe?token={expired}")
    get(anonymous, "/confirm", f"/confirm?token={make_token(secret, 'confirm', PENDING, valid_for=3600)}")
    answer = anonymous.post(f"/confirm?token={make_token(secret, 'confirm', PENDING, valid_for=3600)}&{q}")
    pages.append(Page("POST /confirm", "/confirm", answer.status_code, answer.text))

    # a buyer
    buyer = login(TestClient(create_app(settings), base_url="http://localhost:8000"), "dala")
    get(buyer, "/buyer", "/buyer")
    get(buyer, "/buyer/log", "/buyer/log")
    form = get(buyer, "/buyer/new", "/buyer/new")
    post(buyer, "/buyer/new", "/buyer/new", form, data={"title": "ab", "status": "open", "estimated_value": "abc",
                                                        "cpv_main": "9091", "deadline": "2020-01-01"})  # fmt: skip
    form = get(buyer, "/buyer/notices/{tender_id}", f"/buyer/notices/{planned}")
    invite = "/buyer/notices/{tender_id}/invite"
    post(buyer, invite, f"/buyer/notices/{planned}/invite", form, data={"text": ""})
    post(buyer, invite, f"/buyer/notices/{planned}/invite", form, data={"text": "Välkomna (invented)"})
    get(buyer, "/buyer/notices/{tender_id}", f"/buyer/notices/{notice}")
    post(buyer, "/buyer/notices/{tender_id}/withdraw", f"/buyer/notices/{notice}/withdraw", form)
    get(buyer, "/buyer/notices/{tender_id}", "/buyer/notices/no-such-notice")
    form = get(buyer, "/buyer/plan", "/buyer/plan")
    plan = (f"Benämning;Annonsering;CPV\nParkskötsel Orsa (invented);{LATER};77310000\n"
            "Tvätt Orsa (invented);2020-13-45;abc\n").encode()  # fmt: skip
    preview = post(buyer, "/buyer/plan", "/buyer/plan", form, files={"file": ("plan.csv", plan, "text/csv")})
    post(buyer, "/buyer/plan", "/buyer/plan", form, files={"file": ("plan.csv", plan, "text/csv")},
         data={"col_title": "Rubriken"})  # fmt: skip
    payload = lxml.html.fromstring(preview).xpath("//input[@name='rows']/@value")[0]
    post(buyer, "/buyer/plan/import", "/buyer/plan/import", preview, data={"rows": payload})
    get(buyer, "/dashboard", "/dashboard")  # a buyer on a coordinators' page

    # a coordinator (an admin)
    admin = login(TestClient(create_app(settings), base_url="http://localhost:8000"), "root")
    get(admin, "/dashboard", "/dashboard")
    get(admin, "/dashboard/county/{code}", "/dashboard/county/SE312")
    get(admin, "/dashboard/county/{code}", "/dashboard/county/SE312?year=%C2%B2")
    get(admin, "/dashboard/county/{code}", "/dashboard/county/XX999")
    get(admin, "/dashboard/county/{code}/report", "/dashboard/county/SE312/report")
    get(admin, "/dashboard/sources", "/dashboard/sources")
    form = get(admin, "/dashboard/register", "/dashboard/register")
    bad = "namn;organisationsnummer\nOrsa Gräs (invented);123\n".encode()
    post(admin, "/dashboard/register", "/dashboard/register", form, files={"file": ("r.csv", bad, "text/csv")})
    good = f"namn;organisationsnummer;kommun\nOrsa Gräs (invented);{luhn_number('556677880')};Orsa\n".encode()
    post(admin, "/dashboard/register", "/dashboard/register", form, files={"file": ("r.csv", good, "text/csv")})
    get(admin, "/buyer", "/buyer")  # the buyers' notices in the coordinator's counties
    get(admin, "/buyer/notices/{tender_id}", f"/buyer/notices/{planned}")
    answer = admin.post(f"/logout?{q}", data={"csrf": "not-this-session's"})
    pages.append(Page("POST /logout", "/logout", answer.status_code, answer.text))

    # the login, with a wrong password, and the end of a subscription
    form = get(TestClient(create_app(settings)), "/login", "/login")
    c = TestClient(create_app(settings))
    form = get(c, "/login", "/login")
    post(c, "/login", "/login", form, data={"username": "root", "password": "wrong-password-1"})
    post(anonymous, "/watch-search", f"/watch-search?token={profile}&q=Fönsterputs", search)
    leave = make_token(secret, "unsubscribe", KEY, valid_for=3600)
    get(anonymous, "/unsubscribe", f"/unsubscribe?token={leave}")
    answer = anonymous.post(f"/unsubscribe?token={leave}&{q}")
    pages.append(Page("POST /unsubscribe", "/unsubscribe", answer.status_code, answer.text))
    return pages


@pytest.fixture(scope="module", params=["sv", "en"])
def visited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Page]]]:
    lang = str(request.param)
    settings, ids = build(tmp_path_factory.mktemp(f"site-{lang}"), lang)
    yield lang, visit(settings, ids, lang)


def shown_text(html: str, lang: str) -> str:
    """What a reader sees and hears: the text, titles, labels and placeholders, without the parts
    marked as another language (the link to the other language, the language choices)."""
    root = lxml.html.fromstring(html)
    for element in root.xpath("//*[@lang]"):
        if element.get("lang") != lang and element is not root:
            element.drop_tree()
    for element in root.xpath("//script|//style"):
        element.drop_tree()
    attributes = root.xpath("//@title|//@aria-label|//@placeholder|//@alt")
    return ADDRESS.sub(" ", " ".join([root.text_content(), *map(str, attributes)]))


def texts_of(value: object) -> list[str]:
    """A message's id or translation as a list: one text, or the singular and plural forms."""
    if isinstance(value, tuple | list):
        return [str(v or "") for v in value]
    return [str(value or "")]


def catalogue_words() -> tuple[set[str], set[str]]:
    """(English ids' words, Swedish translations' words) of every catalogue, lower case."""
    english: set[str] = set()
    swedish: set[str] = set()
    for folder in CATALOGUES:
        with (folder / "sv/LC_MESSAGES/messages.po").open("rb") as handle:
            for message in read_po(handle, locale="sv"):
                for text in texts_of(message.id):
                    english.update(w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text)))
                for text in texts_of(message.string):
                    swedish.update(w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text)))
    return english, swedish


def other_words(lang: str) -> set[str]:
    """The words only the other language's catalogue texts say (a name both say is in neither)."""
    english, swedish = catalogue_words()
    return (english - swedish if lang == "sv" else swedish - english) - NAMES


NAMES = {"region"}  # a region's official name is Swedish in both languages: "Region Dalarna"


def test_every_page_route_is_visited(visited: tuple[str, list[Page]], tmp_path: Path) -> None:
    _, pages = visited
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    app = create_app(load_settings({"TENDER_RADAR_HOME": str(tmp_path)}))
    routes = {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    assert routes - NOT_PAGES - {p.route for p in pages} == set()


def test_no_page_says_a_word_of_the_other_language(visited: tuple[str, list[Page]]) -> None:
    lang, pages = visited
    foreign = other_words(lang)
    assert len(foreign) > 200  # the test has words to look for
    found = {}
    for page in pages:
        words = {w for w in WORD.findall(shown_text(page.text, lang)) if w.lower() in foreign}
        if words:
            found[f"{page.route} {page.url[:60]} ({page.status})"] = sorted(words)
    assert found == {}


def test_no_page_shows_a_library_message_or_a_stored_code(visited: tuple[str, list[Page]]) -> None:
    lang, pages = visited
    for page in pages:
        text = shown_text(page.text, lang)
        assert not [t for t in LIBRARY_TEXT if t in text], (
            page.route,
            page.url,
            [t for t in LIBRARY_TEXT if t in text],
        )
        if lang == "sv":
            assert not RAW_CODES.findall(text), (page.route, page.url, RAW_CODES.findall(text))


def test_the_forms_name_each_wrong_field_in_the_page_language(visited: tuple[str, list[Page]]) -> None:
    lang, pages = visited
    by_route: dict[str, list[str]] = {}
    for page in pages:
        by_route.setdefault(page.route, []).append(" ".join(shown_text(page.text, lang).split()))
    invited = by_route["POST /buyer/notices/{tender_id}/invite"]
    sign_up, buyer_form, plan = (
        by_route["POST /subscribe"][0],
        by_route["POST /buyer/new"][0],
        by_route["POST /buyer/plan"][0],
    )
    if lang == "sv":
        assert "E-post: “x” är ingen e-postadress." in sign_up and "Organisation: Fältet måste fyllas i." in sign_up
        assert "“Narnia” är inte ett län, en kommun eller en NUTS-kod." in sign_up
        assert "Rubrik: Skriv minst 3 tecken." in buyer_form and "Uppskattat värde (kr): Skriv ett tal." in buyer_form
        assert "Importera 1 rad" in plan and "Importera 1 rader" not in plan  # the plurals
        assert "“abc” börjar inte med en CPV-kod." in plan
        assert "Skriv inbjudan." in invited[0] and "Inbjudan skickades till 1 företag." in invited[1]
    else:
        assert "Email: “x” is not an email address." in sign_up and "Organisation: This field is required." in sign_up
        assert (
            "Title: Write at least 3 characters." in buyer_form
            and "Estimated value (SEK): Write a number." in buyer_form
        )
        assert "Import 1 row" in plan and "Import 1 rows" not in plan
        assert "Write the invitation." in invited[0] and "The invitation went to 1 enterprise." in invited[1]


def test_the_swedish_catalogue_translates_every_message_of_the_pages() -> None:
    """Every message the web code and templates say has a Swedish translation that is not fuzzy (no
    silent fall back to English) and keeps the message's placeholders."""
    web = PROJECT / "radar/web"
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    said = {texts_of(found[2])[0] for found in extract_from_dir(web, method_map, options, keywords=keywords)}
    assert len(said) > 250
    with (web / "locale/sv/LC_MESSAGES/messages.po").open("rb") as handle:
        swedish = {texts_of(m.id)[0]: m for m in read_po(handle, locale="sv") if m.id}
    lacking = [key for key in said if key not in swedish]
    assert lacking == []
    for key in said:
        message = swedish[key]
        texts = texts_of(message.string)
        assert not message.fuzzy and all(texts), key
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(" ".join(texts_of(message.id)))), key


@pytest.mark.parametrize(("lang", "said"), [("sv", "År: Skriv ett heltal."), ("en", "Year: Write a whole number.")])
def test_a_parameter_fastapi_refuses_is_a_page_in_words(tmp_path: Path, lang: str, said: str) -> None:
    """FastAPI's 422 on a page (a route with a typed parameter; the app's own routes read theirs as
    text) is the message page in the page's language, naming the parameter; the API keeps its JSON."""
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    app = create_app(load_settings({"TENDER_RADAR_HOME": str(tmp_path)}))

    @app.get("/probe")
    def probe(year: int) -> str:
        return str(year)

    @app.get("/api/v1/probe")
    def api_probe(number: int) -> str:
        return str(number)

    c = TestClient(app)
    page = c.get(f"/probe?year=many&lang={lang}")
    text = " ".join(shown_text(page.text, lang).split())
    assert page.status_code == 422 and said in text, text
    assert not [t for t in LIBRARY_TEXT if t in text], text
    assert c.get("/api/v1/probe?number=many").json()["detail"][0]["type"] == "int_parsing"
