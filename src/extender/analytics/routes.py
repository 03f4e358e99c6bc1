"""One dashboard per role; /dashboard sends each person to theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts.models import Role
from extender.analytics import dashboards
from extender.db import utcnow
from extender.web.deps import DB, CurrentPrincipal, Principal, require
from extender.web.templating import render

pages = APIRouter(include_in_schema=False)


@pages.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, principal: CurrentPrincipal) -> Response:
    names = dashboards.dashboards_for(principal.role_names())
    if len(names) == 1:
        return RedirectResponse(f"/dashboard/{names[0]}", status_code=303)
    return render(request, "analytics/choose.html", principal, {"names": names})


@pages.get("/dashboard/learner", response_class=HTMLResponse)
def learner(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.LEARNER))],
) -> Response:
    data = dashboards.learner_dashboard(db, principal.user, utcnow().date())
    return render(request, "analytics/learner.html", principal, {"d": data})


@pages.get("/dashboard/program", response_class=HTMLResponse)
def program(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, Role.INSTRUCTOR))],
) -> Response:
    admin_orgs = principal.orgs_with(Role.PROGRAM_ADMIN)
    data = dashboards.program_dashboard(db, principal.user, admin_orgs, utcnow().date())
    return render(
        request, "analytics/program.html", principal, {"d": data, "is_admin": bool(admin_orgs)}
    )


@pages.get("/dashboard/psychometrics", response_class=HTMLResponse)
def psychometrics(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.PSYCHOMETRICIAN))],
) -> Response:
    return render(
        request,
        "analytics/psychometrics.html",
        principal,
        {"blueprints": dashboards.psychometrics_dashboard(db)},
    )


@pages.get("/dashboard/proctor", response_class=HTMLResponse)
def proctor(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.PROCTOR))],
) -> Response:
    orgs = principal.orgs_with(Role.PROCTOR)
    data = dashboards.program_dashboard(db, principal.user, orgs, utcnow().date())
    return render(request, "analytics/proctor.html", principal, {"d": data})


@pages.get("/dashboard/recruiter", response_class=HTMLResponse)
def recruiter(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.EMPLOYER_RECRUITER))],
) -> Response:
    orgs = principal.orgs_with(Role.EMPLOYER_RECRUITER)
    return render(
        request,
        "analytics/recruiter.html",
        principal,
        {"orgs": orgs, "pools": dashboards.recruiter_dashboard(db, orgs)},
    )


@pages.get("/dashboard/admin", response_class=HTMLResponse)
def admin(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require(Role.PLATFORM_ADMIN))],
) -> Response:
    return render(request, "analytics/admin.html", principal, {"d": dashboards.admin_dashboard(db)})
