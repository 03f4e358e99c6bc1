"""Requirement evaluation and issuance on both databases: automatic and staff-approved,
signed both ways, verifiable, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent
from extender.config import Settings
from extender.credentials import issuance, verification
from extender.credentials.models import Credential, PendingApproval
from extender.credentials.requirements import evaluate, learner_record
from extender.db import session_factory, unit_of_work
from extender.errors import Conflict, InvalidInput
from tests.conftest import World
from tests.credentials.factories import attempt, passed_exam

STAFF = Actor(None, "program@example.org")
NOW = datetime.now(UTC).replace(microsecond=0)


def _evaluate(db: Session, settings: Settings, world: World, achievement: str):  # type: ignore[no-untyped-def]
    cat = issuance.catalog(settings)
    return evaluate(
        cat.achievements[achievement], learner_record(db, world.users["learner"]), cat.scenarios
    )


def test_it_names_what_is_missing(db: Session, world: World, settings: Settings) -> None:
    learner = world.users["learner"]
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=5), 79.0)
    result = _evaluate(db, settings, world, "cpehr")
    assert not result.met
    assert "pass the CPEHR certification exam" in result.missing
    assert any("duplicate-patient-cleanup" in m for m in result.missing)


def test_it_refuses_scenarios_outside_the_window(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPEHR", NOW - timedelta(days=1))
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=500), 95.0)
    attempt(db, learner, "quality-measure-report", NOW - timedelta(days=20), 90.0)
    result = _evaluate(db, settings, world, "cpehr")
    assert not result.met
    assert result.missing == [
        "pass the practicum scenario duplicate-patient-cleanup within 12 months of the exam"
    ]
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=30), 80.0)
    assert _evaluate(db, settings, world, "cpehr").met


def test_it_issues_an_exam_only_certification_automatically(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    exam = passed_exam(db, learner, "CPHIT", NOW - timedelta(hours=1), scaled=341)
    due = issuance.issue_due(db, Actor.system("exam-submit"), learner.id, settings)
    assert [d.achievement_id for d in due] == ["cphit"]
    cred = due[0]
    assert isinstance(cred, Credential)
    doc = cred.document
    assert doc["credentialSubject"]["name"] == learner.display_name
    values = {
        r["resultDescription"].rsplit("#")[-1]: r["value"]
        for r in doc["credentialSubject"]["result"]
    }
    assert values == {"exam-score": "341", "exam-result": "Pass"}
    assert exam.id in doc["evidence"][0]["id"]
    assert doc["issuer"]["id"] == "did:web:127.0.0.1%3A8000"
    assert doc["id"] == f"http://127.0.0.1:8000/credentials/{cred.id}"
    assert cred.valid_until is not None and cred.valid_until.year == cred.valid_from.year + 2
    entry = doc["credentialStatus"]
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2
    assert (
        entry["statusListCredential"]
        == f"http://127.0.0.1:8000/status/message-{cred.status_list_id}"
    )
    assert entry["statusListIndex"] == str(cred.status_index)
    assert [m["message"] for m in entry["statusMessage"]] == [
        "active",
        "suspended",
        "revoked",
        "undefined",
    ]
    for form in (cred.document, cred.jwt):
        report = verification.verify_local(db, settings, form)
        assert report.valid, [c for c in report.checks if not c.passed]
    # Meeting it again issues nothing new.
    assert issuance.issue_due(db, Actor.system("exam-submit"), learner.id, settings) == []
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "credentials.issued")).all()
    assert [e.target_id for e in events] == [cred.id]


def test_a_failed_exam_issues_nothing(db: Session, world: World, settings: Settings) -> None:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPHIT", NOW, scaled=280)
    assert issuance.issue_due(db, STAFF, learner.id, settings) == []


def test_it_waits_for_staff_approval_where_the_program_says_so(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPEHR", NOW - timedelta(days=2))
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=40), 92.0)
    attempt(db, learner, "quality-measure-report", NOW - timedelta(days=30), 85.5)
    due = issuance.issue_due(db, Actor.system("scenario-submit"), learner.id, settings)
    kinds = sorted((type(d).__name__, d.achievement_id) for d in due)
    assert kinds == [
        ("Credential", "scenario-duplicate-patient-cleanup"),
        ("Credential", "scenario-quality-measure-report"),
        ("PendingApproval", "cpehr"),
    ]
    approval = next(d for d in due if isinstance(d, PendingApproval))
    # A second check does not open a second request.
    assert issuance.issue_due(db, STAFF, learner.id, settings) == []
    cred = issuance.approve(db, STAFF, settings, approval.id)
    assert cred.approval_id == approval.id and approval.status == "approved"
    doc = cred.document
    names = [e["name"] for e in doc["evidence"]]
    assert names == [
        "CPEHR certification exam",
        "Practicum: Duplicate patient clean-up",
        "Practicum: Quality measure report: HbA1c poor control (CMS122)",
    ]
    assert "CPEHR-3.6" in doc["evidence"][1]["description"]
    assert verification.verify_stored(db, settings, cred).valid
    with pytest.raises(Conflict):
        issuance.approve(db, STAFF, settings, approval.id)


def test_a_rejection_needs_a_reason_and_is_not_asked_again(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPEHR", NOW - timedelta(days=2))
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=4), 92.0)
    attempt(db, learner, "quality-measure-report", NOW - timedelta(days=3), 85.0)
    due = issuance.issue_due(db, STAFF, learner.id, settings)
    approval = next(d for d in due if isinstance(d, PendingApproval))
    with pytest.raises(InvalidInput, match="reason"):
        issuance.reject(db, STAFF, approval.id, "  ")
    issuance.reject(db, STAFF, approval.id, "practicum work was done by someone else")
    assert issuance.issue_due(db, STAFF, learner.id, settings) == []
    # New evidence opens a new request.
    attempt(db, learner, "quality-measure-report", NOW - timedelta(days=2, hours=1), 99.0)
    again = issuance.issue_due(db, STAFF, learner.id, settings)
    assert [type(d).__name__ for d in again] == ["PendingApproval"]


def test_two_requests_that_both_find_a_learner_due_issue_once(
    engine: Engine, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request B evaluated the learner before request A committed its credential: B's stale
    view (no current credential) must not issue a second one; B goes on without failing."""
    factory = session_factory(engine)
    learner = world.users["learner"]
    with unit_of_work(factory) as s:
        passed_exam(s, learner, "CPHIT", NOW - timedelta(hours=2))
    with unit_of_work(factory) as s:
        (first,) = issuance.issue_due(s, Actor.system("exam-submit"), learner.id, settings)
        assert isinstance(first, Credential)
    monkeypatch.setattr(issuance, "current_credential", lambda *args: None)
    with unit_of_work(factory) as s:
        assert issuance.issue_due(s, STAFF, learner.id, settings) == []
        s.execute(select(AuditEvent.id)).all()  # the transaction is still usable
    with unit_of_work(factory) as s:
        held = s.scalars(select(Credential).where(Credential.holder_id == learner.id)).all()
        assert [c.id for c in held] == [first.id]


def test_approving_two_requests_for_the_same_evidence_issues_once(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPEHR", NOW - timedelta(days=2))
    attempt(db, learner, "duplicate-patient-cleanup", NOW - timedelta(days=4), 92.0)
    attempt(db, learner, "quality-measure-report", NOW - timedelta(days=3), 85.0)
    first = next(
        d
        for d in issuance.issue_due(db, STAFF, learner.id, settings)
        if d.achievement_id == "cpehr"
    )
    assert isinstance(first, PendingApproval)
    twin = PendingApproval(
        holder_id=learner.id,
        achievement_id="cpehr",
        evidence_key=first.evidence_key,
        summary=first.summary,
    )  # as two concurrent checks would have opened
    db.add(twin)
    db.flush()
    issuance.approve(db, STAFF, settings, first.id)
    with pytest.raises(Conflict, match="has just been issued"):
        issuance.approve(db, STAFF, settings, twin.id)
    issued = db.scalars(
        select(Credential).where(
            Credential.holder_id == learner.id, Credential.achievement_id == "cpehr"
        )
    ).all()
    assert len(issued) == 1 and twin.status == "pending"
