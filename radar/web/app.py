"""The web app: the coordinators' dashboard, subscriber self-service, confirmation (double opt-in),
unsubscribe (RFC 8058 one-click), the SendGrid webhook. Runs alone (``tender-radar serve``) or
inside Airflow's api-server (``plugins/tender_radar_web.py``).

One router per area (``consent``, ``webhooks``, ``dashboard``, ``report_page``, ``selfservice``) over one
``Context``: one store, one rendering path with the security headers, the login as a dependency.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from radar.web.buyers_api import buyers_api
from radar.web.buyers_pages import buyer_pages_router
from radar.web.consent import consent_router
from radar.web.context import (
    BadParameterError,
    Context,
    CoordinatorsOnlyError,
    LoginRequiredError,
    coordinators_only,
    to_login,
)
from radar.web.dashboard import dashboard_router
from radar.web.headers import SecurityHeaders, quiet_access_log
from radar.web.interest_pages import interest_router
from radar.web.limits import BodyLimit
from radar.web.refusals import bad_parameter, invalid_request
from radar.web.report_page import report_router
from radar.web.selfservice import selfservice_router
from radar.web.tenders_list import tenders_list_router
from radar.web.watching import watching_router
from radar.web.webhooks import webhooks_router
from tenders.config import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(title="Social Tender Radar", docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # added last, so it wraps the rest: the 413 carries the headers too
    quiet_access_log()
    ctx = Context(settings)
    app.state.context = ctx
    app.add_exception_handler(LoginRequiredError, to_login)
    app.add_exception_handler(CoordinatorsOnlyError, coordinators_only)
    app.add_exception_handler(BadParameterError, bad_parameter)
    app.add_exception_handler(RequestValidationError, invalid_request)  # pages in words, the API in JSON
    app.include_router(consent_router(ctx))
    app.include_router(dashboard_router(ctx))
    app.include_router(report_router(ctx))  # the October check-in per county
    app.include_router(selfservice_router(ctx))
    app.include_router(buyers_api(ctx))
    app.include_router(buyer_pages_router(ctx))
    app.include_router(interest_router(ctx))
    app.include_router(watching_router(ctx))  # watch a tender, the calendar feed
    app.include_router(tenders_list_router(ctx))  # the open tenders, searched; watch a search
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(f"{ctx.base(request)}/subscribe", status_code=303)

    app.include_router(webhooks_router(ctx))
    return app
