"""Settings: embedded defaults, and a wrong value named with what it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenders.config import ConfigError, load_settings


def test_defaults_need_no_setup(tmp_path: Path) -> None:
    s = load_settings({"TENDER_RADAR_HOME": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path}/var/tender-radar.sqlite"
    assert s.outbox_dir == tmp_path / "var" / "outbox"
    assert s.sender == "outbox"
    assert s.include_expired is False
    assert s.digest_max == 25


def test_an_api_key_switches_to_sendgrid(tmp_path: Path) -> None:
    s = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "SENDGRID_API_KEY": "SG.x"})
    assert s.sender == "sendgrid"


@pytest.mark.parametrize(
    "env,message",
    [
        ({"TENDER_RADAR_DATABASE_URL": "not a url"}, "TENDER_RADAR_DATABASE_URL='not a url' is not a database URL"),
        ({"TENDER_RADAR_SENDER": "sendgrid"}, "TENDER_RADAR_SENDER=sendgrid needs SENDGRID_API_KEY"),
        ({"TENDER_RADAR_FROM_EMAIL": "nobody"}, "TENDER_RADAR_FROM_EMAIL='nobody' is not an email address"),
        ({"TENDER_RADAR_INCLUDE_EXPIRED": "maybe"}, "TENDER_RADAR_INCLUDE_EXPIRED='maybe' must be one of"),
        ({"TENDER_RADAR_SENDGRID_HOST": "http://evil.example"}, "must be https"),
        ({"TENDER_RADAR_DIGEST_MAX": "0"}, "TENDER_RADAR_DIGEST_MAX='0' must be a whole number of 1 or more"),
        ({"TENDER_RADAR_DIGEST_MAX": "lots"}, "TENDER_RADAR_DIGEST_MAX='lots' must be a whole number"),
    ],
)
def test_a_wrong_value_is_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"TENDER_RADAR_HOME": str(tmp_path), **env})
    assert message in str(err.value)
