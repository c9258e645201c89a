"""Settings: environment variables over embedded defaults, read in one place.

With nothing set, everything lives under ``var/`` of the project: a SQLite file and a
file outbox, so a fresh clone runs with no setup. PostgreSQL is one variable away:
``TENDER_RADAR_DATABASE_URL=postgresql+psycopg2://user@host/db``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tenders.addresses import address_problem
from tenders.parallel import default_workers
from tenders.private import private_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SENDERS = ("outbox", "sendgrid", "smtp")


class ConfigError(ValueError):
    """A setting with a wrong value; the message names the variable and what it accepts."""


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str
    sources_file: Path
    subscribers_file: Path
    outbox_dir: Path
    sender: str
    sendgrid_api_key: str | None
    sendgrid_host: str
    from_email: str
    from_name: str
    include_expired: bool = False
    digest_max: int = 25  # tenders shown in one digest; the rest are counted and linked
    workers: int = 1
    alert_email: str | None = None
    alert_webhook: str | None = None
    base_url: str = "http://localhost:8000"  # where the web app answers: links in emails point here
    secret: str | None = None
    sendgrid_webhook_key: str | None = None  # the Event Webhook's verification key (base64 DER)
    smtp_url: str | None = None
    sendgrid_sandbox: bool = False  # staging: SendGrid checks each request but delivers nothing
    airflow_url: str | None = None  # a buyer's publish emits an Asset event through this Airflow's REST API
    airflow_user: str | None = None  # its service account (none: a dev Airflow where everyone is admin)
    airflow_password: str | None = None
    database_wait: float = 60.0  # seconds a database that does not answer is retried (with backoff) before giving up
    source_deadline: float = 1800.0  # seconds one source may take per run, every request and retry included
    delivery_journal: Path | None = None  # where accepted digests are journalled (None: var/delivery-journal.jsonl)
    smtp_unsure: str = "resend"  # a digest SMTP may or may not have: "resend" (same Message-ID) or "hold" for a person

    def secret_key(self) -> str:
        """TENDER_RADAR_SECRET, or a random one kept in var/secret.key (made on first use)."""
        if self.secret:
            return self.secret
        path = self.var_dir / "secret.key"
        if not path.exists():
            private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @property
    def journal_file(self) -> Path:
        """The append-only journal of digests a provider accepted (``notifications.senders.journal``)."""
        return self.delivery_journal or self.var_dir / "delivery-journal.jsonl"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    home = Path(env.get("TENDER_RADAR_HOME") or _default_home()).resolve()
    var = home / "var"
    database_url = _database_url(env.get("TENDER_RADAR_DATABASE_URL") or f"sqlite:///{var / 'tender-radar.sqlite'}")
    try:
        make_url(database_url)
    except ArgumentError as exc:
        raise ConfigError(f"TENDER_RADAR_DATABASE_URL={database_url!r} is not a database URL: {exc}") from None

    api_key = env.get("SENDGRID_API_KEY") or None
    sender = (env.get("TENDER_RADAR_SENDER") or ("sendgrid" if api_key else "outbox")).strip().lower()
    if sender not in SENDERS:
        raise ConfigError(f"TENDER_RADAR_SENDER={sender!r} is not one of: {', '.join(SENDERS)}")
    if sender == "sendgrid" and not api_key:
        raise ConfigError("TENDER_RADAR_SENDER=sendgrid needs SENDGRID_API_KEY")
    smtp_url = (env.get("TENDER_RADAR_SMTP_URL") or "").strip() or None
    smtp_unsure = (env.get("TENDER_RADAR_SMTP_UNSURE") or "resend").strip().lower()
    if smtp_unsure not in ("resend", "hold"):
        raise ConfigError(f"TENDER_RADAR_SMTP_UNSURE={smtp_unsure!r} is not one of: resend, hold")
    if sender == "smtp" and not (smtp_url and smtp_url.startswith(("smtp://", "smtps://"))):
        raise ConfigError("TENDER_RADAR_SENDER=smtp needs TENDER_RADAR_SMTP_URL=smtp://host:port (or smtps://)")

    from_email = env.get("TENDER_RADAR_FROM_EMAIL") or "alerts@example.org"
    if problem := address_problem(from_email):  # a line break here would add headers to every email
        raise ConfigError(f"TENDER_RADAR_FROM_EMAIL={from_email!r} is not an email address ({problem})")
    sendgrid_host = env.get("TENDER_RADAR_SENDGRID_HOST") or "https://api.sendgrid.com"
    if not sendgrid_host.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError(f"TENDER_RADAR_SENDGRID_HOST={sendgrid_host!r} must be https (or http on loopback)")

    return Settings(
        home=home,
        database_url=database_url,
        database_wait=_seconds(env, "TENDER_RADAR_DATABASE_WAIT", 60.0),
        source_deadline=_seconds(env, "TENDER_RADAR_SOURCE_DEADLINE", 1800.0, least=1.0),
        sources_file=_readable(env, "TENDER_RADAR_SOURCES", home / "sources.yaml", home),
        subscribers_file=_readable(env, "TENDER_RADAR_SUBSCRIBERS", home / "subscribers.yaml", home),
        outbox_dir=_path(env, "TENDER_RADAR_OUTBOX", var / "outbox", home),
        sender=sender,
        sendgrid_api_key=api_key,
        sendgrid_host=sendgrid_host.rstrip("/"),
        from_email=from_email,
        from_name=_one_line(env, "TENDER_RADAR_FROM_NAME", "Social Tender Radar"),
        include_expired=_flag(env, "TENDER_RADAR_INCLUDE_EXPIRED"),
        digest_max=_positive(env, "TENDER_RADAR_DIGEST_MAX", 25),
        workers=_workers(env),
        alert_email=_optional_email(env, "TENDER_RADAR_ALERT_EMAIL"),
        alert_webhook=_optional_url(env, "TENDER_RADAR_ALERT_WEBHOOK"),
        base_url=_base_url(env),
        secret=env.get("TENDER_RADAR_SECRET") or None,
        sendgrid_webhook_key=env.get("SENDGRID_WEBHOOK_PUBLIC_KEY") or None,
        smtp_url=smtp_url,
        smtp_unsure=smtp_unsure,
        delivery_journal=_path(env, "TENDER_RADAR_DELIVERY_JOURNAL", var / "delivery-journal.jsonl", home),
        sendgrid_sandbox=_flag(env, "TENDER_RADAR_SENDGRID_SANDBOX"),
        airflow_url=(_optional_url(env, "TENDER_RADAR_AIRFLOW_URL") or "").rstrip("/") or None,
        airflow_user=env.get("TENDER_RADAR_AIRFLOW_USER") or None,
        airflow_password=env.get("TENDER_RADAR_AIRFLOW_PASSWORD") or None,
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigError(f"{name}={value!r} must be one of 1, true, yes, 0, false, no")


def _one_line(env: Mapping[str, str], name: str, default: str) -> str:
    """A value that goes into a mail header: a line break in it would start a header of its own."""
    value = env.get(name) or default
    if not value.isprintable():
        raise ConfigError(f"{name}={value!r} must be one line without control characters")
    return value


def _base_url(env: Mapping[str, str]) -> str:
    """Links in emails must be https (RFC 8058 for one-click unsubscribe), except on this machine."""
    value = (env.get("TENDER_RADAR_BASE_URL") or "http://localhost:8000").strip().rstrip("/")
    local = value.startswith(("http://localhost", "http://127.0.0.1"))
    if not (value.startswith("https://") or local):
        raise ConfigError(f"TENDER_RADAR_BASE_URL={value!r} must be an https URL (http only for localhost)")
    return value


def _optional_email(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or ""
    if value and (problem := address_problem(value)):
        raise ConfigError(f"{name}={value!r} is not an email address ({problem})")
    return value or None


def _optional_url(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if value and not value.startswith(("https://", "http://")):
        raise ConfigError(f"{name}={value!r} must be an http(s) URL")
    return value or None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value!r} must be a whole number of 1 or more")
    return int(value)


def _workers(env: Mapping[str, str]) -> int:
    """Processes that parse and classify: every core by default (``TENDER_RADAR_WORKERS``)."""
    value = (env.get("TENDER_RADAR_WORKERS") or "").strip()
    if not value:
        return default_workers()
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"TENDER_RADAR_WORKERS={value!r} must be a whole number of 1 or more")
    return int(value)


def _default_home() -> Path:
    """The checkout when run from it (it holds sources.yaml), else the working directory."""
    return PROJECT_ROOT if (PROJECT_ROOT / "sources.yaml").exists() else Path.cwd()


def _path(env: Mapping[str, str], name: str, default: Path, home: Path) -> Path:
    value = env.get(name)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else home / path


def _readable(env: Mapping[str, str], name: str, default: Path, home: Path) -> Path:
    """A file the operator named must be there: a typo is an error naming the variable, not an empty list."""
    path = _path(env, name, default, home)
    if env.get(name):
        if not path.is_file():
            raise ConfigError(f"{name}={env[name]!r}: {'not a file' if path.exists() else 'no such file'} ({path})")
        if not os.access(path, os.R_OK):
            raise ConfigError(f"{name}={env[name]!r}: cannot be read ({path})")
    return path


def _database_url(value: str) -> str:
    """``postgres://`` (the common spelling, as Heroku and libpq write it) is SQLAlchemy's PostgreSQL with psycopg2."""
    for scheme in ("postgres://", "postgresql://"):
        if value.startswith(scheme):
            return "postgresql+psycopg2://" + value[len(scheme) :]
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, least: float = 0.0) -> float:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not least <= seconds <= 86_400:
        raise ConfigError(f"{name}={value!r} must be a number of seconds from {least:g} to 86400")
    return seconds


_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_interval(text: str) -> timedelta:
    """``30m``, ``6h``, ``3d``, ``1w`` -> a timedelta; anything else is a ValueError naming it."""
    match = _INTERVAL.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not an interval like 30m, 6h, 3d or 1w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
