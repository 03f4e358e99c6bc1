from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from extender.practicum.graders import GRADERS
from extender.practicum.graders.common import Patients, references
from extender.practicum.graders.privacy import Finding, _Context, grade_privacy
from extender.practicum.graders.state import GradeResult, WorkspaceState

from .sandbox import find, mrn_of

PASS = 80


def _row(state: WorkspaceState, event: dict[str, Any], username: str) -> dict[str, str]:
    patient = next(r for r in references(event["entity"]) if r.startswith("Patient/"))
    return {"username": username, "patient": mrn_of(state, patient), "date": event["recorded"][:10]}


def planted_findings(state: WorkspaceState) -> list[list[dict[str, str]]]:
    """Per planted violation, one finding per chart it opened, as read off the audit log."""
    found = []
    for access in state.answer_key["inappropriate_accesses"]:
        rows = [_row(state, find(state, ref), access["username"]) for ref in access["audit_events"]]
        found.append([dict(t) for t in dict.fromkeys(tuple(r.items()) for r in rows)])
    return found


def legitimate_findings(state: WorkspaceState, count: int) -> list[dict[str, str]]:
    """Accesses from the normal working fortnight: a visit explains every one of them."""
    planted = {ref for a in state.answer_key["inappropriate_accesses"] for ref in a["audit_events"]}
    events = [e for e in state.of_type("AuditEvent") if f"AuditEvent/{e['id']}" not in planted]
    return [_row(state, e, e["agent"][0]["altId"]) for e in events[:: len(events) // count][:count]]


def _graded(state: WorkspaceState, findings: list[dict[str, str]]) -> GradeResult:
    return grade_privacy(replace(state, submission={"findings": findings}))


def test_it_is_registered_under_the_privacy_key() -> None:
    assert GRADERS["privacy"] is grade_privacy


def test_it_gives_full_marks_for_reporting_every_chart_of_every_violation(
    privacy_state: WorkspaceState,
) -> None:
    findings = [row for rows in planted_findings(privacy_state) for row in rows]

    result = _graded(privacy_state, findings)

    assert result.score == 100
    assert len(result.rubric) == len(privacy_state.answer_key["inappropriate_accesses"]) + 1


def test_it_gives_full_marks_for_one_finding_per_violation(privacy_state: WorkspaceState) -> None:
    findings = [rows[-1] for rows in planted_findings(privacy_state)]

    assert _graded(privacy_state, findings).score == 100


def test_it_accepts_patient_ids_as_well_as_mrns(privacy_state: WorkspaceState) -> None:
    findings = []
    for access, rows in zip(
        privacy_state.answer_key["inappropriate_accesses"],
        planted_findings(privacy_state),
        strict=True,
    ):
        findings.append({**rows[0], "patient": access["patients"][0]})
        findings.append({**rows[0], "patient": access["patients"][0].removeprefix("Patient/")})

    assert _graded(privacy_state, findings).score == 100


def test_it_gives_partial_marks_and_describes_the_violations_missed(
    privacy_state: WorkspaceState,
) -> None:
    per_violation = planted_findings(privacy_state)
    accesses = privacy_state.answer_key["inappropriate_accesses"]

    result = _graded(privacy_state, [rows[0] for rows in per_violation[:2]])

    assert result.score == 70
    missed = [line.feedback for line in result.rubric if line.feedback.startswith("Missed")]
    assert len(missed) == len(accesses) - 2
    assert accesses[-1]["explanation"].rstrip(".") in missed[-1]


def test_it_scores_low_for_legitimate_accesses_and_explains_why(
    privacy_state: WorkspaceState,
) -> None:
    result = _graded(privacy_state, legitimate_findings(privacy_state, 6))

    assert result.score == 0
    feedback = result.rubric[-1].feedback
    assert "0 of 6 findings" in feedback
    assert "within 7 days" in feedback or "primary care provider" in feedback


def test_it_finds_the_policy_reason_behind_every_legitimate_access(
    privacy_state: WorkspaceState,
) -> None:
    context, patients = _Context(privacy_state), Patients(privacy_state)
    rows = legitimate_findings(privacy_state, 60)

    reasons = {
        context.why_not(
            Finding(
                r["username"], patients.resolve(r["patient"]), date.fromisoformat(r["date"]), ""
            ),
            patients,
        )
        for r in rows
    }

    assert "not one of the violations found on review" not in reasons
    assert len(reasons) > 1


def test_it_scores_zero_for_an_empty_report(privacy_state: WorkspaceState) -> None:
    assert _graded(privacy_state, []).score == 0


def test_it_does_not_match_a_finding_on_the_wrong_day(privacy_state: WorkspaceState) -> None:
    row = planted_findings(privacy_state)[0][0]
    shifted = {**row, "date": "2020-01-01"}

    result = _graded(privacy_state, [shifted])

    assert result.score == 0
    assert "no access by" in result.rubric[-1].feedback


def test_it_explains_findings_it_cannot_read(privacy_state: WorkspaceState) -> None:
    row = planted_findings(privacy_state)[0][0]
    findings = [
        {**row, "username": "nobody"},
        {**row, "patient": "00000000-no-such"},
        {**row, "date": "last Tuesday"},
    ]

    result = _graded(privacy_state, [*findings, row])

    feedback = result.rubric[-1].feedback
    assert "no such user" in feedback
    assert "no such patient" in feedback
    assert "YYYY-MM-DD" in feedback
    assert PASS > result.score > 0
