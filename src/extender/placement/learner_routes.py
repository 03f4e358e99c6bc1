"""Learner pages: placement home, search, opportunity detail with why it fits, saving,
applying, the profile and portfolio editor, my applications, and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts.models import Organization, Role
from extender.errors import InvalidInput
from extender.placement import applications, opportunities, portfolio, profiles, search
from extender.placement import digest as digests
from extender.placement import recommendations as recs
from extender.placement.models import KINDS, SECTIONS, VISIBILITY, WEEKDAYS
from extender.placement.notify import mark_all_read, recent, unread_count
from extender.placement.schemas import ProfileInput, SearchQuery, parse
from extender.practicum.scenarios import ScenarioSpec
from extender.web.deps import DB, CurrentPrincipal, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]


def scenarios_of(request: Request) -> Mapping[str, ScenarioSpec]:
    found: Mapping[str, ScenarioSpec] = request.app.state.scenarios
    return found


def form_dict(form: Any, lists: tuple[str, ...], checks: tuple[str, ...]) -> dict[str, Any]:
    """A form as a dict for the pydantic input: repeated fields as lists and checkboxes as
    booleans (an unticked box sends nothing at all)."""
    data: dict[str, Any] = {
        k: v for k, v in form.multi_items() if k != "csrf_token" and k not in lists
    }
    for name in lists:
        values = form.getlist(name)
        if values:
            data[name] = values if len(values) > 1 else values[0]
    for name in checks:
        data[name] = name in form
    return data


@pages.get("/placement", response_class=HTMLResponse)
def home(request: Request, db: DB, principal: Learner) -> Response:
    user = principal.user
    profile = profiles.get(db, user)
    scenarios = scenarios_of(request)
    fresh = []
    if profile is not None:
        from extender.db import utcnow

        fresh = digests.new_matches(db, profile, scenarios, utcnow())
    return render(
        request,
        "placement/home.html",
        principal,
        {
            "profile": profile,
            "recommended": recs.for_learner(db, user, scenarios, limit=5),
            "fresh": fresh,
            "apps": applications.list_of_learner(db, user),
            "saved": search.saved(db, user),
            "unread": unread_count(db, user),
        },
    )


@pages.get("/placement/search", response_class=HTMLResponse)
def search_page(request: Request, db: DB, principal: Learner) -> Response:
    params: dict[str, Any] = dict(request.query_params)
    params["competency"] = request.query_params.getlist("competency")
    error = None
    try:
        query = parse(SearchQuery, params)
        result = search.search(db, query)
    except InvalidInput as exc:
        error, query, result = exc.message, SearchQuery(), None
    profile = profiles.get(db, principal.user)
    return render(
        request,
        "placement/search.html",
        principal,
        {
            "query": query,
            "result": result,
            "error": error,
            "kinds": KINDS,
            "saved_ids": search.saved_ids(db, principal.user),
            "profile_zip": profile.zip if profile else None,
        },
        status_code=422 if error else 200,
    )


@pages.get("/placement/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity_page(request: Request, db: DB, principal: Learner, opportunity_id: str) -> Response:
    opp = opportunities.get_published(db, opportunity_id)
    mine = [
        a for a in applications.list_of_learner(db, principal.user) if a.opportunity_id == opp.id
    ]
    return render(
        request,
        "placement/opportunity.html",
        principal,
        {
            "opp": opp,
            "org": db.get(Organization, opp.org_id),
            "fit": recs.why(db, principal.user, opp, scenarios_of(request)),
            "application": mine[0] if mine else None,
            "is_saved": search.opportunity_saved(db, principal.user, opp),
        },
    )


@pages.post("/placement/opportunities/{opportunity_id}/save")
def save(request: Request, db: DB, principal: Learner, opportunity_id: str) -> Response:
    opp = opportunities.get_published(db, opportunity_id)
    search.save(db, principal.user, opp)
    db.commit()
    flash(request, f"Saved {opp.title}.")
    return RedirectResponse(f"/placement/opportunities/{opp.id}", status_code=303)


@pages.post("/placement/opportunities/{opportunity_id}/unsave")
def unsave(request: Request, db: DB, principal: Learner, opportunity_id: str) -> Response:
    opp = opportunities.get_published(db, opportunity_id)
    search.unsave(db, principal.user, opp)
    db.commit()
    flash(request, f"Removed {opp.title} from your saved opportunities.")
    return RedirectResponse(f"/placement/opportunities/{opp.id}", status_code=303)


@pages.post("/placement/opportunities/{opportunity_id}/apply")
def apply(
    request: Request,
    db: DB,
    principal: Learner,
    opportunity_id: str,
    note: Annotated[str, Form()] = "",
) -> Response:
    opp = opportunities.get_published(db, opportunity_id)
    app, created = applications.apply(db, principal.actor, principal.user, opp, note)
    db.commit()
    flash(
        request,
        f"Applied to {opp.title}."
        if created
        else f"You already applied to {opp.title}; this is your application.",
    )
    return RedirectResponse(f"/placement/applications/{app.id}", status_code=303)


def _profile_page(
    request: Request, db: DB, principal: Principal, profile: Any, error: str | None = None
) -> Response:
    book = portfolio.portfolio(db, principal.user.id, scenarios_of(request))
    return render(
        request,
        "placement/profile.html",
        principal,
        {
            "profile": profile,
            "book": book,
            "error": error,
            "kinds": KINDS,
            "weekdays": WEEKDAYS,
            "sections": SECTIONS,
            "visibility": VISIBILITY,
        },
        status_code=422 if error else 200,
    )


@pages.get("/placement/profile", response_class=HTMLResponse)
def profile_page(request: Request, db: DB, principal: Learner) -> Response:
    return _profile_page(request, db, principal, profiles.get_or_new(db, principal.user))


@pages.post("/placement/profile", response_class=HTMLResponse)
async def profile_save(request: Request, db: DB, principal: Learner) -> Response:
    form = await request.form()
    data = form_dict(form, ("days", "kinds"), ("remote_ok",))
    try:
        profiles.save(db, principal.actor, principal.user, parse(ProfileInput, data))
    except InvalidInput as exc:
        db.rollback()
        return _profile_page(
            request, db, principal, profiles.get_or_new(db, principal.user), exc.message
        )
    db.commit()
    flash(request, "Profile saved.")
    return RedirectResponse("/placement/profile", status_code=303)


@pages.get("/placement/applications", response_class=HTMLResponse)
def my_applications(request: Request, db: DB, principal: Learner) -> Response:
    return render(
        request,
        "placement/applications.html",
        principal,
        {"apps": applications.list_of_learner(db, principal.user)},
    )


@pages.get("/placement/applications/{application_id}", response_class=HTMLResponse)
def my_application(request: Request, db: DB, principal: Learner, application_id: str) -> Response:
    app = applications.of_learner(db, principal.user, application_id)
    return render(
        request,
        "placement/application.html",
        principal,
        {
            "app": app,
            "org": db.get(Organization, app.opportunity.org_id),
            "messages": applications.messages(db, app),
            "moves": sorted(applications.learner_moves(app)),
            "refusal": applications.message_refusal(app, "learner"),
        },
    )


@pages.post("/placement/applications/{application_id}/stage")
def my_application_stage(
    request: Request,
    db: DB,
    principal: Learner,
    application_id: str,
    stage: Annotated[str, Form()],
) -> Response:
    app = applications.of_learner(db, principal.user, application_id)
    applications.learner_move(db, principal.actor, principal.user, app, stage)
    db.commit()
    flash(request, f"Your application is now {stage}.")
    return RedirectResponse(f"/placement/applications/{app.id}", status_code=303)


@pages.post("/placement/applications/{application_id}/messages")
def my_application_message(
    request: Request,
    db: DB,
    principal: Learner,
    application_id: str,
    body: Annotated[str, Form()] = "",
) -> Response:
    app = applications.of_learner(db, principal.user, application_id)
    org = db.get(Organization, app.opportunity.org_id)
    assert org is not None
    applications.send_message(
        db, principal.actor, principal.user, app, body, side="learner", org=org
    )
    db.commit()
    flash(request, "Message sent.")
    return RedirectResponse(f"/placement/applications/{app.id}", status_code=303)


@pages.get("/placement/notifications", response_class=HTMLResponse)
def notifications(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(
        request,
        "placement/notifications.html",
        principal,
        {"items": recent(db, principal.user), "unread": unread_count(db, principal.user)},
    )


@pages.post("/placement/notifications/read")
def notifications_read(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    count = mark_all_read(db, principal.user)
    db.commit()
    flash(request, f"Marked {count} notifications as read.")
    return RedirectResponse("/placement/notifications", status_code=303)
