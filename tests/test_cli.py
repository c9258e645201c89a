"""The ``tender-radar`` commands as a user types them: output, errors on stderr, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import FIXTURES, PROJECT
from .helpers.cli import cli

NOT_NOTICES = {"X01_EEIG.xml", "X02_registration.xml"}


def all_fixture_notices() -> list[Path]:
    return sorted(p for sub in ("eforms-sdk", "eforms-real", "ted-real") for p in (FIXTURES / sub).rglob("*.xml"))


def test_parse_every_fixture_except_the_invalid_ones() -> None:
    valid = [p for p in all_fixture_notices() if not p.name.startswith("INVALID_")]
    result = cli("parse", *map(str, valid))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(valid)
    for path, tender in zip(valid, lines, strict=True):
        if path.name in NOT_NOTICES:
            continue
        for name in ("id", "title", "cpv_main", "buyer_country", "notice_type"):
            assert tender[name], f"{path.name}: {name} is empty"


def test_parse_a_directory_and_a_package(tmp_path: Path) -> None:
    import tarfile

    package = tmp_path / "2024198.tar.gz"
    with tarfile.open(package, "w:gz") as tar:
        for p in sorted((FIXTURES / "eforms-real").glob("*.xml"))[:5]:
            tar.add(p, arcname=f"20241010/{p.name}")
    from_package = cli("parse", str(package))
    from_dir = cli("parse", str(FIXTURES / "eforms-real"))
    assert from_package.returncode == 0 and from_dir.returncode == 0
    assert len(from_package.stdout.splitlines()) == 5
    assert len(from_dir.stdout.splitlines()) == 18
    assert from_dir.stdout.splitlines()[:5] == from_package.stdout.splitlines()


def test_parse_an_rss_file_gives_one_tender_per_entry() -> None:
    result = cli("parse", str(PROJECT / "data/samples/feeds/dalarna.xml"))
    assert result.returncode == 0
    titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
    assert titles == ["Lokalvård i Falu kommuns förskolor", "Grönyteskötsel och snöröjning, Borlänge",
                      "Ombyggnad av riksväg 70 vid Mora"]  # fmt: skip


def test_bad_files_are_named_on_stderr_and_the_rest_still_parse(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes((FIXTURES / "eforms-real/2024-OJS198-00612681.xml").read_bytes()[:3000])
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    html = tmp_path / "feed.xml"
    html.write_text("<!DOCTYPE html><html><head><title>Login</title></head><body>Please log in</body></html>")
    good = FIXTURES / "ted-real/legacy/19-090974-001-EXP.xml"
    result = cli("parse", str(truncated), str(good), str(empty), str(html))
    assert result.returncode == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["ted:091489-2019"]
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert f"{truncated}: broken XML" in errors[0]
    assert f"{empty}: empty file" in errors[1]
    assert f"{html}: an HTML page, not a notice or a feed" in errors[2]


def test_eval_prints_the_figures_and_says_which_targets_are_met() -> None:
    result = cli("eval")
    for line in ("all languages:", "language sv:", "language en:", "Confusion matrix", "suitable",
                 "Structured reserved/social fields found with a reason:", "Targets ("):  # fmt: skip
        assert line in result.stdout
    verdicts = [line for line in result.stdout.splitlines() if line.startswith("Targets (")]
    assert len(verdicts) == 3  # the first hand-written set, the frozen one and the blind one
    assert "): met (" in verdicts[0], verdicts  # evaluation.yaml: suitable P and R >= 0.92
    missed = [v for v in verdicts if "NOT met" in v]
    assert result.returncode == (1 if missed else 0), result.stderr  # the exit status tells the truth
    assert ("targets are not met" in result.stderr) == bool(missed)


def test_classify_files_prints_score_label_and_reasons() -> None:
    result = cli("classify", str(FIXTURES / "ted-real/legacy/19-090974-001-EXP.xml"))
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert set(out) == {"id", "score", "label", "reasons", "sectors"}
    assert out["id"] == "ted:091489-2019" and out["label"] == "suitable"
    assert {"code": "reserved_participation", "weight": 0.9, "field": "reserved_participation", "value": "res-ws",
            "decisive": True} in out["reasons"]  # fmt: skip


def test_classify_json_lines_from_stdin_with_only_title_and_description() -> None:
    lines = "\n".join(
        [
            json.dumps({"title": "Lokalvård", "description": "Upphandlingen är reserverad enligt 4 kap. 18 § LOU."}),
            json.dumps({"id": "x:1", "title": "Ombyggnad av bro", "description": "Upphandlingen är inte reserverad."}),
            "this is not json",
        ]
    )
    result = cli("classify", stdin=lines)
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["id"] is None and first["label"] == "suitable"
    assert second["id"] == "x:1" and second["label"] == "unlikely"
    assert "<stdin>:3: not a tender in JSON" in result.stderr


@pytest.mark.parametrize(
    "language,expected", [("sv", "Reserverat deltagande (BT-71)"), ("en", "Reserved participation (BT-71)")]
)
def test_preview_digest_shows_the_reserved_tender_with_its_reason(language: str, expected: str) -> None:
    result = cli("preview-digest", str(FIXTURES / "ted-real/legacy/19-090974-001-EXP.xml"), "--language", language)
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert expected in result.stdout
    assert "EPS Paul Guiraud" in result.stdout


def test_a_wrong_setting_is_named(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SENDER": "pigeon"}
    result = cli("run", env=env)
    assert result.returncode == 2
    assert "TENDER_RADAR_SENDER='pigeon' is not one of: outbox, sendgrid" in result.stderr
