"""What every page needs: the store, the language, the prefix the app is mounted under, the
logged-in coordinator, CSRF checks, rendering and CSV answers.

The app holds one ``Context`` (``app.state.context``): one store, one rendering path that always
sends the security headers. The login check is one dependency, ``Coordinator``.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import threading
from collections.abc import Iterable, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from notifications.tokens import TokenError, read_token
from radar.web.auth import LOGIN_COOKIE, SESSION_COOKIE, csrf_ok, csrf_token
from radar.web.limits import limit_for
from radar.web.words import LANGUAGES, environment, words
from tenders.config import Settings
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore
from tenders.store.records import Login

LANG_COOKIE = "tr_lang"


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._opening = threading.Lock()

    @property
    def store(self) -> Store:
        """Opened (and migrated) once, by the first request: the others, on other threads, wait for it."""
        if self._store is None:
            with self._opening:
                if self._store is None:
                    self._store = open_store(self.settings)
        return self._store

    @property
    def secret(self) -> str:
        return self.settings.secret_key()

    # -- who and which language ---------------------------------------------------------

    def user(self, request: Request) -> Login | None:
        """The coordinator of a live session: signed, not expired, and not logged out."""
        session = self._session(request)
        username = self.store.session_user(session) if session else None
        return self.store.coordinator(username) if username else None

    def end_session(self, request: Request) -> None:
        session = self._session(request)
        if session:
            self.store.close_session(session)

    def _session(self, request: Request) -> str | None:
        token = request.cookies.get(SESSION_COOKIE, "")
        try:
            return read_token(self.secret, token, "session") if token else None
        except TokenError:
            return None

    def is_buyer(self, username: str) -> bool:
        """A login with the role buyer acts for an organisation (radar.buyers.notices), not for counties."""
        return BuyerStore(self.store).org_of_user(username) is not None

    def lang(self, request: Request, user: Login | None = None, fallback: str | None = None) -> str:
        for value in (
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            fallback,
            user.language if user else None,
        ):
            if value in LANGUAGES:
                return str(value)
        return "sv"

    @staticmethod
    def base(request: Request) -> str:
        return str(request.scope.get("root_path") or "").rstrip("/")

    # -- forms ----------------------------------------------------------------------------

    def anchor(self, request: Request) -> str:
        """What a form's CSRF token is bound to: the session, else the pre-login cookie."""
        return request.cookies.get(SESSION_COOKIE) or request.cookies.get(LOGIN_COOKIE) or ""

    def form_ok(self, request: Request, form: Any) -> bool:
        """The CSRF token matches and, when the browser says where the post came from, it is this site."""
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin and _origin(origin) != _origin(str(request.url)):
            return False
        return csrf_ok(self.secret, self.anchor(request), str(form.get("csrf") or ""))

    # -- answers --------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        *,
        title: str,
        status: int = 200,
        user: Login | None = None,
        lang: str | None = None,
        csrf_anchor: str | None = None,
        **values: Any,
    ) -> HTMLResponse:
        lang = lang or self.lang(request, user)
        other = "en" if lang == "sv" else "sv"
        query = dict(request.query_params)
        query["lang"] = other
        anchor = csrf_anchor if csrf_anchor is not None else self.anchor(request)
        html = (
            environment(lang)
            .get_template(template)
            .render(
                lang=lang,
                other_lang=other,
                other_lang_query=urlencode(query),
                base=self.base(request),
                user=user.username if user else None,
                role=("buyer" if self.is_buyer(user.username) else "coordinator") if user else None,
                csrf=csrf_token(self.secret, anchor) if anchor else "",
                title=title,
                **values,
            )
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; "
            "form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="strict", path=self.cookie_path(request))
        return response

    def with_form_cookie(self, request: Request, response: Response, cookie: str) -> Response:
        """The random cookie a form's CSRF token is bound to before anyone has logged in."""
        response.set_cookie(LOGIN_COOKIE, cookie, httponly=True, samesite="strict", secure=self.secure_cookies(),
                            path=self.cookie_path(request), max_age=3600)  # fmt: skip
        return response

    def cookie_path(self, request: Request) -> str:
        return self.base(request) or "/"

    def secure_cookies(self) -> bool:
        return self.settings.base_url.startswith("https://")

    def login_redirect(self, request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{self.base(request)}/login?{urlencode({'next': target})}", status_code=303)

    def new_login_cookie(self) -> str:
        return secrets.token_urlsafe(24)


class BadParameterError(Exception):
    """A query parameter out of its range (``dashboard.number_param``): ``refusals`` answers a 400 page."""

    def __init__(self, name: str, low: int, high: int) -> None:
        super().__init__(f"{name} must be a whole number from {low} to {high}")
        self.name, self.low, self.high = name, low, high


class LoginRequiredError(Exception):
    """Raised by the ``Coordinator`` dependency; the app answers with the login page's redirect."""


class CoordinatorsOnlyError(Exception):
    """Raised by the ``Coordinator`` dependency for a buyer's login: the coordinators' pages are not its."""


def coordinators_only(request: Request, _exc: Exception) -> Response:
    ctx = context_of(request)
    user = ctx.user(request)
    lang = ctx.lang(request, user)
    return ctx.render(request, "message.html", title=words(lang).gettext("This page is for coordinators"), status=403,
                      user=user)  # fmt: skip


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def logged_in(request: Request) -> Login:
    """The coordinator behind the session cookie, or LoginRequiredError; a buyer's login is refused."""
    user = context_of(request).user(request)
    if user is None:
        raise LoginRequiredError
    if context_of(request).is_buyer(user.username):
        raise CoordinatorsOnlyError
    return user


def to_login(request: Request, _exc: Exception) -> Response:
    return context_of(request).login_redirect(request)


Coordinator = Annotated[Login, Depends(logged_in)]


# The body arrives over the network, so it is awaited on the event loop; everything after it (the
# store, hashing, parsing, rendering) runs in a worker thread: a route that takes a body is a plain
# ``def`` with one of these as a parameter, and FastAPI runs it in the thread pool. An ``async def``
# route that does blocking work holds every other visitor meanwhile (issue 25, item 5).


async def posted_form(request: Request) -> FormData:
    """The posted form. A field may be as large as the route's body limit (``limits.LIMITS``):
    Starlette's own cap of 1 MB a field answered a 400 to a plan's previewed rows over 1 MB."""
    return await request.form(max_part_size=limit_for(request.scope))


async def posted_body(request: Request) -> bytes:
    """The posted body as bytes (``BodyLimit`` has cut it off at the route's limit)."""
    return await request.body()


PostedForm = Annotated[FormData, Depends(posted_form)]
PostedBody = Annotated[bytes, Depends(posted_body)]


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (the default one filled in): an Origin differs in any of them."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return ("", "", None)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download (``,``-separated) in which no cell runs as a formula, whichever separator the
    spreadsheet splits at: see ``_cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that Excel reads the Swedish letters right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Where a spreadsheet may start a cell inside a field: Excel in a Swedish locale splits a ``,`` file
# at ``;`` and, having lost track of the quotes, at line breaks; then spaces or quotes; then what
# starts a formula (OWASP's CSV injection advice: = + - @ tab CR, and the full-width forms).
_FORMULA = re.compile(r"(^|[,;\r\n\t])([ \"]*)([=+\-@\t\r\uff1d\uff0b\uff0d\uff20])")


def _cell(value: Any) -> Any:
    """A text a spreadsheet could run as a formula gets ``'`` before it, at the field's start and after
    each separator or line break in it: tender titles and notes come from strangers. (Only the
    field's start was guarded: a note ``hej; =HYPERLINK(...)`` ran in a ``;`` reader.)"""
    if isinstance(value, str):
        return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", value)
    return "" if value is None else value
