"""A buyer's publish, edit or withdrawal tells Airflow at once: an Asset event on ``tenders://collected``.

Through Airflow 3's REST API with a service account: ``POST /auth/token`` for a JWT (``GET`` on a
development Airflow where everyone is admin), the asset's id from ``GET /api/v2/assets``, then
``POST /api/v2/assets/events``. The classify DAG listens to that asset, and its own event starts
notification, so an instant subscriber hears of a reserved contract without waiting for the hourly
run. Nothing depends on this working: the notice is stored first, and ``tender-radar run`` or the
next scheduled run picks it up anyway; a failure is logged, never raised to the buyer.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx

from tenders.config import Settings
from tenders.redact import redacted

log = logging.getLogger("tender_radar")
COLLECTED = "tenders://collected"
TIMEOUT = 5.0  # seconds per request: a slow Airflow must not hold a buyer's publish


class AirflowEvents:
    """One Airflow's asset events; the token and the asset id are kept between calls."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 client: httpx.Client | None = None) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self.user, self.password = user, password
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.token: str | None = None
        self.asset_ids: dict[str, int] = {}
        self.lock = threading.Lock()  # guards ``waiting``
        self.sending = threading.Lock()  # held by the one thread talking to Airflow (the token, the asset ids)
        self.waiting: list[tuple[str, dict[str, Any]]] = []

    def emit(self, uri: str, extra: dict[str, Any]) -> None:
        """Raise httpx.HTTPError (or ValueError for an answer that makes no sense) when it did not work."""
        with self.sending:
            self._emit(uri, extra)

    def emit_or_leave(self, uri: str, extra: dict[str, Any]) -> bool:
        """``emit``, unless another thread is talking to Airflow now: then the event is left to that
        thread, which sends it after its own, and this returns False at once. Errors are logged.

        Waiting for the lock held a thread of the web app's shared pool each: a slow Airflow and a
        few dozen publishes used them all, and every page waited (105 s; issue 25, item 5). Now one
        thread at most talks to Airflow; the others leave their events and go."""
        with self.lock:
            self.waiting.append((uri, extra))
        sent = False
        while self.sending.acquire(blocking=False):
            try:
                sent = self._send_waiting() or sent
            finally:
                self.sending.release()
            with self.lock:  # left after the last look but before the release: look again
                if not self.waiting:
                    break
        return sent

    def _send_waiting(self) -> bool:
        """Send what waits, oldest first; on the first failure the rest is left to the next run."""
        while True:
            with self.lock:
                if not self.waiting:
                    return True
                uri, extra = self.waiting.pop(0)
            try:
                self._emit(uri, extra)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                with self.lock:
                    dropped, self.waiting = len(self.waiting), []
                # httpx names the URL it called, user info and all (TENDER_RADAR_AIRFLOW_URL=http://svc:S3cret@...)
                log.warning("could not tell Airflow about %s (%s)%s; the next run picks it up: %s",
                            extra.get("tender_id"), extra.get("action"),
                            f" nor about {dropped} more" if dropped else "", redacted(str(exc)))  # fmt: skip
                return False

    def _emit(self, uri: str, extra: dict[str, Any]) -> None:
        for attempt in (1, 2):  # a token that has expired is fetched again, once
            try:
                asset = self._asset_id(uri)
                self._call("POST", "/api/v2/assets/events", {"asset_id": asset, "extra": extra})
                return
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 401 or attempt == 2:
                    raise
                self.token = None

    def _asset_id(self, uri: str) -> int:
        if uri not in self.asset_ids:
            found = self._call("GET", f"/api/v2/assets?uri_pattern={uri}").get("assets") or []
            match = [a for a in found if a.get("uri") == uri] or found
            if not match:
                raise ValueError(f"Airflow knows no asset {uri} (are the DAGs loaded?)")
            self.asset_ids[uri] = int(match[0]["id"])
        return self.asset_ids[uri]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.token is None:
            self.token = self._token()
        response = self.client.request(method, self.url + path, json=body,
                                        headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
        response.raise_for_status()
        data = response.json()
        return data if isinstance(data, dict) else {}

    def _token(self) -> str:
        if self.user:
            response = self.client.post(f"{self.url}/auth/token",
                                        json={"username": self.user, "password": self.password or ""})  # fmt: skip
        else:
            response = self.client.get(f"{self.url}/auth/token")
        response.raise_for_status()
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError("Airflow's /auth/token gave no access_token")
        return token


_clients: dict[str, AirflowEvents] = {}


def announce(settings: Settings, tender_id: str, action: str) -> bool:
    """Tell Airflow a buyer's notice changed (publish, edit, withdraw); False if not configured, if it failed,
    or if another thread is sending and takes this event along."""
    if not settings.airflow_url:
        return False
    client = _clients.get(settings.airflow_url)
    if client is None:
        client = _clients[settings.airflow_url] = AirflowEvents(settings.airflow_url, settings.airflow_user,
                                                                settings.airflow_password)  # fmt: skip
    # httpx names the URL it called, user info and all (TENDER_RADAR_AIRFLOW_URL=http://svc:S3cret@...):
    # emit_or_leave logs the error redacted
    return client.emit_or_leave(COLLECTED, {"source": "buyer", "tender_id": tender_id, "action": action})
