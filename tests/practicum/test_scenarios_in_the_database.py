"""Each shipped scenario worked through the real services on SQLite and PostgreSQL: the grader
reads the workspace's state from the database and gives low marks for wrong work, partial marks
for partial work and a pass for a correct solution. Practices are shrunk to keep this fast; the
defects the rubric needs are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.practicum import service
from extender.practicum.fhir.store import Store
from extender.practicum.graders import GRADERS
from extender.practicum.graders.measure import run_measure
from extender.practicum.graders.provisioning import HIRES, departing_username
from extender.practicum.merge import merge_patients, undo_merge
from extender.practicum.models import Workspace
from extender.practicum.scenarios import ScenarioSpec, load_scenarios
from tests.conftest import CONTENT_DIR, World

SPECS = load_scenarios(CONTENT_DIR)


def _start(
    db: Session, world: World, slug: str, patients: int = 60, **defects: int
) -> tuple[Any, Workspace]:
    spec = SPECS[slug]
    small = spec.model_copy(
        update={
            "practice": spec.practice.model_copy(
                update={"patients": patients, "defects": {**spec.practice.defects, **defects}}
            )
        }
    )
    user = accounts.get_user(db, world.users["learner"].id)
    attempt = service.start_attempt(db, user, small)
    workspace = db.get(Workspace, attempt.workspace_id)
    assert workspace is not None
    return attempt, workspace


def _score(
    db: Session, spec: ScenarioSpec, workspace: Workspace, submission: dict[str, Any] | None = None
) -> float:
    state = service.workspace_state(db, workspace, submission or {})
    return GRADERS[spec.grader](state).score


def _key(workspace: Workspace) -> dict[str, Any]:
    assert workspace.answer_key is not None
    return dict(workspace.answer_key["key"])


def test_duplicates_scenario(db: Session, world: World) -> None:
    spec = SPECS["duplicate-patient-cleanup"]
    attempt, ws = _start(db, world, spec.slug)
    store = Store(db, ws.id)
    pair = _key(ws)["lookalikes"][0]
    wrong = merge_patients(store, pair["first"].split("/")[1], pair["second"].split("/")[1])
    assert _score(db, spec, ws) < 30
    undo_merge(store, wrong.id)
    dups = _key(ws)["duplicates"]
    merge_patients(store, dups[0]["original"].split("/")[1], dups[0]["duplicate"].split("/")[1])
    partial = _score(db, spec, ws)
    assert 30 < partial < spec.pass_score
    for dup in dups[1:]:
        merge_patients(store, dup["original"].split("/")[1], dup["duplicate"].split("/")[1])
    done = service.submit_attempt(db, attempt, spec, {})
    assert done.passed and done.score == 100.0


def test_provisioning_scenario(db: Session, world: World) -> None:
    spec = SPECS["least-privilege-provisioning"]
    attempt, ws = _start(db, world, spec.slug)
    store = Store(db, ws.id)
    policy = ws.answer_key["policy"] if ws.answer_key else {}
    for account in service.staff_accounts(ws):  # everyone an administrator: wrong
        service.save_staff_account(
            store,
            ws,
            username=account["username"],
            name=account["name"],
            job_title=account["job_title"],
            roles=list(service.roles_catalog()),
            active=True,
            create=False,
        )
    assert _score(db, spec, ws) < 40
    for account in service.staff_accounts(ws):  # back to policy, but hires and leaver missing
        service.save_staff_account(
            store,
            ws,
            username=account["username"],
            name=account["name"],
            job_title=account["job_title"],
            roles=list(policy[account["job_title"]]),
            active=True,
            create=False,
        )
    partial = _score(db, spec, ws)
    assert 40 < partial < 100
    for hire in HIRES:
        service.save_staff_account(
            store,
            ws,
            username=hire.username,
            name=hire.name,
            job_title=hire.job_title,
            roles=list(policy[hire.job_title]),
            active=True,
            create=True,
        )
    leaver = departing_username(service.workspace_state(db, ws, {}))
    account = next(a for a in service.staff_accounts(ws) if a["username"] == leaver)
    service.save_staff_account(
        store,
        ws,
        username=account["username"],
        name=account["name"],
        job_title=account["job_title"],
        roles=account["roles"],
        active=False,
        create=False,
    )
    done = service.submit_attempt(db, attempt, spec, {})
    assert done.passed, done.rubric


def test_measure_scenario(db: Session, world: World) -> None:
    spec = SPECS["quality-measure-report"]
    attempt, ws = _start(db, world, spec.slug, patients=spec.practice.patients)
    truth = run_measure(service.workspace_state(db, ws, {}))
    assert len(truth.numerator) >= 2, "the practice must have patients in poor control"
    wrong = {
        "denominator": len(truth.denominator) + 7,
        "exclusions": len(truth.exclusions) + 3,
        "numerator": len(truth.numerator) + 5,
        "numerator_mrns": "",
    }
    assert _score(db, spec, ws, wrong) < 40
    patients = {
        f"Patient/{p['id']}": p for p in service.workspace_state(db, ws, {}).of_type("Patient")
    }
    numerator_mrns = [
        next(i["value"] for i in patients[ref]["identifier"]) for ref in sorted(truth.numerator)
    ]
    right = {
        "denominator": len(truth.denominator),
        "exclusions": len(truth.exclusions),
        "numerator": len(truth.numerator),
        "numerator_mrns": ", ".join(numerator_mrns),
    }
    half = {**right, "numerator_mrns": ", ".join(numerator_mrns[: len(numerator_mrns) // 2])}
    assert _score(db, spec, ws, wrong) < _score(db, spec, ws, half) < 100
    done = service.submit_attempt(db, attempt, spec, right)
    assert done.passed, done.rubric


def test_privacy_scenario(db: Session, world: World) -> None:
    spec = SPECS["privacy-audit"]
    attempt, ws = _start(db, world, spec.slug)
    state = service.workspace_state(db, ws, {})
    events = {f"AuditEvent/{e['id']}": e for e in state.of_type("AuditEvent")}
    patients = {f"Patient/{p['id']}": p for p in state.of_type("Patient")}

    def finding(username: str, event_ref: str) -> dict[str, str]:
        event = events[event_ref]
        patient = next(
            e["what"]["reference"]
            for e in event["entity"]
            if e.get("what", {}).get("reference", "").startswith("Patient/")
        )
        return {
            "username": username,
            "patient": patients[patient]["id"],
            "date": event["recorded"][:10],
        }

    planted = [
        [finding(a["username"], ref) for ref in a["audit_events"]]
        for a in _key(ws)["inappropriate_accesses"]
    ]
    innocent = next(
        e
        for ref, e in events.items()
        if not any(ref in a["audit_events"] for a in _key(ws)["inappropriate_accesses"])
    )
    wrong = [
        {
            "username": innocent["agent"][0]["altId"],
            "patient": "nobody",
            "date": innocent["recorded"][:10],
        }
    ]
    assert _score(db, spec, ws, {"findings": wrong}) < 20
    half = [f for group in planted[: len(planted) // 2] for f in group]
    assert 20 < _score(db, spec, ws, {"findings": half}) < 100
    every = [f for group in planted for f in group]
    done = service.submit_attempt(db, attempt, spec, {"findings": every})
    assert done.passed, done.rubric


def test_a_scenario_with_an_unknown_grader_or_objective_is_refused(tmp_path: Path) -> None:
    import shutil

    from extender.curriculum.content import ContentError

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "tracks", content / "tracks")
    shutil.copytree(CONTENT_DIR / "scenarios", content / "scenarios")
    path = content / "scenarios" / "privacy-audit" / "scenario.yaml"
    text = (
        path.read_text()
        .replace("grader: privacy", "grader: vibes")
        .replace("CPEHR-5.2", "CPEHR-9.9")
    )
    path.write_text(text)
    with pytest.raises(ContentError) as err:
        load_scenarios(content)
    message = str(err.value)
    assert "content/scenarios/privacy-audit/scenario.yaml: grader: unknown grader 'vibes'" in (
        message
    )
    assert "objectives[0]: unknown objective CPEHR-9.9" in message
