"""Pages for social enterprises, no password: subscribe, the profile and feedback by signed
links from the emails, and a public page per tender with the reasons for its score."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from matching.rules import rules
from matching.subscriptions import SubscriberError, parse_subscriber
from notifications.digest import money, place_names, reason_text, still_open
from notifications.readable import buyer_text, listing_name, when_text
from notifications.tokens import PROFILE_VALID, TokenError, make_token, read_token
from radar.subscribers import subscribe
from radar.web.auth import LOGIN_COOKIE
from radar.web.codes import code_namer
from radar.web.context import Context, PostedForm
from radar.web.interest_pages import interest_box, without_feedback_token
from radar.web.problems import link_problem, profile_problems
from radar.web.watching import watch_box
from radar.web.words import BAD_FORM, N_, words
from tenders import clock

SIGN_UPS_PER_CLIENT = 10  # sign-ups from one client address in an hour
LISTED = N_("This subscription is managed by the operator. Ask your coordinator for changes.")


def selfservice_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    def bad_link(request: Request, lang: str, title: str, why: str) -> Response:
        return ctx.render(request, "message.html", title=title, status=400, lang=lang, error=link_problem(why, lang))

    def form_page(
        request: Request,
        lang: str,
        *,
        title: str,
        values: dict[str, Any],
        action: str,
        editing: bool,
        status: int = 200,
        problems: list[str] | None = None,
        intro: str = "",
        unsubscribe: str = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        sectors = [(code, spec.get(lang, code)) for code, spec in rules().typical.items()]
        response = ctx.render(
            request,
            "profile_form.html",
            title=title,
            lang=lang,
            status=status,
            v=values,
            action=action,
            editing=editing,
            sectors=sectors,
            problems=problems or [],
            intro=intro,
            unsubscribe=unsubscribe,
            csrf_anchor=cookie,
            calendar=f"{ctx.base(request)}/calendar?{request.url.query}" if editing else "",  # the profile's link
            search=f"{ctx.base(request)}/tenders?{request.url.query}" if editing else "",  # rows with "Bevaka"
        )
        return ctx.with_form_cookie(request, response, cookie)

    @router.get("/subscribe")
    def subscribe_page(request: Request) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        values = _values({"language": lang, "frequency": "daily", "min_score": 0.5, **_from_search(request)})
        return form_page(
            request,
            lang,
            title=_("Subscribe to public tenders"),
            values=values,
            intro=_("Get the tenders that suit your social enterprise. We send a link to confirm."),
            action=f"{ctx.base(request)}/subscribe?lang={lang}",
            editing=False,
        )

    @router.post("/subscribe")
    def subscribe_post(request: Request, form: PostedForm) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        if not ctx.form_ok(request, form):
            return ctx.render(request, "message.html", title=_(BAD_FORM), status=403, lang=lang)
        client = request.client.host if request.client else "unknown"
        if not ctx.store.throttle_take("sign-up-client", client, SIGN_UPS_PER_CLIENT, timedelta(hours=1)):
            too_many = _("Too many sign-ups from here in a short time. Try again in an hour.")
            return ctx.render(request, "message.html", title=_("Subscribe to public tenders"), status=429, lang=lang,
                              error=too_many)  # fmt: skip
        profile = _profile(form)
        try:
            problems = profile_problems(profile, lang, signing_up=True)
            if problems:
                raise SubscriberError("; ".join(problems))
            subscriber = subscribe(ctx.settings, ctx.store, profile)
        except SubscriberError:
            return form_page(
                request,
                lang,
                title=_("Subscribe to public tenders"),
                values=_values(profile),
                status=400,
                problems=problems or [_("The profile could not be saved. Check the fields and try again.")],
                editing=False,
                action=f"{ctx.base(request)}/subscribe?lang={lang}",
            )
        return ctx.render(
            request,
            "message.html",
            title=_("Subscribe to public tenders"),
            lang=lang,
            message=_(
                "Thank you! We have sent a confirmation link to %(email)s. Nothing starts or changes until "
                "the link is used, not even a subscription the address already has."
            )
            % {"email": subscriber.email},
        )

    def signed_subscriber(request: Request, purpose: str) -> tuple[str, dict[str, Any] | None, str | None]:
        """(key, the stored profile or None when listed in subscribers.yaml, an error)."""
        try:
            key = read_token(ctx.secret, request.query_params.get("token", ""), purpose)
        except TokenError as exc:
            return "", None, str(exc)
        row = ctx.store.signed_up_row(key)
        return key, ({**row.profile, "email": row.email} if row is not None else None), None

    @router.get("/profile")
    def profile_page(request: Request) -> Response:
        key, profile, error = signed_subscriber(request, "profile")
        lang = ctx.lang(request, fallback=(profile or {}).get("language"))
        _ = words(lang).gettext
        if error:
            return bad_link(request, lang, _("Your profile"), error)
        if profile is None:
            return ctx.render(request, "message.html", title=_("Your profile"), lang=lang, body=_(LISTED))
        token = request.query_params.get("token", "")
        leave = make_token(ctx.secret, "unsubscribe", key, valid_for=PROFILE_VALID)
        unsubscribe = f"{ctx.base(request)}/unsubscribe?token={leave}"
        return form_page(
            request,
            lang,
            title=_("Your profile") + f": {profile.get('organisation', '')}",
            values=_values(profile),
            editing=True,
            unsubscribe=unsubscribe,
            action=f"{ctx.base(request)}/profile?token={token}&lang={lang}",
        )

    @router.post("/profile")
    def profile_post(request: Request, form: PostedForm) -> Response:
        key, profile, error = signed_subscriber(request, "profile")
        lang = ctx.lang(request, fallback=(profile or {}).get("language"))
        _ = words(lang).gettext
        if error or profile is None or not ctx.form_ok(request, form):
            why = link_problem(error, lang) if error else _(LISTED) if profile is None else _(BAD_FORM)
            return ctx.render(
                request, "message.html", title=_("Your profile"), status=403 if not error else 400, lang=lang, error=why
            )
        changes = _profile(form)
        updated = {**profile, **{k: v for k, v in changes.items() if k not in ("organisation", "email", "org_number")}}
        for name in ("sectors", "keywords", "exclude", "regions"):
            updated[name] = changes.get(name, [])
        token = request.query_params.get("token", "")
        action = f"{ctx.base(request)}/profile?token={token}&lang={lang}"
        try:
            problems = profile_problems(updated, lang, signing_up=False)
            if problems:
                raise SubscriberError("; ".join(problems))
            parse_subscriber({**updated, "key": key}, "profile")
        except SubscriberError:
            return form_page(
                request,
                lang,
                title=_("Your profile"),
                values=_values(updated),
                status=400,
                editing=True,
                problems=problems or [_("The profile could not be saved. Check the fields and try again.")],
                action=action,
            )
        ctx.store.update_profile(key, updated)
        lang = str(updated.get("language") or lang)
        return form_page(
            request,
            lang,
            title=words(lang).gettext("Your profile"),
            values=_values(updated),
            editing=True,
            action=action,
            intro=words(lang).gettext("Your profile is saved."),
        )

    def feedback_target(request: Request) -> tuple[str, Any, str | None]:
        try:
            key = read_token(ctx.secret, request.query_params.get("token", ""), "feedback")
        except TokenError as exc:
            return "", None, str(exc)
        found = ctx.store.assessed_by_ids([request.query_params.get("tender", "")])
        return key, found[0].tender if found else None, None if found else "no such tender"

    @router.get("/feedback")
    def feedback_page(request: Request) -> Response:
        _key, tender, error = feedback_target(request)
        lang = ctx.lang(request)
        _ = words(lang).gettext
        if error:
            return bad_link(request, lang, _("Was this tender relevant to you?"), error)
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        action = f"{ctx.base(request)}/feedback?{request.url.query}"
        response = ctx.render(
            request,
            "feedback.html",
            title=_("Was this tender relevant to you?"),
            lang=lang,
            tender=tender,
            action=action,
            preset=request.query_params.get("relevant", ""),
            csrf_anchor=cookie,
        )
        return ctx.with_form_cookie(request, response, cookie)

    @router.post("/feedback")
    def feedback_post(request: Request, form: PostedForm) -> Response:
        key, tender, error = feedback_target(request)
        lang = ctx.lang(request)
        _ = words(lang).gettext
        if error or not ctx.form_ok(request, form) or form.get("relevant") not in ("0", "1"):
            return ctx.render(
                request,
                "message.html",
                title=_("Was this tender relevant to you?"),
                status=400,
                lang=lang,
                error=link_problem(error, lang) if error else _(BAD_FORM),
            )
        ctx.store.save_feedback(key, tender.id, form.get("relevant") == "1")
        return ctx.render(
            request,
            "message.html",
            title=_("Thank you! We use your answer to choose better for you."),
            lang=lang,
            link=f"{ctx.base(request)}/tenders/{tender.id}?lang={lang}",
            link_text=tender.title or tender.id,
        )

    @router.get("/my-tenders")
    def my_tenders(request: Request) -> Response:
        """The tenders sent to this subscriber that are still open, best first: where a digest's
        "och N till" / "and N more" leads (the profile's signed link opens it)."""
        key, profile, error = signed_subscriber(request, "profile")
        lang = ctx.lang(request, fallback=(profile or {}).get("language"))
        _ = words(lang).gettext
        named = code_namer(_)
        if error:
            return bad_link(request, lang, _("Your tenders"), error)
        items = ctx.store.assessed_by_ids(sorted(ctx.store.delivered(key)))
        if not ctx.settings.include_expired:
            items = still_open(items, clock.today())
        items.sort(key=lambda a: (-a.score, a.tender.deadline or "9999", a.tender.id))
        rows = [
            {"title": a.tender.title or a.tender.id, "url": f"{ctx.base(request)}/tenders/{a.tender.id}?lang={lang}",
             "label": named("label", a.label), "score": round(a.score * 100),
             "buyer": buyer_text(a.tender, lang) or "–", "place": place_names(a.tender, lang) or "–",
             "deadline": when_text(a.tender.deadline, lang) or "–"}
            for a in items
        ]  # fmt: skip
        return ctx.render(request, "my_tenders.html", title=_("Your tenders"), lang=lang, rows=rows)

    @router.get("/tenders/{tender_id:path}")
    def tender_page(request: Request, tender_id: str) -> Response:
        if (redirect := without_feedback_token(ctx, request)) is not None:
            return redirect
        lang = ctx.lang(request)
        _ = words(lang).gettext
        found = ctx.store.assessed_by_ids([tender_id])
        if not found:
            return ctx.render(request, "message.html", title=_("No such page."), status=404, lang=lang)
        item = found[0]
        t = item.tender
        label = code_namer(_)("label", item.label)
        return ctx.render(
            request,
            "tender.html",
            title=t.title or t.id,
            lang=lang,
            t=t,
            a=item,
            label=label,
            reasons=[reason_text(r, lang) for r in item.reasons],
            place=place_names(t, lang),
            value=money(t.estimated_value, t.currency, lang),
            buyer=buyer_text(t, lang),
            deadline=when_text(t.deadline, lang),
            published=when_text(t.published, lang),
            listings=[(listing_name(x.source, x.url, lang), x) for x in ctx.store.listings(t.id)],
            interest=interest_box(ctx, request, t, lang),
            watch=watch_box(ctx, request, t, lang),
        )

    return router


def _from_search(request: Request) -> dict[str, Any]:
    """The sign-up form filled in from a search on ``/tenders`` ("Bevaka den här sökningen")."""
    params = request.query_params
    found = {"keywords": _split(params.get("keywords")), "regions": _split(params.get("regions")),
             "sectors": [s for s in _split(params.get("sectors")) if s in rules().typical]}  # fmt: skip
    return {k: v for k, v in found.items() if v}


def _split(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _profile(form: Any) -> dict[str, Any]:
    """A profile from a posted form: lists from comma-separated fields, the score from 0–100."""
    score = str(form.get("min_score") or "").strip()
    profile: dict[str, Any] = {
        "organisation": str(form.get("organisation") or "").strip(),
        "email": str(form.get("email") or "").strip(),
        "org_number": str(form.get("org_number") or "").strip() or None,
        "regions": _split(form.get("regions")),
        "sectors": [str(x) for x in form.getlist("sectors")],
        "keywords": _split(form.get("keywords")),
        "exclude": _split(form.get("exclude")),
        "frequency": str(form.get("frequency") or "daily"),
        "language": str(form.get("language") or "sv"),
        "sector_uncertain": form.get("sector_uncertain") == "1" or None,
        "unplaced": form.get("unplaced") == "1" or None,
    }
    if score:
        try:
            profile["min_score"] = float(score) / 100
        except ValueError:
            profile["min_score"] = score  # parse_subscriber names it
    return {k: v for k, v in profile.items() if v not in (None, "")}


def _values(profile: dict[str, Any]) -> dict[str, Any]:
    """A profile as the form shows it."""
    score = profile.get("min_score", 0.5)
    return {
        "organisation": profile.get("organisation", ""),
        "email": profile.get("email", ""),
        "org_number": profile.get("org_number") or "",
        "regions": ", ".join(profile.get("regions") or []),
        "sectors": list(profile.get("sectors") or []),
        "keywords": ", ".join(profile.get("keywords") or []),
        "exclude": ", ".join(profile.get("exclude") or []),
        "min_score": round(float(score) * 100) if isinstance(score, int | float) else score,
        "frequency": profile.get("frequency", "daily"),
        "language": profile.get("language", "sv"),
        "sector_uncertain": bool(profile.get("sector_uncertain")),
        "unplaced": bool(profile.get("unplaced")),
    }
