"""Practicum pages: the learner's practicum home, the sandbox EHR administration UI (patient
search and chart, merge and undo, practice users and roles, audit-log viewer, result
correction, the interface inbox), submission and feedback, and the instructors' view of their
cohorts' attempts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from extender.accounts.models import Role
from extender.credentials.hooks import issue_after
from extender.errors import InvalidInput, NotFound
from extender.practicum import display, evidence, inbox, service
from extender.practicum import merge as merging
from extender.practicum.fhir.search import search
from extender.practicum.fhir.store import Store
from extender.practicum.fhir.validation import FhirError
from extender.practicum.generator.lab_inbox import LAB_NAME, compendium_rows
from extender.practicum.models import ScenarioAttempt, Workspace
from extender.practicum.scenarios import ScenarioSpec
from extender.practicum.submissions import parse_submission
from extender.web.deps import DB, CurrentPrincipal, Principal, require
from extender.web.markdown import highlight_hl7
from extender.web.templating import flash, render, templates

pages = APIRouter(include_in_schema=False)
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
Staff = Annotated[Principal, Depends(require(Role.INSTRUCTOR, Role.PROGRAM_ADMIN))]


def _scenarios(request: Request) -> dict[str, ScenarioSpec]:
    scenarios: dict[str, ScenarioSpec] = request.app.state.scenarios
    return scenarios


def _scenario(request: Request, slug: str) -> ScenarioSpec:
    spec = _scenarios(request).get(slug)
    if spec is None:
        raise NotFound(f"no scenario {slug}")
    return spec


class Sandbox:
    """The workspace a page works on, with a store that records the UI's accesses."""

    def __init__(
        self, request: Request, db: DB, principal: CurrentPrincipal, workspace: str
    ) -> None:
        self.workspace: Workspace = service.owned_workspace(db, principal.user, workspace)
        self.store = Store(
            db,
            self.workspace.id,
            service.accessor_for(principal.user, principal.client_address, "ui"),
        )
        self.principal = principal
        self.url = f"/practicum/ws/{self.workspace.id}"


Box = Annotated[Sandbox, Depends(Sandbox)]


def _page(
    request: Request, box: Sandbox, template: str, ctx: dict[str, Any], status_code: int = 200
) -> Response:
    return render(
        request,
        f"practicum/{template}",
        box.principal,
        {"ws": box.workspace, "base": box.url, **ctx},
        status_code=status_code,
    )


# --- learner home and attempts ---------------------------------------------------------------


@pages.get("/practicum", response_class=HTMLResponse)
def practicum_home(request: Request, db: DB, principal: Learner) -> Response:
    attempts = service.attempts_of(db, principal.user)
    scenarios = _scenarios(request)
    return render(
        request,
        "practicum/home.html",
        principal,
        {
            "scenarios": scenarios,
            "attempts": attempts,
            "open": {a.scenario_slug: a for a in attempts if a.submitted_at is None},
            "summary": evidence.summarize(attempts, scenarios),
            "minutes": service.minutes_spent,
        },
    )


@pages.post("/practicum/scenarios/{slug}/start")
def start(request: Request, db: DB, principal: Learner, slug: str) -> Response:
    attempt = service.start_attempt(db, principal.user, _scenario(request, slug))
    db.commit()
    return RedirectResponse(f"/practicum/ws/{attempt.workspace_id}", status_code=303)


@pages.get("/practicum/attempts/{attempt_id}", response_class=HTMLResponse)
def attempt_page(
    request: Request, db: DB, principal: CurrentPrincipal, attempt_id: str
) -> Response:
    attempt = db.get(ScenarioAttempt, attempt_id)
    if attempt is None or attempt.user_id != principal.user.id:
        raise NotFound("no such attempt")
    return render(
        request,
        "practicum/attempt.html",
        principal,
        {
            "attempt": attempt,
            "spec": _scenarios(request).get(attempt.scenario_slug),
            "minutes": service.minutes_spent(attempt),
        },
    )


# --- the sandbox ------------------------------------------------------------------------------


@pages.get("/practicum/ws/{workspace}", response_class=HTMLResponse)
def workspace_home(request: Request, db: DB, box: Box) -> Response:
    spec = _scenarios(request).get(box.workspace.scenario_slug or "")
    counts = evidence.resource_counts(db, box.workspace.id)
    return _page(
        request,
        box,
        "workspace.html",
        {
            "spec": spec,
            "attempt": service.open_attempt(db, box.workspace),
            "counts": counts,
            "fhir_base": f"{str(request.base_url).rstrip('/')}/fhir/{box.workspace.id}",
        },
    )


@pages.post("/practicum/ws/{workspace}/submit")
async def submit(request: Request, db: DB, box: Box) -> Response:
    attempt = service.open_attempt(db, box.workspace)
    spec = _scenarios(request).get(box.workspace.scenario_slug or "")
    if attempt is None or spec is None:
        raise NotFound("this workspace has no open scenario attempt")
    form = await request.form()
    submission = parse_submission(spec, {k: str(v) for k, v in form.items()})
    service.submit_attempt(db, attempt, spec, submission)
    db.commit()
    issue_after(db, attempt.user_id, request.app.state.settings, "scenario-submit")
    return RedirectResponse(f"/practicum/attempts/{attempt.id}", status_code=303)


@pages.get("/practicum/ws/{workspace}/patients", response_class=HTMLResponse)
def patients(
    request: Request,
    db: DB,
    box: Box,
    name: str = "",
    birthdate: str = "",
    identifier: str = "",
    page: int = 1,
) -> Response:
    params = [
        (k, v)
        for k, v in (("name", name), ("birthdate", birthdate), ("identifier", identifier))
        if v.strip()
    ]
    params += [("_sort", "family,given"), ("_count", "50"), ("_offset", str(50 * (page - 1)))]
    error = None
    try:
        result = search(db, box.workspace.id, "Patient", params)
        box.store.record(
            "E", "search-type", [], query="Patient?" + "&".join(f"{k}={v}" for k, v in params)
        )
        db.commit()
    except FhirError as exc:
        result, error = None, exc.issues[0].diagnostics
    return _page(
        request,
        box,
        "patients.html",
        {
            "result": result,
            "error": error,
            "page": page,
            "q": {"name": name, "birthdate": birthdate, "identifier": identifier},
        },
        status_code=400 if error else 200,
    )


@pages.get("/practicum/ws/{workspace}/patients/{patient_id}", response_class=HTMLResponse)
def chart(
    request: Request, db: DB, box: Box, patient_id: str, all_results: bool = False
) -> Response:
    try:
        patient = box.store.read("Patient", patient_id)
    except FhirError as exc:
        raise NotFound(exc.issues[0].diagnostics) from None
    db.commit()
    return _page(
        request,
        box,
        "chart.html",
        {
            "patient": patient,
            "chart": evidence.chart(db, box.workspace.id, patient_id),
            "all_results": all_results,
        },
    )


@pages.get("/practicum/ws/{workspace}/merges", response_class=HTMLResponse)
def merges_page(
    request: Request, db: DB, box: Box, survivor: str = "", merged: str = ""
) -> Response:
    return _page(
        request,
        box,
        "merges.html",
        {"merges": merging.merges(db, box.workspace.id), "survivor": survivor, "merged": merged},
    )


@pages.post("/practicum/ws/{workspace}/merges")
def merge(
    request: Request,
    db: DB,
    box: Box,
    survivor: Annotated[str, Form()],
    merged: Annotated[str, Form()],
) -> Response:
    merging.merge_patients(box.store, survivor.strip(), merged.strip())
    db.commit()
    flash(request, f"Merged Patient/{merged.strip()} into Patient/{survivor.strip()}.")
    return RedirectResponse(f"{box.url}/merges", status_code=303)


@pages.post("/practicum/ws/{workspace}/merges/{merge_id}/undo")
def undo(request: Request, db: DB, box: Box, merge_id: int) -> Response:
    merging.undo_merge(box.store, merge_id)
    db.commit()
    flash(request, "Merge undone; both records are as they were before it.")
    return RedirectResponse(f"{box.url}/merges", status_code=303)


@pages.get("/practicum/ws/{workspace}/users", response_class=HTMLResponse)
def users(request: Request, box: Box) -> Response:
    policy = (box.workspace.answer_key or {}).get("policy", {})
    return _page(
        request,
        box,
        "users.html",
        {
            "accounts": service.staff_accounts(box.workspace),
            "roles": service.roles_catalog(),
            "titles": sorted(policy),
        },
    )


@pages.post("/practicum/ws/{workspace}/users")
async def save_user(request: Request, db: DB, box: Box) -> Response:
    form = await request.form()
    service.save_staff_account(
        box.store,
        box.workspace,
        username=str(form.get("username", "")),
        name=str(form.get("name", "")),
        job_title=str(form.get("job_title", "")),
        roles=[str(r) for r in form.getlist("roles")],
        active=form.get("active") == "on",
        create=form.get("mode") == "create",
    )
    db.commit()
    flash(request, f"Saved sandbox user {form.get('username')}.")
    return RedirectResponse(f"{box.url}/users", status_code=303)


@pages.get("/practicum/ws/{workspace}/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    db: DB,
    box: Box,
    user: str = "",
    patient: str = "",
    since: str = "",
    until: str = "",
    action: str = "",
    page: int = 1,
) -> Response:
    params = [("agent-name", user)] if user.strip() else []
    params += [("patient", patient.strip())] if patient.strip() else []
    params += [("date", f"ge{since}")] if since else []
    params += [("date", f"le{until}")] if until else []
    params += [("action", action)] if action else []
    params += [("_sort", "-date"), ("_count", "100"), ("_offset", str(100 * (page - 1)))]
    error = None
    try:
        result = search(db, box.workspace.id, "AuditEvent", params)
    except FhirError as exc:
        result, error = None, exc.issues[0].diagnostics
    return _page(
        request,
        box,
        "audit.html",
        {
            "result": result,
            "error": error,
            "page": page,
            "q": {
                "user": user,
                "patient": patient,
                "since": since,
                "until": until,
                "action": action,
            },
        },
        status_code=400 if error else 200,
    )


@pages.post("/practicum/ws/{workspace}/observations/{observation_id}")
def correct_result(
    request: Request,
    db: DB,
    box: Box,
    observation_id: str,
    loinc: Annotated[str, Form()],
    value: Annotated[str, Form()],
    unit: Annotated[str, Form()],
) -> Response:
    patient = evidence.correct_observation(
        box.store, observation_id, loinc=loinc.strip(), value=value.strip(), unit=unit.strip()
    )
    db.commit()
    flash(request, "Result corrected; the old version stays in its history.")
    return RedirectResponse(f"{box.url}/patients/{patient}#results", status_code=303)


def _inbox_page(
    request: Request, db: DB, box: Sandbox, text: str = "", error: str | None = None
) -> Response:
    messages = inbox.messages_of(box.workspace)
    return _page(
        request,
        box,
        "inbox.html",
        {
            "lab": LAB_NAME,
            "messages": messages,
            "compendium": compendium_rows(),
            "filed": inbox.filed(db, box.workspace),
            "fhir_base": f"{str(request.base_url).rstrip('/')}/fhir/{box.workspace.id}",
            "resource_text": text,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@pages.get("/practicum/ws/{workspace}/inbox", response_class=HTMLResponse)
def inbox_view(request: Request, db: DB, box: Box) -> Response:
    return _inbox_page(request, db, box)


@pages.get("/practicum/ws/{workspace}/inbox.hl7")
def inbox_download(box: Box) -> Response:
    slug = "-".join(re.findall(r"[a-z0-9]+", box.workspace.name.lower()))[:60].strip("-")
    return Response(
        inbox.batch_file(box.workspace).encode(),
        media_type="x-application/hl7-v2+er7",
        headers={"Content-Disposition": f'attachment; filename="{slug or "sandbox"}-inbox.hl7"'},
    )


@pages.post("/practicum/ws/{workspace}/inbox/resource")
def inbox_create(
    request: Request, db: DB, box: Box, resource: Annotated[str, Form()] = ""
) -> Response:
    inbox.stored_messages(box.workspace)  # 404 when the workspace has no inbox
    try:
        done = inbox.create_resource(box.store, resource)
    except InvalidInput as exc:
        return _inbox_page(request, db, box, resource, exc.message)
    db.commit()
    flash(request, done)
    return RedirectResponse(f"{box.url}/inbox", status_code=303)


# --- instructors ------------------------------------------------------------------------------


@pages.get("/practicum/cohorts", response_class=HTMLResponse)
def cohort_attempts(request: Request, db: DB, principal: Staff) -> Response:
    rows = evidence.cohort_attempts(db, principal.user, principal.orgs_with(Role.PROGRAM_ADMIN))
    return render(
        request,
        "practicum/cohort_attempts.html",
        principal,
        {"rows": rows, "scenarios": _scenarios(request), "minutes": service.minutes_spent},
    )


@pages.post("/practicum/workspaces/{workspace}/reset")
def reset(request: Request, db: DB, principal: Staff, workspace: str) -> Response:
    ws = evidence.workspace_for_staff(
        db, principal.user, principal.orgs_with(Role.PROGRAM_ADMIN), workspace
    )
    spec = _scenarios(request).get(ws.scenario_slug or "")
    if spec is None:
        raise InvalidInput("only scenario workspaces can be reset")
    service.reset_workspace(db, principal.actor, ws, spec.practice.params())
    db.commit()
    flash(request, "Workspace reset to a fresh copy of the scenario's practice.")
    return RedirectResponse("/practicum/cohorts", status_code=303)


_ = display  # registers the template filters
templates.env.filters["hl7"] = lambda text: Markup(highlight_hl7(str(text)))
