"""``/api/v1/notices``: buyers publish, edit and withdraw notices with a Bearer token.

Answers: 201 with the id and the assessment; 401 without a live token; 403 for a place
outside the organisation's area; 404 for a notice that is not the organisation's own;
409 for a change to a withdrawn notice; 413 for a body over 1 MB; 422 with the failing
fields. Nothing is stored unless the whole notice is valid.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from radar.buyers.events import announce
from radar.buyers.notices import (
    MAX_BODY,
    BuyerError,
    NotFoundError,
    NoticeError,
    OutsideAreaError,
    WithdrawnError,
    authenticate,
    edit,
    publish,
    withdraw,
)
from radar.web.context import Context, PostedBody
from tenders.store import Store
from tenders.store.buyers import BuyerOrg


class _RefusedError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="tender-radar"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _refusal(exc: BuyerError) -> JSONResponse:
    if isinstance(exc, NoticeError):
        return _error(422, "the notice is not valid", fields=exc.fields)
    if isinstance(exc, OutsideAreaError):
        return _error(403, str(exc), fields={"nuts": f"outside the area: {', '.join(exc.places)}"})
    if isinstance(exc, NotFoundError):
        return _error(404, str(exc))
    if isinstance(exc, WithdrawnError):
        return _error(409, str(exc))
    return _error(400, str(exc))


def buyers_api(ctx: Context) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    settings = ctx.settings

    def store() -> Store:
        return ctx.store

    def caller(request: Request) -> tuple[BuyerOrg, str]:
        found = authenticate(store(), request.headers.get("authorization"))
        if found is None:
            raise _RefusedError(_error(401, "a valid API token is needed: Authorization: Bearer TOKEN"))
        org, token_name = found
        return org, f"token:{token_name}"

    def body(raw: bytes) -> Any:
        if len(raw) > MAX_BODY:
            raise _RefusedError(_error(413, f"a notice takes at most {MAX_BODY} bytes"))
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _RefusedError(_error(422, "the body is not JSON", fields={"body": str(exc)})) from None
        except RecursionError:  # 100,000 nested brackets: a 500 before
            raise _RefusedError(_error(422, "the body is not JSON a notice can be: nested too deeply",
                                       fields={"body": "nested too deeply"})) from None  # fmt: skip

    @router.post("/notices")
    def publish_notice(request: Request, raw: PostedBody, background: BackgroundTasks) -> JSONResponse:
        try:
            org, actor = caller(request)
            data = body(raw)
            done = publish(store(), org, data, actor, base_url=settings.base_url)
        except _RefusedError as refused:
            return refused.response
        except BuyerError as exc:
            return _refusal(exc)
        background.add_task(announce, settings, done.tender.id, "publish")  # after the answer: Airflow may be slow
        return JSONResponse(done.to_dict(), status_code=201, headers={"Location": f"/api/v1/notices/{done.tender.id}"})

    @router.get("/notices")
    def list_notices(request: Request) -> JSONResponse:
        from tenders.store.buyers import BuyerStore

        try:
            org, _ = caller(request)
        except _RefusedError as refused:
            return refused.response
        notices = BuyerStore(store()).notices([org.org_number])
        return JSONResponse([{"id": n.tender_id, "status": n.status, "created_at": n.created_at.isoformat(),
                              "updated_at": n.updated_at.isoformat()} for n in notices])  # fmt: skip

    @router.get("/notices/{tender_id}")
    def get_notice(request: Request, tender_id: str) -> JSONResponse:
        from radar.buyers.notices import owned

        try:
            org, _ = caller(request)
            return JSONResponse(owned(store(), org, tender_id).to_dict())
        except _RefusedError as refused:
            return refused.response
        except BuyerError as exc:
            return _refusal(exc)

    @router.put("/notices/{tender_id}")
    def edit_notice(request: Request, tender_id: str, raw: PostedBody, background: BackgroundTasks) -> JSONResponse:
        try:
            org, actor = caller(request)
            data = body(raw)
            done = edit(store(), org, tender_id, data, actor, base_url=settings.base_url)
        except _RefusedError as refused:
            return refused.response
        except BuyerError as exc:
            return _refusal(exc)
        if done.changed:
            background.add_task(announce, settings, done.tender.id, "edit")
        return JSONResponse({**done.to_dict(), "changed": done.changed})

    @router.delete("/notices/{tender_id}")
    def withdraw_notice(request: Request, tender_id: str, background: BackgroundTasks) -> JSONResponse:
        try:
            org, actor = caller(request)
            done = withdraw(store(), org, tender_id, actor)
        except _RefusedError as refused:
            return refused.response
        except BuyerError as exc:
            return _refusal(exc)
        if done.changed:
            background.add_task(announce, settings, done.tender.id, "withdraw")
        return JSONResponse({"id": done.tender.id, "status": "withdrawn"})

    return router
