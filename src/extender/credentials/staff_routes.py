"""Credential staff pages (program admins for their programs' learners, platform admins for
everyone): list and filter, pending approvals, revoke / suspend / reinstate with a reason,
continuing-education entry, and a requirements check that issues what a learner is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts.models import Role
from extender.credentials import issuance, lifecycle, service
from extender.credentials.models import Credential
from extender.credentials.requirements import evaluate, learner_record
from extender.errors import InvalidInput
from extender.web.deps import DB, AppSettings, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, Role.PLATFORM_ADMIN))]
BACK = "/staff/credentials"


@pages.get("/staff/credentials", response_class=HTMLResponse)
def staff_home(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: Staff,
    holder: str = "",
    status: str = "",
    achievement: str = "",
    learner: str = "",
) -> Response:
    scope = service.staff_scope(db, principal.user)
    evaluations = None
    if learner.strip():
        user = service.scoped_learner(db, scope, learner)
        record = learner_record(db, user)
        cat = issuance.catalog(settings)
        evaluations = (
            user,
            [evaluate(spec, record, cat.scenarios) for spec in cat.achievements.values()],
        )
    return render(
        request,
        "credentials/staff.html",
        principal,
        {
            "rows": service.list_credentials(
                db, scope, holder_email=holder, status=status, achievement=achievement
            ),
            "approvals": service.scoped_approvals(db, scope),
            "achievements": issuance.catalog(settings).achievements,
            "filters": {"holder": holder, "status": status, "achievement": achievement},
            "learner": learner,
            "evaluations": evaluations,
        },
    )


@pages.post("/staff/credentials/{credential_id}/status")
def change_status(
    request: Request,
    db: DB,
    principal: Staff,
    credential_id: str,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    cred: Credential = service.scoped_credential(
        db, service.staff_scope(db, principal.user), credential_id
    )
    lifecycle.change_status(db, principal.actor, cred, action, reason)
    db.commit()
    flash(request, f"Credential {cred.id[:8]}… is now {cred.status}.")
    return RedirectResponse(BACK, status_code=303)


@pages.post("/staff/credentials/approvals/{approval_id}/{decision}")
def decide(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: Staff,
    approval_id: str,
    decision: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    approval = service.scoped_approval(db, service.staff_scope(db, principal.user), approval_id)
    if decision == "approve":
        issuance.approve(db, principal.actor, settings, approval.id)
        message = "Approved: the credential is issued."
    elif decision == "reject":
        issuance.reject(db, principal.actor, approval.id, reason)
        message = "Rejected."
    else:
        raise InvalidInput(f"unknown decision {decision}; use approve or reject")
    db.commit()
    flash(request, message)
    return RedirectResponse(BACK, status_code=303)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "the completion date must look like 2026-05-31", field="completed_on"
        ) from None


def _parse_credits(value: str) -> float:
    try:
        return float(value.strip())
    except ValueError:
        raise InvalidInput("credits must be a number, e.g. 2.5", field="credits") from None


@pages.post("/staff/credentials/ce")
def record_ce(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: Staff,
    email: Annotated[str, Form()] = "",
    track: Annotated[str, Form()] = "",
    credits: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = "",
    completed_on: Annotated[str, Form()] = "",
) -> Response:
    user = service.scoped_learner(db, service.staff_scope(db, principal.user), email)
    lifecycle.record_ce(
        db,
        principal.actor,
        user=user,
        track=track,
        credits=_parse_credits(credits),
        title=title,
        provider=provider,
        completed_on=_parse_date(completed_on),
    )
    due = issuance.issue_due(db, principal.actor, user.id, settings)
    db.commit()
    flash(request, f"CE recorded for {user.email}; {_describe(due)}")
    return RedirectResponse(BACK, status_code=303)


def _describe(due: Sequence[object]) -> str:
    issued = sum(isinstance(d, Credential) for d in due)
    pending = len(due) - issued
    if not due:
        return "nothing new is due."
    return f"{issued} credential(s) issued, {pending} waiting for approval."


@pages.post("/staff/credentials/issue-due")
def issue_due(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: Staff,
    email: Annotated[str, Form()] = "",
) -> Response:
    user = service.scoped_learner(db, service.staff_scope(db, principal.user), email)
    due = issuance.issue_due(db, principal.actor, user.id, settings)
    db.commit()
    flash(request, f"Requirements checked for {user.email}: {_describe(due)}")
    return RedirectResponse(f"{BACK}?learner={user.email}", status_code=303)
