"""The buyers' pages: their notices, a form to publish one, a notice with its log; coordinators
read the buyers' notices placed in their counties.

Same login, session and brake as the coordinators (``/login?next=/buyer``). A buyer sees and
changes only its own organisation's notices; anything else is a 404, so that a guessed id
tells nothing. Every form carries the CSRF token.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile

from notifications.senders.configured import for_settings
from radar.buyers.events import announce
from radar.buyers.interest import INTEREST_CSV_HEADER, interest_rows
from radar.buyers.notices import (
    BuyerError,
    NoticeError,
    OutsideAreaError,
    Viewer,
    may_change,
    may_see,
    publish,
    viewer,
    visible_notices,
    withdraw,
)
from radar.buyers.plans import FIELDS as PLAN_FIELDS
from radar.buyers.plans import MAX_ROWS, PlanError, PlanRow, guess_mapping, import_plan, plan_rows, read_table
from radar.buyers.reminders import invite, send_buyer_messages
from radar.buyers.supply import RESERVABLE_AT_LEAST, supply
from radar.subscribers import active_subscribers
from radar.web.context import Context, PostedForm, csv_response
from radar.web.problems import FIELD_LABELS, field_label, field_problems, invite_problem, plan_problem
from radar.web.words import BAD_FORM, N_, words
from tenders.model import Tender
from tenders.places import counties
from tenders.store.buyers import BuyerOrg, BuyerStore

FORM_FIELDS = ("title", "description", "status", "expected_publication", "deadline", "cpv_main", "estimated_value",
               "procedure_id")  # fmt: skip
NOT_YOURS = N_("There is no such notice, or it is not yours.")
NO_ROLE = N_("This page is for buyers and coordinators.")
PUBLISH = N_("Publish a notice")
PLAN = N_("Import a procurement plan")
INVITE = N_("Invite to a market dialogue")


def buyer_pages_router(ctx: Context) -> APIRouter:
    app = APIRouter()

    def who(request: Request) -> tuple[Viewer | None, Any]:
        user = ctx.user(request)
        if user is None:
            return None, None
        return viewer(ctx.store, user.username, list(user.regions), user.is_admin), user

    def page(request: Request, template: str, user: Any, **values: Any) -> Response:
        lang = ctx.lang(request, user)
        names = {code: n[lang] for code, n in counties().items()}
        _ = words(lang).gettext
        labels = {name: field_label(name, _) for name in FIELD_LABELS}
        return ctx.render(request, template, user=user, lang=lang, region_names=names, field_names=labels, **values)

    def refuse(request: Request, user: Any, why: str, status: int) -> Response:
        """``why``: a message id (``NOT_YOURS``, ``NO_ROLE``), shown in the page's language."""
        lang = ctx.lang(request, user)
        return ctx.render(request, "message.html", title=words(lang).gettext(why), status=status, user=user, lang=lang)

    def own(request: Request, tender_id: str) -> tuple[Viewer | None, Any, Tender | None]:
        person, user = who(request)
        if person is None:
            return None, None, None
        tender = ctx.store.get(tender_id) if BuyerStore(ctx.store).notice(tender_id) else None
        return person, user, tender if tender is not None and may_see(person, tender) else None

    def posted(request: Request, user: Any, form: FormData) -> Response | None:
        """The refusal of a form without a valid CSRF field, or None."""
        if not ctx.form_ok(request, form):
            title = words(ctx.lang(request, user)).gettext(BAD_FORM)
            return ctx.render(request, "message.html", title=title, status=403, user=user)
        return None

    def changing(
        request: Request, tender_id: str, form: FormData
    ) -> Response | tuple[Viewer, BuyerOrg, Any, Tender, Any]:
        """The checks before a form changes a notice: logged in, a valid CSRF form, the notice one's own.

        Returns the refusal to send, or (person, organisation, user, notice, form)."""
        person, user, tender = own(request, tender_id)
        if person is None:
            return ctx.login_redirect(request)
        if (refusal := posted(request, user, form)) is not None:
            return refusal
        if tender is None or person.org is None or not may_change(person, tender):
            return refuse(request, user, NOT_YOURS, 404)
        return person, person.org, user, tender, form

    def publishing(request: Request, form: FormData) -> Response | tuple[Viewer, BuyerOrg, Any, str, Any]:
        """The checks before a form publishes for the organisation: logged in, a valid CSRF form, a buyer.

        Returns the refusal to send, or (person, organisation, user, language, form)."""
        person, user = who(request)
        if person is None:
            return ctx.login_redirect(request)
        if (refusal := posted(request, user, form)) is not None:
            return refusal
        if person.org is None:
            return refuse(request, user, NO_ROLE, 403)
        return person, person.org, user, ctx.lang(request, user), form

    def list_page(request: Request, person: Viewer, user: Any, message: str | None = None) -> Response:
        _ = words(ctx.lang(request, user)).gettext
        rows = visible_notices(ctx.store, person)
        title = (
            _("Notices of %(org)s") % {"org": person.org.name} if person.org else _("Buyers' notices in your counties")
        )
        interest = BuyerStore(ctx.store).interest_counts([t.id for _, t in rows])
        return page(request, "buyer_notices.html", user, title=title, rows=rows, person=person, message=message,
                    interest=interest)  # fmt: skip

    @app.get("/buyer")
    def notices_page(request: Request) -> Response:
        person, user = who(request)
        if person is None:
            return ctx.login_redirect(request)
        _ = words(ctx.lang(request, user)).gettext
        done = _("The notice is withdrawn. Those who had it will hear so in their next digest.")
        return list_page(request, person, user, done if request.query_params.get("done") else None)

    @app.get("/buyer/log")
    def log_page(request: Request) -> Response:
        """The log: a buyer's own organisation's; a coordinator's, of the notices in their counties."""
        person, user = who(request)
        if person is None:
            return ctx.login_redirect(request)
        buyers = BuyerStore(ctx.store)
        if person.org is not None:
            entries = buyers.audit_log([person.org.org_number], limit=1000)
        else:
            visible = {t.id for _, t in visible_notices(ctx.store, person)}
            entries = [e for e in buyers.audit_log(limit=5000) if e.tender_id in visible][:1000]
        titles = {t.id: t.title or t.id for _, t in visible_notices(ctx.store, person)}
        if request.query_params.get("format") == "csv":
            return csv_response("log.csv", ["when", "who", "what", "notice", "title"],
                                [[e.at.isoformat(timespec="seconds"), e.actor, e.action, e.tender_id or "",
                                  titles.get(e.tender_id or "", "")] for e in entries])  # fmt: skip
        title = words(ctx.lang(request, user)).gettext("Log")
        return page(request, "buyer_log.html", user, title=title, entries=entries, titles=titles)

    @app.get("/buyer/new")
    def new_page(request: Request) -> Response:
        person, user = who(request)
        if person is None:
            return ctx.login_redirect(request)
        if person.org is None:
            return refuse(request, user, NO_ROLE, 403)
        lang = ctx.lang(request, user)
        values = {"status": "open", "nuts": list(person.org.regions)}
        return page(request, "buyer_form.html", user, title=words(lang).gettext(PUBLISH), v=values,
                    regions=person.org.regions, problems={})  # fmt: skip

    @app.post("/buyer/new")
    def new_post(request: Request, form: PostedForm) -> Response:
        checked = publishing(request, form)
        if isinstance(checked, Response):
            return checked
        person, org, user, lang, form = checked
        data = notice_from_form(form)
        try:
            done = publish(ctx.store, org, data, person.actor, base_url=ctx.settings.base_url)
        except (NoticeError, OutsideAreaError) as exc:
            _ = words(lang).gettext
            problems = (
                field_problems(exc.kinds, lang)
                if isinstance(exc, NoticeError)
                else {
                    "nuts": _("The place is outside the organisation's area: %(places)s")
                    % {"places": ", ".join(exc.places)}
                }
            )
            values = {**{k: str(form.get(k) or "") for k in FORM_FIELDS}, "nuts": data.get("nuts", []),
                      "reserved": bool(form.get("reserved"))}  # fmt: skip
            return page(request, "buyer_form.html", user, title=_(PUBLISH), v=values, regions=org.regions,
                        problems=problems, status=400, error=_("Please check these fields:"))  # fmt: skip
        return RedirectResponse(f"{ctx.base(request)}/buyer/notices/{done.tender.id}?lang={lang}", status_code=303,
                                background=_announcing(ctx, done.tender.id, "publish"))  # fmt: skip

    @app.get("/buyer/notices/{tender_id}")
    def notice_page(request: Request, tender_id: str) -> Response:
        person, user, tender = own(request, tender_id)
        if person is None:
            return ctx.login_redirect(request)
        if tender is None:
            return refuse(request, user, NOT_YOURS, 404)
        found = ctx.store.assessed_by_ids([tender.id])
        buyers = BuyerStore(ctx.store)
        log = buyers.audit_log(tender_id=tender.id)
        mine = may_change(person, tender)
        interested = interest_rows(buyers.interest(tender.id), with_contact=mine)
        wanted = _small_number(request.query_params.get("n", ""))
        n = wanted if wanted is not None and 1 <= wanted <= 100 else RESERVABLE_AT_LEAST
        behind = None
        if tender.status == "planned":
            behind = supply(tender, ctx.store.register(), active_subscribers(ctx.settings, ctx.store))
        invited = _small_number(request.query_params.get("invited", ""))
        ngettext = words(ctx.lang(request, user)).ngettext
        return page(request, "buyer_notice.html", user, title=tender.title or tender.id, t=tender,
                    a=found[0] if found else None, log=log, mine=mine, interested=interested, supply=behind, n=n,
                    can_invite=mine and tender.status == "planned" and person.org is not None
                    and bool(person.org.contact_email),
                    message=ngettext("The invitation went to %(num)s enterprise.",
                                     "The invitation went to %(num)s enterprises.", invited) % {"num": invited}
                    if invited is not None else None)  # fmt: skip

    @app.post("/buyer/notices/{tender_id}/invite")
    def invite_post(request: Request, tender_id: str, form: PostedForm) -> Response:
        checked = changing(request, tender_id, form)
        if isinstance(checked, Response):
            return checked
        person, org, user, tender, form = checked
        lang = ctx.lang(request, user)
        try:
            n = invite(ctx.settings, ctx.store, org, tender.id, str(form.get("text") or ""), person.actor)
        except BuyerError as exc:
            return ctx.render(request, "message.html", title=words(lang).gettext(INVITE), status=400, user=user,
                              lang=lang, error=invite_problem(exc, lang))  # fmt: skip
        send_buyer_messages(ctx.settings, ctx.store, for_settings(ctx.settings))
        return RedirectResponse(f"{ctx.base(request)}/buyer/notices/{tender.id}?lang={lang}&invited={n}",
                                status_code=303)  # fmt: skip

    @app.get("/buyer/notices/{tender_id}/interest.csv")
    def interest_csv(request: Request, tender_id: str) -> Response:
        person, user, tender = own(request, tender_id)
        if person is None:
            return ctx.login_redirect(request)
        if tender is None:
            return refuse(request, user, NOT_YOURS, 404)
        rows = interest_rows(BuyerStore(ctx.store).interest(tender.id), with_contact=may_change(person, tender))
        return csv_response(f"interest-{tender.notice_id}.csv", INTEREST_CSV_HEADER, rows)

    @app.post("/buyer/notices/{tender_id}/withdraw")
    def withdraw_post(request: Request, tender_id: str, form: PostedForm) -> Response:
        checked = changing(request, tender_id, form)
        if isinstance(checked, Response):
            return checked
        person, org, user, tender, _ = checked
        lang = ctx.lang(request, user)
        try:
            withdraw(ctx.store, org, tender.id, person.actor)
        except BuyerError:
            return refuse(request, user, NOT_YOURS, 404)
        return RedirectResponse(f"{ctx.base(request)}/buyer?lang={lang}&done=withdrawn", status_code=303,
                                background=_announcing(ctx, tender.id, "withdraw"))  # fmt: skip

    # -- a procurement plan: map the columns, preview, import --------------------------------

    def plan_page(request: Request, user: Any, status: int = 200, **values: Any) -> Response:
        lang = ctx.lang(request, user)
        values.setdefault("mapping", {})
        _ = words(lang).gettext
        values["column_names"] = {name: field_label(name, _) for name in PLAN_FIELDS}
        values["row_problems"] = {row.line: field_problems(row.kinds, lang) for row in values.get("rows") or []}
        return page(request, "buyer_plan.html", user, title=words(lang).gettext(PLAN), fields=PLAN_FIELDS,
                    status=status, **values)  # fmt: skip

    @app.get("/buyer/plan")
    def plan_form(request: Request) -> Response:
        person, user = who(request)
        if person is None:
            return ctx.login_redirect(request)
        if person.org is None:
            return refuse(request, user, NO_ROLE, 403)
        return plan_page(request, user)

    @app.post("/buyer/plan")
    def plan_preview(request: Request, form: PostedForm) -> Response:
        checked = publishing(request, form)
        if isinstance(checked, Response):
            return checked
        _person, _org, user, lang, form = checked
        given = {name: str(form.get(f"col_{name}") or "") for name in PLAN_FIELDS}
        upload = form.get("file")
        raw = upload.file.read() if isinstance(upload, UploadFile) else b""
        name = str(getattr(upload, "filename", None) or "plan")
        try:  # reading a workbook takes seconds: in the thread pool (a plain def), so others are served meanwhile
            table = read_table(raw, name)
            mapping = {**guess_mapping(table.headers), **{k: v for k, v in given.items() if v.strip()}}
            rows = plan_rows(table, mapping)
        except PlanError as exc:
            return plan_page(request, user, status=400, error=plan_problem(exc, lang), mapping=given)
        good = [r.notice for r in rows if not r.errors]
        return plan_page(request, user, mapping=mapping, rows=rows, headers=table.headers,
                         payload=json.dumps(good, ensure_ascii=False))  # fmt: skip

    @app.post("/buyer/plan/import")
    def plan_import(request: Request, form: PostedForm) -> Response:
        checked = publishing(request, form)
        if isinstance(checked, Response):
            return checked
        person, org, user, lang, form = checked
        _, ngettext = words(lang).gettext, words(lang).ngettext
        try:
            notices = json.loads(str(form.get("rows") or "[]"))
        except ValueError:
            notices = None
        except RecursionError:  # 100,000 nested brackets: a 500 before
            too_deep = _("The rows are nested too deeply to read (JSON). Please preview the file again.")
            return plan_page(request, user, status=400, error=too_deep)
        if not isinstance(notices, list) or len(notices) > MAX_ROWS:
            return plan_page(request, user, status=400, error=_("Please preview the file again."))
        rows = [PlanRow(i, n if isinstance(n, dict) else {}) for i, n in enumerate(notices, start=1)]
        done = import_plan(ctx.store, org, rows, person.actor, base_url=ctx.settings.base_url)
        counts = {"new": len(done.created), "updated": len(done.updated), "failed": len(done.failed)}
        read = ngettext("The plan is imported: %(num)s row.", "The plan is imported: %(num)s rows.", len(rows))
        counted = _("New: %(new)s, changed: %(updated)s, with errors: %(failed)s.") % counts
        message = f"{read % {'num': len(rows)}} {counted}"

        answer = list_page(request, person, user, message)
        if done.created or done.updated:
            answer.background = _announcing(ctx, f"{org.source}:plan", "import")
        return answer

    return app


def _announcing(ctx: Context, tender_id: str, action: str) -> BackgroundTask:
    """Tell Airflow after the answer has gone (radar.buyers.events), so a slow Airflow never holds the page."""
    return BackgroundTask(announce, ctx.settings, tender_id, action)


def _small_number(text: str) -> int | None:
    """A count from the address, or None: "²" passes isdigit() and 5000 digits pass isdecimal(), int() takes neither."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 9 else None


def notice_from_form(form: Any) -> dict[str, Any]:
    """A notice in the API's JSON form from the publishing form; empty fields are left out."""
    data: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = str(form.get(name) or "").strip()
        if value:
            data[name] = value
    if "estimated_value" in data:
        with contextlib.suppress(ValueError):  # if not a number, the check names the field
            data["estimated_value"] = float(data["estimated_value"].replace(" ", "").replace(",", "."))
    data["nuts"] = [str(n) for n in form.getlist("nuts") if str(n).strip()]
    if form.get("reserved"):
        data["reserved_participation"] = ["res-ws"]
    return data
