"""JSON API under /api/v1/placement: search, one opportunity, a learner's recommendations,
posting for recruiters, and applying."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from extender.accounts.models import Organization, Role
from extender.placement import applications, opportunities, search
from extender.placement import recommendations as recs
from extender.placement.learner_routes import scenarios_of
from extender.placement.models import Opportunity
from extender.placement.recommend import Fit
from extender.placement.schemas import OpportunityInput, SearchQuery, parse
from extender.web.deps import DB, CurrentPrincipal, Principal, require

api = APIRouter(prefix="/api/v1/placement", tags=["placement"])
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
Recruiter = Annotated[Principal, Depends(require(Role.EMPLOYER_RECRUITER, org_param="slug"))]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such opportunity or organization"},
    409: {"description": "The opportunity does not take applications"},
    422: {"description": "Invalid input; the message names the field"},
}


class OpportunityOut(BaseModel):
    id: str
    organization: str
    kind: str
    title: str
    description: str
    status: str
    slots: int
    remote: bool
    address: str
    zip: str | None
    schedule: str
    schedule_days: list[str]
    starts_on: date | None
    ends_on: date | None
    paid: bool
    pay_min: float | None
    pay_max: float | None
    pay_unit: str
    ehr_products: list[str]
    required_competencies: list[str]
    preferred_competencies: list[str]
    required_credentials: list[str]
    published_at: datetime | None
    distance_miles: float | None = None


class SearchOut(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[OpportunityOut]


class ReasonOut(BaseModel):
    status: str
    text: str


class PartOut(BaseModel):
    part: str
    points: float
    out_of: float
    how: str


class RecommendationOut(BaseModel):
    opportunity: OpportunityOut
    score: float
    requirements_met: bool
    within_reach: bool
    reasons: list[ReasonOut]
    breakdown: list[PartOut]


class ApplyIn(BaseModel):
    note: str = ""


class ApplicationOut(BaseModel):
    id: str
    opportunity_id: str
    stage: str
    created: bool
    message: str


def _out(opp: Opportunity, org: Organization | str, miles: float | None = None) -> OpportunityOut:
    data = {name: getattr(opp, name) for name in OpportunityOut.model_fields if hasattr(opp, name)}
    data["organization"] = org.slug if isinstance(org, Organization) else org
    data["distance_miles"] = None if miles is None else round(miles, 1)
    return OpportunityOut.model_validate(data)


def _rec(fit: Fit, opp: Opportunity, org_slug: str) -> RecommendationOut:
    return RecommendationOut(
        opportunity=_out(opp, org_slug, fit.distance_miles),
        score=round(fit.score, 1),
        requirements_met=fit.eligible,
        within_reach=fit.reachable,
        reasons=[ReasonOut(status=r.status, text=r.text) for r in fit.reasons],
        breakdown=[
            PartOut(part=p.name, points=p.points, out_of=p.weight, how=p.how) for p in fit.parts
        ],
    )


@api.get("/opportunities", response_model=SearchOut, responses=ERRORS)
def search_opportunities(
    db: DB,
    principal: CurrentPrincipal,
    q: str = "",
    kind: str | None = None,
    zip: str | None = None,
    miles: int | None = None,
    remote: str = "any",
    competency: Annotated[list[str] | None, Query()] = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchOut:
    """Search published opportunities: words in the title or description, kind, distance
    from a ZIP code, remote or on-site, and competencies asked for."""
    query = parse(
        SearchQuery,
        {
            "q": q,
            "kind": kind,
            "zip": zip,
            "miles": miles,
            "remote": remote,
            "competency": competency or [],
            "page": page,
            "per_page": per_page,
        },
    )
    result = search.search(db, query)
    return SearchOut(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[_out(h.opportunity, h.org, h.miles) for h in result.hits],
    )


@api.get("/opportunities/{opportunity_id}", response_model=OpportunityOut, responses=ERRORS)
def get_opportunity(db: DB, principal: CurrentPrincipal, opportunity_id: str) -> OpportunityOut:
    opp = opportunities.get_published(db, opportunity_id)
    org = db.get(Organization, opp.org_id)
    assert org is not None
    return _out(opp, org)


@api.get("/recommendations", response_model=list[RecommendationOut])
def my_recommendations(
    request: Request, db: DB, principal: Learner, limit: int = Query(10, ge=1, le=100)
) -> list[RecommendationOut]:
    """Open opportunities that fit the signed-in learner, best first, each with its reasons."""
    pairs = recs.for_learner(db, principal.user, scenarios_of(request), limit)
    slugs = {o.id: o.slug for o in db.query(Organization).all()}
    return [_rec(f, opp, slugs.get(opp.org_id, "")) for f, opp in pairs]


@api.post(
    "/orgs/{slug}/opportunities",
    response_model=OpportunityOut,
    status_code=201,
    responses=ERRORS,
)
def create_opportunity(
    request: Request, db: DB, principal: Recruiter, slug: str, body: dict[str, Any]
) -> OpportunityOut:
    """Create a draft opportunity for the organization (publish it on its page)."""
    assert principal.org is not None
    data = parse(OpportunityInput, body)
    opp = opportunities.create(db, principal.actor, principal.org, data, scenarios_of(request))
    db.commit()
    return _out(opp, principal.org)


@api.post(
    "/opportunities/{opportunity_id}/applications",
    response_model=ApplicationOut,
    responses=ERRORS,
)
def apply(db: DB, principal: Learner, opportunity_id: str, body: ApplyIn) -> JSONResponse:
    """Apply once: 201 with the new application, or 200 with the existing one."""
    opp = opportunities.get_published(db, opportunity_id)
    app, created = applications.apply(db, principal.actor, principal.user, opp, body.note)
    db.commit()
    message = "application received" if created else "you already applied; this is your application"
    out = ApplicationOut(
        id=app.id, opportunity_id=opp.id, stage=app.stage, created=created, message=message
    )
    return JSONResponse(out.model_dump(), status_code=201 if created else 200)
