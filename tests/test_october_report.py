"""The October check-in: UHM's statistics imported, the county report measured against them, the PDF read back."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from radar.cli import main
from radar.reports.october import build_report, normalised_name
from radar.reports.render import render_as
from radar.reports.statistics import StatisticsError, import_export
from tenders.model import Tender
from tenders.store import Store

from .conftest import FIXTURES, PROJECT

UHM = FIXTURES / "uhm-2021"
PROCUREMENTS = UHM / "procurements-2021.xlsx"
SUPPLIERS = UHM / "contracted-suppliers-2021-dalarna-gavleborg.xlsx"
VALUES = UHM / "contracted-value-2021-dalarna-gavleborg.xlsx"
ARTIFACTS = PROJECT / "test-artifacts" / "october-report"

# The buyers as the export spells them, written out by hand: the independent count below uses
# nothing of the project's own mapping (which goes by organisation number first).
BUYERS = {
    "SE312": {"AVESTA KOMMUN", "BORLÄNGE KOMMUN", "FALU KOMMUN", "GAGNEFS KOMMUN", "HEDEMORA KOMMUN",
              "LEKSANDS KOMMUN", "LUDVIKA KOMMUN", "MALUNG-SÄLENS KOMMUN", "MORA KOMMUN", "ORSA KOMMUN",
              "RÄTTVIKS KOMMUN", "SMEDJEBACKENS KOMMUN", "SÄTERS KOMMUN", "VANSBRO KOMMUN", "ÄLVDALENS KOMMUN",
              "REGION DALARNA"},
    "SE313": {"BOLLNÄS KOMMUN", "GÄVLE KOMMUN", "HOFORS KOMMUN", "HUDIKSVALLS KOMMUN", "LJUSDALS KOMMUN",
              "NORDANSTIGS KOMMUN", "OCKELBO KOMMUN", "OVANÅKERS KOMMUN", "SANDVIKENS KOMMUN",
              "SÖDERHAMNS KOMMUN", "REGION GÄVLEBORG"},
}  # fmt: skip


def independent_count(county: str) -> dict[str, int]:
    """Counted plainly from the file: distinct Upphandlings-IDs of the county's buyers, and their flags."""
    sheet = openpyxl.load_workbook(PROCUREMENTS, read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    ids, social, reserved = set(), set(), set()
    for values in rows:
        row = dict(zip(header, values, strict=True))
        if str(row["Namn för köpare"]).upper() not in BUYERS[county]:
            continue
        ids.add(row["Upphandlings-ID"])
        if row["Socialt hållbar upphandling"] == "True":
            social.add(row["Upphandlings-ID"])
        if "True" in (row["Reserverad upphandling"], row["Reserverat genomförande"]):
            reserved.add(row["Upphandlings-ID"])
    return {"procurements": len(ids), "social": len(social), "reserved": len(reserved)}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store with the three exports imported once (the procurements file takes a while to read)."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('uhm') / 'store.sqlite'}")
    store.migrate()
    for path in (PROCUREMENTS, SUPPLIERS, VALUES):
        assert import_export(store, path).problems == []
    yield store
    store.engine.dispose()


@pytest.mark.parametrize("county", ["SE312", "SE313"])
def test_the_county_figures_equal_an_independent_count_of_the_export(imported: Store, county: str) -> None:
    national = build_report(imported, county, 2021)["national_statistics"]
    expected = independent_count(county)
    assert {k: national[k] for k in expected} == expected
    assert expected["procurements"] > 100  # the count itself found the county's buyers
    assert sum(m["procurements"] for m in national["by_municipality"].values()) == expected["procurements"]
    assert sum(m["social"] for m in national["by_municipality"].values()) == expected["social"]
    assert national["year_before"]["available"] is False and national["year_before"]["procurements"] == 0


def test_a_joint_bodys_procurement_counts_for_the_member_named_in_its_title(imported: Store) -> None:
    rows = {r.procurement_id: r for r in imported.statistics_rows("procurements", 2021, "SE312")}
    assert rows["SE63498"].title == "Tvätt av gardiner - Borlänge kommun"
    assert (rows["SE63498"].buyer_name, rows["SE63498"].municipality) == ("LUDVIKA KOMMUN", "Borlänge")
    assert rows["SE63498"].attributed_by == "title"
    assert rows["SE59232"].municipality == "Falun"  # "Jordbrukstraktor/servicemaskin, Falu kommun"
    assert rows["SE61360"].municipality == "Orsa"  # Mora kommun buys "Snöröjning Orsa kommun"
    # two members named: it stays with the body that bought it
    assert rows["SE60009"].title == "Skoladministrativt system till Hedemora- och Säters kommuner"
    assert rows["SE60009"].municipality == "Ludvika" and rows["SE60009"].attributed_by == "org_number"
    assert rows["SE59753"].municipality == "Ludvika"  # "Webbutveckling Ludvika 2021": its own
    # Region Dalarna is found by name where its number is mistyped in the export
    assert {r.attributed_by for r in rows.values() if r.municipality == "Region Dalarna"} == {"org_number", "name"}

    national = build_report(imported, "SE312", 2021)["national_statistics"]
    by_title = sum(1 for r in rows.values() if r.attributed_by == "title")
    assert national["attributed_by_title"] == by_title >= 20
    ludvika_bought = sum(1 for r in rows.values() if r.buyer_name == "LUDVIKA KOMMUN")
    moved = sum(1 for r in rows.values() if r.buyer_name == "LUDVIKA KOMMUN" and r.municipality != "Ludvika")
    assert national["by_municipality"]["Ludvika"]["procurements"] == ludvika_bought - moved
    assert national["by_municipality"]["Falun"]["procurements"] >= 2  # Falu kommun never buys under its own name


def test_one_municipality_is_its_own_share(imported: Store) -> None:
    report = build_report(imported, "SE312", 2021, municipality="Borlänge kommun")
    assert report["municipality"] == "Borlänge"
    assert list(report["national_statistics"]["by_municipality"]) == ["Borlänge"]
    whole = build_report(imported, "SE312", 2021)["national_statistics"]["by_municipality"]["Borlänge"]
    assert report["national_statistics"]["procurements"] == whole["procurements"]


def test_contracts_won_by_name_and_by_associations_legal_form(imported: Store) -> None:
    sheet = openpyxl.load_workbook(SUPPLIERS, read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    gavleborg = [dict(zip(header, v, strict=True)) for v in rows]
    gavleborg = [r for r in gavleborg if str(r["Namn för köpare"]).upper() in BUYERS["SE313"]]
    economic = [r for r in gavleborg if r["Juridisk form för leverantör"] == "Ekonomiska föreningar"]
    non_profit = [r for r in gavleborg if r["Juridisk form för leverantör"] == "Ideella föreningar"]
    assert economic and "Sandaga ekonomisk förening" in {r["Namn för leverantör"] for r in economic}
    # an invented register entry (name as the export spells a winner, organisation number made up)
    imported.replace_register([{"org_number": "5566778899", "name": "SANDAGA EK. FÖR.", "municipality": "Gävle",
                                "county": "SE313", "sectors": []}])  # fmt: skip
    try:
        won = build_report(imported, "SE313", 2021)["contracts_won"]
    finally:
        imported.replace_register([])
    sandaga = [r for r in gavleborg if r["Namn för leverantör"] == "Sandaga ekonomisk förening"]
    assert won["register"]["matched_by_name"] == len(sandaga) == won["register"]["count"]
    assert won["register"]["matched_by_org_number"] == 0
    assert won["register"]["contracts"][0]["enterprise"] == "SANDAGA EK. FÖR."
    assert won["economic_associations"]["count"] == sum(r["Antal kontrakterade anbud*, Summa"] for r in economic)
    assert won["non_profit_associations"]["count"] == sum(r["Antal kontrakterade anbud*, Summa"] for r in non_profit)
    assert won["economic_associations"]["value"] > 0
    assert normalised_name("Mora Städ & Trädgård Ekonomisk Förening") == normalised_name(
        "MORA STÄD OCH TRÄDGÅRD EK. FÖR."
    )


def test_the_radar_beside_the_statistics_coverage_and_blind_spots(imported: Store) -> None:
    tender = Tender(source="test", notice_id="borlange-1", notice_type="competition", title="Städning av skolor",
                    buyer_name="Borlänge kommun", buyer_country="SE", buyer_nuts="SE312",
                    published="2021-05-03")  # fmt: skip
    imported.upsert([tender])
    report = build_report(imported, "SE312", 2021)
    assert report["radar"]["procurements"] == 1 and report["radar"]["by_municipality"]["Borlänge"]["procurements"] == 1
    assert set(report["radar"]) >= {"procurements", "social", "reserved", "by_municipality", "year_before"}
    borlange = report["coverage"]["Borlänge"]
    assert borlange == {"advertised": 6, "seen": 1, "coverage": round(1 / 6, 3)}
    assert "Borlänge" not in report["blind_spots"] and "Ludvika" in report["blind_spots"]
    assert "Älvdalen" not in report["blind_spots"]  # advertised nothing: not blind, just quiet
    assert report["coverage"]["Älvdalen"]["coverage"] is None


def test_importing_twice_keeps_one_copy_per_procurement_and_year(store: Store) -> None:
    first = import_export(store, VALUES)
    again = import_export(store, VALUES)
    assert first.procurements == again.procurements == 248
    rows = store.statistics_rows("values", 2021)
    assert len(rows) == first.rows == 248
    assert store.statistics_years()["values"] == {2021: 248}


def test_a_file_that_is_not_an_export_is_refused_with_the_expected_headers(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = tmp_path / "tenders.csv"
    wrong.write_text("År;Köpare;Titel\n2021;Ludvika kommun;Städning\n", encoding="utf-8")
    with pytest.raises(StatisticsError) as caught:
        import_export(Store(f"sqlite:///{tmp_path / 'x.sqlite'}"), wrong)
    message = str(caught.value)
    assert str(wrong) in message and "Upphandlings-ID" in message and "Namn för leverantör" in message
    assert "Kontrakterat värde, Summa" in message

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    raw = tmp_path / "raw-export.csv"
    raw.write_text(RAW_EXPORT, encoding="utf-8-sig")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("TENDER_RADAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TENDER_RADAR_DATABASE_URL", url)
    code = main(["statistics", "import", str(wrong), str(broken), str(raw)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{wrong}: not an export" in err and f"{broken}: cannot be read" in err
    assert f"{raw}: row 4: Reserverad upphandling: 'Kanske' is neither a yes nor a no" in err
    assert f"{raw}: procurements, 2 rows, 2 procurements (2021)" in out  # the good rows and file went in
    stored = {r.procurement_id: r for r in Store(url).statistics_rows("procurements", 2021)}
    assert stored["X-1"].social is True and stored["X-1"].reserved is False
    assert stored["X-2"].social is False and stored["X-2"].reserved is True and stored["X-2"].municipality == "Gävle"


# The raw API's CSV: ';', a BOM, flags as words. Invented rows (not real procurements) for the parsing only.
RAW_EXPORT = (
    "År;Namn för köpare;Organisationsnummer för köpare;Huvudsaklig CPV-kod;Socialt hållbar upphandling;"
    "Reserverad upphandling;Reserverat genomförande;Upphandlings-ID;Upphandlingens titel;Publiceringsdatum;"
    "Förfarande;Annonsdatabas\n"
    "2021;Ludvika kommun;;90910000 Städning;Socialt hållbar upphandling;Inte reserverad upphandling;"
    "Uppgift saknas;X-1;Städning (invented);2021-03-01;Öppet förfarande;e-Avrop\n"
    "2021;Gävle kommun;;90910000 Städning;Inte socialt hållbar upphandling;Reserverad upphandling;"
    "Inte reserverat genomförande;X-2;Fruktkorgar (invented);2021-04-01;Förenklat förfarande;e-Avrop\n"
    "2021;Gävle kommun;;90910000 Städning;Uppgift saknas;Kanske;Uppgift saknas;X-3;Trasig rad (invented);"
    "2021-04-02;Förenklat förfarande;e-Avrop\n"
)


def test_the_raw_csv_exports_unquoted_semicolon_space_inside_values_is_repaired(store: Store, tmp_path: Path) -> None:
    """INVENTED rows (no real procurement): a title and an ad database holding '; ' unquoted, as the raw
    export writes them; okfse/oppna-upphandlingsdata replaces '; ' before parsing, and so do we."""
    header, first_row = RAW_EXPORT.split("\n")[:2]
    rows = first_row.replace("Städning (invented)", "Städ; fönsterputs (invented)").replace(
        "e-Avrop", "e-Avrop; Mercell"
    )
    raw = tmp_path / "raw-export.csv"
    raw.write_text(f"{header}\n{rows}\n", encoding="utf-8-sig")
    assert import_export(store, raw).problems == []
    [stored] = store.statistics_rows("procurements", 2021)
    assert stored.title == "Städ, fönsterputs (invented)" and stored.ad_database == "e-Avrop, Mercell"
    assert stored.published == "2021-03-01" and stored.procedure == "Öppet förfarande" and stored.social is True


def test_the_cli_takes_a_county_by_short_or_full_name_and_writes_json_to_stdout(
    imported: Store, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENDER_RADAR_DATABASE_URL", imported.url)
    import json

    assert main(["report", "--county", "Gävleborgs län", "--year", "2021", "--format", "json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert main(["report", "--county", "Gävleborg", "--year", "2021"]) == 0
    short = json.loads(capsys.readouterr().out)
    assert full["national_statistics"] == short["national_statistics"]
    assert full["national_statistics"]["procurements"] == independent_count("SE313")["procurements"]
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--county", "Dalarna", "--year", "2021", "--format", "pdf"]) == 0
    assert (tmp_path / "october-report-se312-2021-sv.pdf").read_bytes().startswith(b"%PDF")
    assert "october-report-se312-2021-sv.pdf: Dalarnas län 2021, 232 procurements" in capsys.readouterr().out
    assert main(["report", "--county", "Narnia", "--year", "2021"]) == 1
    assert "county 'Narnia'" in capsys.readouterr().err
    assert main(["report", "--county", "Dalarna", "--year", "2021", "--municipality", "Gävle"]) == 1
    assert "not a Swedish municipality in Dalarnas län" in capsys.readouterr().err


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_pdf_carries_the_figures_and_is_kept_as_png_pages(imported: Store, language: str) -> None:
    assert shutil.which("pdftotext") and shutil.which("pdftoppm"), "make system-deps installs poppler-utils"
    report = build_report(imported, "SE312", 2021)
    pdf = render_as(report, "pdf", language)
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dalarna-2021-{language}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    counted = independent_count("SE312")
    title = {"sv": "Oktoberavstämningen 2021", "en": "The October check-in 2021"}[language]
    assert title in text and "Dalarnas län" in text
    label = {"sv": ("Upphandlingar", "Socialt hållbara", "Reserverade"), "en": ("Procurements", "Socially sustainable",
             "Reserved")}[language]  # fmt: skip
    for name, key in zip(label, ("procurements", "social", "reserved"), strict=True):
        assert any(ln.split()[: len(name.split()) + 1] == [*name.split(), str(counted[key])]
                   for ln in text.splitlines() if ln.strip()), (name, counted[key])  # fmt: skip
    assert "Tvätt av gardiner - Borlänge kommun" in text  # a reserved procurement, named
    # Upphandlingsmyndigheten's terms ("Vår öppna data"): processed figures credited so, with the date and period
    flat = " ".join(text.split())
    assert "Uppgifter: Upphandlingsmyndigheten | Bearbetning: Social Tender Radar" in flat
    assert f"{report['generated_at'][:10]}" in flat and "Period 2021" in flat
    assert "(Upphandlingsmyndigheten)" not in flat  # never named as the source of processed figures
    assert {"sv": "Blinda fläckar", "en": "Blind spots"}[language] in text
    for old in ARTIFACTS.glob(f"dalarna-2021-{language}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(ARTIFACTS / f"dalarna-2021-{language}")],
                   check=True)  # fmt: skip
    pages = sorted(ARTIFACTS.glob(f"dalarna-2021-{language}-*.png"))
    assert len(pages) >= 2 and all(p.read_bytes().startswith(b"\x89PNG") for p in pages)


def test_the_credit_names_who_processed_the_figures_the_date_and_the_period(imported: Store) -> None:
    report = build_report(imported, "SE312", 2021, processed_by="Coompanion  Dalarna")
    assert report["credit"] == {"line": "Uppgifter: Upphandlingsmyndigheten | Bearbetning: Coompanion Dalarna",
                                "processed_by": "Coompanion Dalarna", "date": report["generated_at"][:10],
                                "period": "2021"}  # fmt: skip  # 2020 is not imported here


def test_the_html_is_the_same_document_with_its_charts_numbers_beside_them(imported: Store) -> None:
    html = render_as(build_report(imported, "SE313", 2021), "html", "en").decode()
    assert html.count("<svg") == 3
    assert '<td class="n">192</td>' in html or "192" in html
    assert "<title>Gävle, advertised: 31</title>" in html and ">31</text>" in html


def test_a_years_export_is_downloaded_from_the_api_with_only_its_known_parameters(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qsl, urlsplit

    asked: list[tuple[str, list[tuple[str, str]]]] = []

    class Api(BaseHTTPRequestHandler):  # the export as the notes describe it: ';', UTF-8 with a BOM
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            asked.append((parts.path, parse_qsl(parts.query)))
            body = RAW_EXPORT.encode("utf-8-sig") if parts.path == "/stat/export/csv" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    monkeypatch.setenv("TENDER_RADAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TENDER_RADAR_DATABASE_URL", url)
    try:
        code = main(["statistics", "download", "--year", "2021", "--param", "Namn för köpare", "--param",
                     "Upphandlings-ID", "--api", f"http://127.0.0.1:{server.server_address[1]}/stat",
                     "--allow-private"])  # fmt: skip
    finally:
        server.shutdown()
    out, err = capsys.readouterr()
    assert code == 1 and "row 4: Reserverad upphandling: 'Kanske'" in err  # the bad row named, the rest imported
    assert "procurements, 2 rows, 2 procurements (2021)" in out
    query = next(q for p, q in asked if p == "/stat/export/csv")
    assert query == [
        ("year", "2021"), ("area", "upphandlingsstatistik"), ("product", "annonserade-upphandlingar-i-sverige"),
        ("measurement", "SUM"), ("resultFormat", "table"), ("timefragment", "Tidsperiod.År"),
        ("unit", "Antal upphandlingar"), ("distributedUnit", "Upphandlingar, Bas.Antal upphandlingar"),
        ("param", "Namn för köpare"), ("param", "Upphandlings-ID"),
    ]  # fmt: skip
    stored = Store(url).statistics_rows("procurements", 2021)
    assert {r.procurement_id for r in stored} == {"X-1", "X-2"}
    assert list((tmp_path / "home" / "var" / "statistics").glob("uhm-2021-*.csv"))


def test_the_scheduled_download_is_off_until_the_columns_are_named() -> None:
    from radar.reports.statistics_api import configured_request

    assert configured_request({}, 2025) is None
    request = configured_request({"TENDER_RADAR_UHM_PARAMS": "Namn för köpare | Upphandlings-ID"}, 2025)
    assert request is not None and list(request.params) == ["Namn för köpare", "Upphandlings-ID"]
    assert request.url().startswith(
        "https://www.upphandlingsmyndigheten.se/api/sv/statisticsservice/bridgeapi/statistics/export/csv?year=2025&"
    )


def test_the_pdf_fetches_no_url_and_attaches_no_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template slip (a stylesheet link, an image, an attachment) makes WeasyPrint fetch nothing."""
    from radar.reports import render as report_render

    from .fakes.web import fake_site

    secret = tmp_path / "secret.txt"
    secret.write_text("operator's secret (invented)\n", encoding="utf-8")
    with fake_site({"/x.css": ("text/css", b"p { color: red }"), "/i.png": ("image/png", b"")}) as server:
        slip = (f'<html><head><link rel="stylesheet" href="{server.url}/x.css">'
                f'<link rel="attachment" href="file://{secret}"></head><body><p>Oktoberavstämningen</p>'
                f'<img src="{server.url}/i.png"><img src="file://{secret}"></body></html>')  # fmt: skip
        monkeypatch.setattr(report_render, "render_html", lambda report, language: slip)
        pdf = report_render.render_pdf({}, "sv")
    assert pdf.startswith(b"%PDF") and server.requests == []
    assert b"/EmbeddedFile" not in pdf and b"secret.txt" not in pdf
