"""Public catalog pages and API, and the cohort page for program staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts import service as accounts
from extender.accounts.models import Role
from extender.curriculum import service as curriculum
from extender.curriculum.models import Track
from extender.curriculum.schemas import DomainOut, ObjectiveOut, TrackOut, TrackSummaryOut
from extender.errors import NotFound
from extender.web.deps import DB, MaybePrincipal, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["catalog"])

ProgramStaff = Annotated[
    Principal, Depends(require(Role.INSTRUCTOR, Role.PROGRAM_ADMIN, org_param="org"))
]
ProgramAdmin = Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, org_param="org"))]


def _objective_count(track: Track) -> int:
    return sum(len(d.objectives) for d in track.domains)


@pages.get("/tracks", response_class=HTMLResponse)
def tracks_page(request: Request, db: DB, principal: MaybePrincipal) -> Response:
    tracks = curriculum.list_tracks(db)
    return render(
        request,
        "curriculum/tracks.html",
        principal,
        {"tracks": tracks, "objective_count": _objective_count},
    )


@pages.get("/tracks/{code}", response_class=HTMLResponse)
def track_page(request: Request, db: DB, principal: MaybePrincipal, code: str) -> Response:
    track = curriculum.get_track(db, code)
    return render(
        request,
        "curriculum/track.html",
        principal,
        {"track": track, "objective_count": _objective_count(track)},
    )


@api.get("/tracks", response_model=list[TrackSummaryOut], summary="The certification tracks")
def tracks_api(db: DB) -> list[TrackSummaryOut]:
    return [
        TrackSummaryOut(
            code=t.code,
            name=t.name,
            summary=t.summary,
            domain_count=len(t.domains),
            objective_count=_objective_count(t),
        )
        for t in curriculum.list_tracks(db)
    ]


@api.get(
    "/tracks/{code}",
    response_model=TrackOut,
    summary="A track's competency framework: domains, weights and objectives",
)
def track_api(db: DB, code: str) -> TrackOut:
    t = curriculum.get_track(db, code)
    return TrackOut(
        code=t.code,
        name=t.name,
        summary=t.summary,
        description=t.description,
        eligibility=t.eligibility,
        domains=[
            DomainOut(
                code=d.code,
                name=d.name,
                weight=d.weight,
                description=d.description,
                objectives=[
                    ObjectiveOut(
                        code=o.code,
                        statement=o.statement,
                        level=o.level,
                        tags=[x for x in o.tags.split(",") if x],
                    )
                    for o in d.objectives
                ],
            )
            for d in t.domains
        ],
    )


@pages.get("/programs/{org}/cohorts/{slug}", response_class=HTMLResponse)
def cohort_page(request: Request, db: DB, principal: ProgramStaff, org: str, slug: str) -> Response:
    cohort = curriculum.get_cohort(db, slug)
    if principal.org is None or cohort.organization_id != principal.org.id:
        raise NotFound(f"no cohort {slug} in {org}")
    return render(
        request,
        "curriculum/cohort.html",
        principal,
        {
            "cohort": cohort,
            "org": principal.org,
            "roster": curriculum.roster(db, cohort),
            "can_enroll": principal.has_role(Role.PROGRAM_ADMIN, principal.org.id),
        },
    )


@pages.post("/programs/{org}/cohorts/{slug}/enrollments")
def enroll_form(
    request: Request,
    db: DB,
    principal: ProgramAdmin,
    org: str,
    slug: str,
    email: Annotated[str, Form()],
) -> Response:
    cohort = curriculum.get_cohort(db, slug)
    if principal.org is None or cohort.organization_id != principal.org.id:
        raise NotFound(f"no cohort {slug} in {org}")
    user = accounts.find_user_by_email(db, email)
    if user is None:
        raise NotFound(f"no account with email {email.strip()}", field="email")
    curriculum.enroll(db, principal.actor, cohort, user)
    db.commit()
    flash(request, f"{user.display_name} is enrolled in {cohort.name}.")
    return RedirectResponse(f"/programs/{org}/cohorts/{slug}", status_code=303)
