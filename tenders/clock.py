"""The project's one clock: every "now" and "today" in the code comes from here.

``TENDER_RADAR_CLOCK_SHIFT_DAYS`` moves it (days, may be negative or fractional). It exists for
the test run that lives a year ahead (``make test-future``): dates in the data, deadlines and
staleness are all judged against this clock, and a subprocess inherits the shift through its
environment. Leave it unset in production.
"""

from __future__ import annotations

import os
import time as _time
from datetime import UTC, date, datetime, timedelta

SHIFT_ENV = "TENDER_RADAR_CLOCK_SHIFT_DAYS"


def shift() -> timedelta:
    """How far the clock is moved from the machine's; read on every call, so a test may change it."""
    value = os.environ.get(SHIFT_ENV, "").strip()
    if not value:
        return timedelta(0)
    try:
        return timedelta(days=float(value))
    except ValueError:
        raise ValueError(f"{SHIFT_ENV}={value!r} is not a number of days") from None


def utcnow() -> datetime:
    """Now in UTC, naive (as the store keeps it)."""
    return datetime.now(UTC).replace(tzinfo=None) + shift()


def aware_utcnow() -> datetime:
    """Now in UTC with its time zone, for code that compares with zoned instants."""
    return datetime.now(UTC) + shift()


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()


def time() -> float:
    """Seconds since the epoch, like ``time.time()``, on the same moved clock."""
    return _time.time() + shift().total_seconds()
