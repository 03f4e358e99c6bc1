"""Grader "privacy": an access review of the sandbox's chart-access audit log.

Submission (``state.submission["findings"]``): a list of findings, one per user, patient and
day, each ``{"username": "jrice", "patient": "<MRN, Patient/id or id>", "date": "YYYY-MM-DD"}``.
The date is the local calendar day written in ``AuditEvent.recorded`` (the practice's own clock,
which is how an auditor reads the log).

A finding matches a planted inappropriate access (``answer_key["inappropriate_accesses"]``)
when the username is the one that made it, the patient is one of the charts it opened, and the
date falls within its first..last local day (a late-night session may cross midnight).

Rubric (100 points): 60 shared equally by the planted violations, each earned by at least one
matching finding (recall: one finding per browsing spree is enough to open the investigation);
40 for precision, the share of findings that match a violation, because every false accusation
costs a workforce member an HR interview. An empty report earns nothing on either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from typing import Any

from extender.practicum.graders.common import (
    STAFF_ID_SYSTEM,
    Patients,
    instant,
    line,
    listing,
    local_day,
    ref_of,
    references,
    share,
    subject,
)
from extender.practicum.graders.state import JSON, GradeResult, RubricLine, WorkspaceState

RECALL, PRECISION = 60.0, 40.0
CARE_WINDOW = timedelta(days=7)
FRONT_OFFICE = frozenset({"Front Desk Receptionist", "Billing Specialist", "Practice Manager"})
"""Jobs that touch every visit's paperwork, so any nearby visit or booking is their reason."""
KIND_LABELS = {
    "coworker": "a coworker's chart",
    "vip": "a restricted (VIP) chart",
    "after_hours": "a late-night browsing session",
    "family": "a relative's chart",
}


@dataclass(frozen=True)
class Finding:
    username: str
    patient: str | None
    day: date | None
    shown: str
    """The finding as the learner wrote it, for feedback."""


def parse_findings(value: Any, patients: Patients) -> list[Finding]:
    """Read the learner's findings, dropping exact repeats so a pasted line is not scored twice."""
    rows = value if isinstance(value, list) else []
    found: dict[tuple[str, str | None, date | None, str], Finding] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        username = str(row.get("username") or "").strip().lower()
        raw_patient, raw_date = row.get("patient", row.get("patient_mrn")), row.get("date")
        patient, day = patients.resolve(raw_patient), local_day(raw_date)
        shown = f"{username or '?'} / {raw_patient} / {raw_date}"
        key = (username, patient, day, "" if patient and day else shown)
        found.setdefault(key, Finding(username, patient, day, shown))
    return list(found.values())


def matches(finding: Finding, access: JSON) -> bool:
    first, last = local_day(access.get("first_at")), local_day(access.get("last_at"))
    return (
        finding.username == str(access.get("username", "")).lower()
        and finding.patient in access.get("patients", [])
        and finding.day is not None
        and first is not None
        and last is not None
        and first <= finding.day <= last
    )


def grade_privacy(state: WorkspaceState) -> GradeResult:
    patients = Patients(state)
    planted = list(state.answer_key.get("inappropriate_accesses", []))
    findings = parse_findings(state.submission.get("findings"), patients)
    rubric = [_violation(access, findings, patients, RECALL / len(planted)) for access in planted]
    if not planted:
        rubric.append(line("Violations found", 1.0, RECALL, "No violations were planted."))
    rubric.append(_precision(state, findings, planted, patients))
    return GradeResult(rubric)


def _violation(
    access: JSON, findings: list[Finding], patients: Patients, points: float
) -> RubricLine:
    username = str(access.get("username", ""))
    label = KIND_LABELS.get(str(access.get("kind")), "a chart")
    item = f"Reported {username}'s access to {label}"
    explanation = str(access.get("explanation", "")).rstrip(".")
    if any(matches(f, access) for f in findings):
        return line(item, 1.0, points, f"Found: {explanation}.")
    charts = listing((patients.label(p) for p in access.get("patients", [])), 3)
    day = str(access.get("first_at", ""))[:10]
    return line(item, 0.0, points, f"Missed: {explanation} ({charts}, {day}).")


def _precision(
    state: WorkspaceState, findings: list[Finding], planted: list[JSON], patients: Patients
) -> RubricLine:
    item = "Findings supported by the audit log"
    if not findings:
        if not planted:
            return line(item, 1.0, PRECISION, "Nothing to report, and nothing was reported.")
        return line(item, 0.0, PRECISION, "No findings were submitted.")
    false = [f for f in findings if not any(matches(f, a) for a in planted)]
    right = len(findings) - len(false)
    feedback = f"{right} of {len(findings)} findings are violations."
    if false:
        context = _Context(state)
        reasons = [f"{f.shown} ({context.why_not(f, patients)})" for f in false]
        feedback += f" Not supported: {listing(reasons, 5)}."
    return line(item, share(right, len(findings)), PRECISION, feedback)


class _Context:
    """What the log and the charts say about one user's access to one patient on one day, so a
    false finding's feedback can name the care relationship (the brief's policy) behind it.
    Windows are measured in hours, as the policy is, not in calendar days."""

    def __init__(self, state: WorkspaceState) -> None:
        self.titles = {str(a.get("username", "")).lower(): a.get("job_title") for a in state.staff}
        self.practitioners = _practitioners_by_username(state)
        self.opened: dict[tuple[str, str, date], list[datetime]] = defaultdict(list)
        for event in state.of_type("AuditEvent"):
            day, at = local_day(event.get("recorded")), instant(event.get("recorded"))
            users = {str(a.get("altId", "")).lower() for a in event.get("agent") or []}
            charts = {r for r in references(event.get("entity")) if r.startswith("Patient/")}
            if day is not None and at is not None:
                for user, chart in product(users, charts):
                    self.opened[(user, chart, day)].append(at)
        self.visits: dict[str, list[tuple[datetime, set[str]]]] = defaultdict(list)
        for encounter in state.of_type("Encounter"):
            at, who = instant((encounter.get("period") or {}).get("start")), subject(encounter)
            if at is not None and who is not None:
                self.visits[who].append((at, set(references(encounter.get("participant")))))
        self.upcoming: dict[str, list[datetime]] = defaultdict(list)
        for appointment in state.of_type("Appointment"):
            if appointment.get("status") != "booked":
                continue
            moments = [instant(appointment.get(k)) for k in ("start", "created")]
            for who in references(appointment.get("participant")):
                if who.startswith("Patient/"):
                    self.upcoming[who] += [m for m in moments if m is not None]
        self.pcp = {
            ref_of(p): set(references(p.get("generalPractitioner")))
            for p in state.of_type("Patient")
        }

    def why_not(self, finding: Finding, patients: Patients) -> str:
        user, patient, day = finding.username, finding.patient, finding.day
        if user not in self.titles:
            return "no such user"
        if patient is None:
            return "no such patient"
        if day is None:
            return "date must read YYYY-MM-DD"
        moments = self.opened.get((user, patient, day))
        if not moments:
            return f"the log shows no access by {user} to this chart that day"
        me = self.practitioners.get(user, "")
        if me in self.pcp.get(patient, set()):
            return f"{user} is {patients.label(patient)}'s primary care provider"
        reasons = [self._reason(user, me, patient, at) for at in moments]
        return next((r for r in reasons if r), "not one of the violations found on review")

    def _reason(self, user: str, me: str, patient: str, at: datetime) -> str | None:
        near = [team for t, team in self.visits.get(patient, []) if abs(t - at) <= CARE_WINDOW]
        if self.titles[user] in FRONT_OFFICE:
            if near:
                return "the patient had a visit within 7 days, which front-office work covers"
            if any(abs(t - at) <= CARE_WINDOW for t in self.upcoming.get(patient, [])):
                return "an upcoming appointment booked within 7 days explains the access"
        elif any(me in team for team in near):
            return f"{user} took part in a visit with this patient within 7 days"
        return None


def _practitioners_by_username(state: WorkspaceState) -> dict[str, str]:
    found = {
        str(a.get("username", "")).lower(): str(a["practitioner"])
        for a in state.staff
        if a.get("practitioner")
    }
    for practitioner in state.of_type("Practitioner"):
        for identifier in practitioner.get("identifier") or []:
            if identifier.get("system") == STAFF_ID_SYSTEM:
                found[str(identifier.get("value", "")).lower()] = ref_of(practitioner)
    return found
