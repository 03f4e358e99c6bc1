"""Recruiter pages, scoped to one organization (``/placement/orgs/{slug}``): its
opportunities, the editor, applicants with their verified portfolio, stage changes,
messages, shared profiles and recommended candidates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts.models import Organization, Role, User
from extender.errors import Forbidden, InvalidInput, NotFound
from extender.placement import applications, opportunities, portfolio, profiles
from extender.placement import recommendations as recs
from extender.placement.learner_routes import form_dict, scenarios_of
from extender.placement.models import KINDS, WEEKDAYS, Opportunity
from extender.placement.schemas import OpportunityInput, parse
from extender.web.deps import DB, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
Recruiter = Annotated[Principal, Depends(require(Role.EMPLOYER_RECRUITER, org_param="slug"))]
AnyRecruiter = Annotated[Principal, Depends(require(Role.EMPLOYER_RECRUITER))]
LISTS = (
    "schedule_days",
    "ehr_products",
    "required_competencies",
    "preferred_competencies",
    "required_credentials",
)


def _org(principal: Principal) -> Organization:
    if principal.org is None:  # require(org_param=...) always sets it
        raise Forbidden("no organization selected")
    return principal.org


def _base(org: Organization) -> str:
    return f"/placement/orgs/{org.slug}"


@pages.get("/placement/recruiting")
def recruiting(principal: AnyRecruiter) -> Response:
    org = principal.orgs_with(Role.EMPLOYER_RECRUITER)[0]
    return RedirectResponse(f"{_base(org)}/opportunities", status_code=303)


@pages.get("/placement/orgs/{slug}/opportunities", response_class=HTMLResponse)
def org_opportunities(request: Request, db: DB, principal: Recruiter, slug: str) -> Response:
    org = _org(principal)
    return render(
        request,
        "placement/org_opportunities.html",
        principal,
        {
            "org": org,
            "base": _base(org),
            "rows": opportunities.list_for_org(db, org),
            "orgs": principal.orgs_with(Role.EMPLOYER_RECRUITER),
        },
    )


def _editor(
    request: Request,
    principal: Principal,
    org: Organization,
    opp: Opportunity | None,
    values: dict[str, Any],
    error: str | None = None,
) -> Response:
    return render(
        request,
        "placement/editor.html",
        principal,
        {
            "org": org,
            "base": _base(org),
            "opp": opp,
            "v": values,
            "error": error,
            "kinds": KINDS,
            "weekdays": WEEKDAYS,
        },
        status_code=422 if error else 200,
    )


@pages.get("/placement/orgs/{slug}/opportunities/new", response_class=HTMLResponse)
def new_opportunity(request: Request, principal: Recruiter, slug: str) -> Response:
    defaults = {"kind": "shadowing", "slots": 1, "pay_unit": "hour", "schedule_days": []}
    return _editor(request, principal, _org(principal), None, defaults)


async def _input(request: Request) -> tuple[dict[str, Any], OpportunityInput | str]:
    form = await request.form()
    data = form_dict(form, ("schedule_days",), ("remote", "paid"))
    for name in LISTS[1:]:
        data.setdefault(name, "")
    try:
        return data, parse(OpportunityInput, data)
    except InvalidInput as exc:
        return data, exc.message


@pages.post("/placement/orgs/{slug}/opportunities", response_class=HTMLResponse)
async def create_opportunity(request: Request, db: DB, principal: Recruiter, slug: str) -> Response:
    org = _org(principal)
    data, parsed = await _input(request)
    try:
        if isinstance(parsed, str):
            raise InvalidInput(parsed)
        opp = opportunities.create(db, principal.actor, org, parsed, scenarios_of(request))
    except InvalidInput as exc:
        db.rollback()
        return _editor(request, principal, org, None, data, exc.message)
    db.commit()
    flash(request, f"Draft {opp.title} saved. Publish it when it is ready.")
    return RedirectResponse(f"{_base(org)}/opportunities/{opp.id}", status_code=303)


@pages.get("/placement/orgs/{slug}/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity_page(
    request: Request, db: DB, principal: Recruiter, slug: str, opportunity_id: str
) -> Response:
    org = _org(principal)
    opp = opportunities.of_org(db, org, opportunity_id)
    return render(
        request,
        "placement/org_opportunity.html",
        principal,
        {
            "org": org,
            "base": _base(org),
            "opp": opp,
            "applicants": applications.list_for_opportunity(db, opp),
            "candidates": recs.candidates_for(db, org, opp, scenarios_of(request), limit=10),
        },
    )


@pages.get(
    "/placement/orgs/{slug}/opportunities/{opportunity_id}/edit", response_class=HTMLResponse
)
def edit_opportunity(
    request: Request, db: DB, principal: Recruiter, slug: str, opportunity_id: str
) -> Response:
    org = _org(principal)
    opp = opportunities.of_org(db, org, opportunity_id)
    return _editor(request, principal, org, opp, opportunities.form_values(opp))


@pages.post("/placement/orgs/{slug}/opportunities/{opportunity_id}", response_class=HTMLResponse)
async def update_opportunity(
    request: Request, db: DB, principal: Recruiter, slug: str, opportunity_id: str
) -> Response:
    org = _org(principal)
    opp = opportunities.of_org(db, org, opportunity_id)
    data, parsed = await _input(request)
    try:
        if isinstance(parsed, str):
            raise InvalidInput(parsed)
        opportunities.update(db, principal.actor, opp, parsed, scenarios_of(request))
    except InvalidInput as exc:
        db.rollback()
        return _editor(request, principal, org, opp, data, exc.message)
    db.commit()
    flash(request, f"Saved {opp.title}.")
    return RedirectResponse(f"{_base(org)}/opportunities/{opp.id}", status_code=303)


@pages.post("/placement/orgs/{slug}/opportunities/{opportunity_id}/publish")
def publish(
    request: Request, db: DB, principal: Recruiter, slug: str, opportunity_id: str
) -> Response:
    org = _org(principal)
    opp = opportunities.publish(db, principal.actor, opportunities.of_org(db, org, opportunity_id))
    db.commit()
    flash(request, f"Published {opp.title}; learners can find it now.")
    return RedirectResponse(f"{_base(org)}/opportunities/{opp.id}", status_code=303)


@pages.post("/placement/orgs/{slug}/opportunities/{opportunity_id}/close")
def close(
    request: Request, db: DB, principal: Recruiter, slug: str, opportunity_id: str
) -> Response:
    org = _org(principal)
    opp = opportunities.close(db, principal.actor, opportunities.of_org(db, org, opportunity_id))
    db.commit()
    flash(request, f"Closed {opp.title}; it takes no more applications.")
    return RedirectResponse(f"{_base(org)}/opportunities/{opp.id}", status_code=303)


def _shared_page(
    request: Request, db: DB, principal: Principal, org: Organization, user_id: str, **extra: Any
) -> Response:
    view = profiles.shared_with(db, org, user_id)
    book = portfolio.portfolio(db, user_id, scenarios_of(request))
    return render(
        request,
        extra.pop("template", "placement/candidate.html"),
        principal,
        {"org": org, "base": _base(org), "view": view, "book": book, **extra},
    )


@pages.get("/placement/orgs/{slug}/applications/{application_id}", response_class=HTMLResponse)
def applicant(
    request: Request, db: DB, principal: Recruiter, slug: str, application_id: str
) -> Response:
    org = _org(principal)
    app = applications.of_org(db, org, application_id)
    user = db.get(User, app.user_id)
    if user is None:
        raise NotFound(f"no application {application_id}")
    shared: Any = None
    try:
        shared = profiles.shared_with(db, org, user.id)
    except NotFound:
        shared = None  # the learner hid every section, even from employers they applied to
    return render(
        request,
        "placement/applicant.html",
        principal,
        {
            "org": org,
            "base": _base(org),
            "app": app,
            "learner": user,
            "view": shared,
            "book": portfolio.portfolio(db, user.id, scenarios_of(request)) if shared else None,
            "fit": recs.candidate_fit(db, org, app.opportunity, user, scenarios_of(request)),
            "messages": applications.messages(db, app),
            "moves": sorted(applications.recruiter_moves(app)),
            "refusal": applications.message_refusal(app, "recruiter"),
        },
    )


@pages.post("/placement/orgs/{slug}/applications/{application_id}/stage")
def applicant_stage(
    request: Request,
    db: DB,
    principal: Recruiter,
    slug: str,
    application_id: str,
    stage: Annotated[str, Form()],
) -> Response:
    org = _org(principal)
    app = applications.of_org(db, org, application_id)
    applications.recruiter_move(db, principal.actor, principal.user, org, app, stage)
    db.commit()
    flash(request, f"Moved the application to {stage}; the learner has been notified.")
    return RedirectResponse(f"{_base(org)}/applications/{app.id}", status_code=303)


@pages.post("/placement/orgs/{slug}/applications/{application_id}/messages")
def applicant_message(
    request: Request,
    db: DB,
    principal: Recruiter,
    slug: str,
    application_id: str,
    body: Annotated[str, Form()] = "",
) -> Response:
    org = _org(principal)
    app = applications.of_org(db, org, application_id)
    applications.send_message(
        db, principal.actor, principal.user, app, body, side="recruiter", org=org
    )
    db.commit()
    flash(request, "Message sent.")
    return RedirectResponse(f"{_base(org)}/applications/{app.id}", status_code=303)


@pages.get("/placement/orgs/{slug}/candidates/{user_id}", response_class=HTMLResponse)
def candidate(request: Request, db: DB, principal: Recruiter, slug: str, user_id: str) -> Response:
    return _shared_page(request, db, principal, _org(principal), user_id)
