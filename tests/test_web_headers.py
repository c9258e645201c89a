"""Every page the web app renders carries the security headers, the email-link pages included."""

from __future__ import annotations

from fastapi.testclient import TestClient

from radar.web.app import create_app
from tenders.config import Settings


def test_the_unsubscribe_and_confirm_pages_send_the_security_headers(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    for response in (client.get("/unsubscribe?token=garbage"), client.post("/confirm?token=garbage"),
                     client.get("/subscribe"), client.get("/login")):  # fmt: skip
        assert "script-src 'none'" in response.headers["Content-Security-Policy"], response.url
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url


def test_the_dashboard_sends_a_visitor_without_a_session_to_the_login(settings: Settings) -> None:
    client = TestClient(create_app(settings), follow_redirects=False)
    for path in ("/dashboard", "/dashboard/sources", "/dashboard/register", "/dashboard/county/SE312"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
