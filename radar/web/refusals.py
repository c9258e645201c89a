"""The pages' answers to a request that is wrong before any route looks at it: a parameter out of
range, a query or path that FastAPI's validation refuses. Said in the page's language, never
with the library's text (the API under ``/api/`` keeps FastAPI's JSON)."""

from __future__ import annotations

from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response

from radar.web.context import BadParameterError, context_of
from radar.web.problems import field_label, library_problem
from radar.web.words import words


def bad_parameter(request: Request, exc: Exception) -> Response:
    """``?year=²``: a 400 page naming the parameter and its range."""
    assert isinstance(exc, BadParameterError)
    ctx = context_of(request)
    user = ctx.user(request)
    lang = ctx.lang(request, user)
    _ = words(lang).gettext
    error = _("%(name)s must be a whole number from %(low)s to %(high)s.") % {
        "name": field_label(exc.name, _),
        "low": exc.low,
        "high": exc.high,
    }
    return ctx.render(request, "message.html", title=_("The address is not valid"), status=400, user=user,
                      lang=lang, error=error)  # fmt: skip


async def invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 for a page: each failing parameter by its label and its problem in words."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(f"{context_of(request).base(request)}/api/"):
        return await request_validation_exception_handler(request, exc)
    ctx = context_of(request)
    lang = ctx.lang(request)
    _ = words(lang).gettext
    problems = [
        f"{field_label(str(error['loc'][-1]), _)}: {library_problem(error['type'], error.get('ctx') or {}, _)}"
        for error in exc.errors()
    ]
    return ctx.render(request, "message.html", title=_("The address is not valid"), status=422, lang=lang,
                      error=" ".join(problems))  # fmt: skip
