"""Practicum rules: workspaces (create, find, reset), scenario attempts (start, submit,
grade), and what instructors see. Workspaces are private: every lookup checks the owner and
answers "not found" otherwise, so no one learns that another's workspace exists."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.practicum.fhir.bundles import resources_for_load
from extender.practicum.fhir.store import Accessor, Store
from extender.practicum.generator.generate import generate_practice
from extender.practicum.generator.params import PracticeParams
from extender.practicum.graders.state import WorkspaceState
from extender.practicum.models import (
    FhirResource,
    FhirResourceVersion,
    PatientMerge,
    ScenarioAttempt,
    Workspace,
)
from extender.practicum.scenarios import ScenarioSpec


def _translate(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list | tuple):
        return [_translate(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _translate(v, mapping) for k, v in value.items()}
    return value


def _load_practice(session: Session, workspace: Workspace, params: PracticeParams) -> None:
    practice = generate_practice(params)
    resources, mapping = resources_for_load(practice.bundle)
    Store(session, workspace.id, audit=False).bulk_load(resources)
    workspace.seed, workspace.patients = params.seed, params.patients
    workspace.answer_key = {
        "key": _translate(practice.answer_key.to_dict(), mapping),
        "policy": practice.access_policy,
        "as_of": params.as_of.isoformat(),
    }
    workspace.staff = {"accounts": _translate(practice.staff_accounts, mapping)}
    workspace.inbox = {"messages": practice.lab_inbox} if practice.lab_inbox else None


def create_workspace(
    session: Session,
    owner: User,
    *,
    name: str,
    params: PracticeParams,
    scenario_slug: str | None = None,
) -> Workspace:
    workspace = Workspace(owner_id=owner.id, name=name, scenario_slug=scenario_slug)
    session.add(workspace)
    session.flush()
    _load_practice(session, workspace, params)
    return workspace


def owned_workspace(session: Session, user: User, workspace_id: str) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.owner_id != user.id:
        raise NotFound("no such workspace")
    return workspace


def workspaces_of(session: Session, user: User) -> list[Workspace]:
    return list(
        session.scalars(
            select(Workspace)
            .where(Workspace.owner_id == user.id)
            .order_by(Workspace.created_at.desc())
        )
    )


def reset_workspace(
    session: Session, actor: Actor, workspace: Workspace, params: PracticeParams
) -> None:
    """Throw away everything the learner did and load the practice afresh (instructor)."""
    for model in (FhirResource, FhirResourceVersion, PatientMerge):
        session.execute(delete(model).where(model.workspace_id == workspace.id))
    _load_practice(session, workspace, params)
    workspace.reset_at = utcnow()
    audit.record(
        session,
        actor,
        "workspace.reset",
        "workspace",
        workspace.id,
        after={"owner": workspace.owner_id, "scenario": workspace.scenario_slug},
    )


# --- sandbox staff accounts ---------------------------------------------------------------


def staff_accounts(workspace: Workspace) -> list[dict[str, Any]]:
    return list((workspace.staff or {}).get("accounts", []))


def roles_catalog() -> tuple[str, ...]:
    from extender.practicum.generator.accounts import ROLES

    return ROLES


def save_staff_account(
    store: Store,
    workspace: Workspace,
    *,
    username: str,
    name: str,
    job_title: str,
    roles: list[str],
    active: bool,
    create: bool,
) -> None:
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("_", "").isalnum():
        raise InvalidInput(
            "username must be letters, digits, dots or underscores", field="username"
        )
    unknown = sorted(set(roles) - set(roles_catalog()))
    if unknown:
        raise InvalidInput(f"unknown role(s): {', '.join(unknown)}", field="roles")
    accounts = staff_accounts(workspace)
    existing = next((a for a in accounts if a["username"] == username), None)
    if create and existing is not None:
        raise Conflict(f"the sandbox already has a user {username}", field="username")
    if not create and existing is None:
        raise NotFound(f"no sandbox user {username}")
    policy = (workspace.answer_key or {}).get("policy", {})
    if job_title not in policy:
        raise InvalidInput(
            f"job title must be one of: {', '.join(sorted(policy))}", field="job_title"
        )
    record = {
        **(existing or {}),
        "username": username,
        "name": name.strip() or username,
        "job_title": job_title,
        "roles": sorted(set(roles)),
        "active": active,
    }
    accounts = [a for a in accounts if a["username"] != username] + [record]
    workspace.staff = {"accounts": sorted(accounts, key=lambda a: a["username"])}
    store.record(
        "C" if create else "U",
        "user-admin",
        [],
        query=json.dumps({"user": username, "roles": record["roles"], "active": active}),
    )


# --- scenario attempts --------------------------------------------------------------------


def start_attempt(session: Session, user: User, spec: ScenarioSpec) -> ScenarioAttempt:
    live = session.scalar(
        select(ScenarioAttempt).where(
            ScenarioAttempt.user_id == user.id,
            ScenarioAttempt.scenario_slug == spec.slug,
            ScenarioAttempt.submitted_at.is_(None),
        )
    )
    if live is not None:
        raise Conflict(
            f"you already have an open attempt at {spec.title}; continue it or submit it first"
        )
    workspace = create_workspace(
        session, user, name=spec.title, params=spec.practice.params(), scenario_slug=spec.slug
    )
    attempt = ScenarioAttempt(workspace_id=workspace.id, user_id=user.id, scenario_slug=spec.slug)
    session.add(attempt)
    session.flush()
    return attempt


def open_attempt(session: Session, workspace: Workspace) -> ScenarioAttempt | None:
    return session.scalar(
        select(ScenarioAttempt).where(
            ScenarioAttempt.workspace_id == workspace.id, ScenarioAttempt.submitted_at.is_(None)
        )
    )


def workspace_state(
    session: Session, workspace: Workspace, submission: dict[str, Any]
) -> WorkspaceState:
    resources: dict[str, list[dict[str, Any]]] = {}
    rows = session.execute(
        select(FhirResource.resource_type, FhirResource.content).where(
            FhirResource.workspace_id == workspace.id, FhirResource.deleted.is_(False)
        )
    )
    for row in rows:
        if row.content:
            resources.setdefault(row.resource_type, []).append(row.content)
    live_merges = session.scalars(
        select(PatientMerge).where(
            PatientMerge.workspace_id == workspace.id, PatientMerge.undone_at.is_(None)
        )
    )
    key = workspace.answer_key or {}
    return WorkspaceState(
        resources=resources,
        staff=staff_accounts(workspace),
        access_policy=key.get("policy", {}),
        answer_key=key.get("key", {}),
        merges=[
            {"survivor": f"Patient/{m.survivor}", "merged": f"Patient/{m.merged}"}
            for m in live_merges
        ],
        submission=submission,
        as_of=key.get("as_of", "2026-11-01"),
    )


def submit_attempt(
    session: Session, attempt: ScenarioAttempt, spec: ScenarioSpec, submission: dict[str, Any]
) -> ScenarioAttempt:
    if attempt.submitted_at is not None:
        raise Conflict("this attempt was already submitted")
    workspace = session.get(Workspace, attempt.workspace_id)
    assert workspace is not None
    from extender.practicum.graders import GRADERS

    result = GRADERS[spec.grader](workspace_state(session, workspace, submission))
    attempt.submitted_at = utcnow()
    attempt.submission = submission
    attempt.score = result.score
    attempt.passed = result.score >= spec.pass_score
    attempt.rubric = {
        "lines": [
            {"item": r.item, "points": r.points, "max_points": r.max_points, "feedback": r.feedback}
            for r in result.rubric
        ]
    }
    _learning_record(session, attempt, spec)
    return attempt


def _learning_record(session: Session, attempt: ScenarioAttempt, spec: ScenarioSpec) -> None:
    """The attempt as an xAPI statement, for the program's learning record store."""
    from extender.curriculum.learning import ACTIVITY_BASE, record_statement

    user = session.get(User, attempt.user_id)
    if user is None or attempt.score is None:
        return
    record_statement(
        session,
        user,
        "passed" if attempt.passed else "failed",
        f"{ACTIVITY_BASE}/practicum/{spec.slug}",
        f"Practicum scenario: {spec.title}",
        result={
            "score": {
                "scaled": round(attempt.score / 100, 3),
                "raw": attempt.score,
                "min": 0,
                "max": 100,
            },
            "success": bool(attempt.passed),
            "completion": True,
            "duration": f"PT{minutes_spent(attempt)}M",
        },
    )


def attempts_of(session: Session, user: User) -> list[ScenarioAttempt]:
    return list(
        session.scalars(
            select(ScenarioAttempt)
            .where(ScenarioAttempt.user_id == user.id)
            .order_by(ScenarioAttempt.started_at.desc())
        )
    )


def minutes_spent(attempt: ScenarioAttempt) -> int:
    end = attempt.submitted_at or utcnow()
    return max(1, int((end - attempt.started_at) / timedelta(minutes=1)))


def accessor_for(user: User, address: str, via: str) -> Accessor:
    return Accessor(user=user.email, display=user.display_name, address=address, via=via)
