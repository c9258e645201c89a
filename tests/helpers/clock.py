"""Moving the project's clock inside a test (and in every subprocess the test starts).

The clock (``tenders.clock``) reads ``TENDER_RADAR_CLOCK_SHIFT_DAYS`` on every call; the test moves
it forward from wherever the run started (``make test-future`` starts a year ahead).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenders import clock


class MovingClock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.shift = clock.shift()

    def advance(self, **delta: float) -> None:
        self.shift += timedelta(**delta)
        self.monkeypatch.setenv(clock.SHIFT_ENV, repr(self.shift / timedelta(days=1)))
