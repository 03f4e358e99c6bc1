"""Read models for the practicum pages: a patient's chart, workspace counts, a learner's
practicum evidence (hours, scenarios passed, objectives evidenced), and the instructors'
view of their cohorts' attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts.models import Organization, User
from extender.curriculum import service as curriculum
from extender.curriculum.models import Enrollment
from extender.errors import InvalidInput, NotFound
from extender.practicum.fhir.search import patient_everything
from extender.practicum.fhir.store import Store
from extender.practicum.fhir.validation import FhirError
from extender.practicum.models import FhirResource, ScenarioAttempt, Workspace
from extender.practicum.scenarios import ScenarioSpec

CHART_SECTIONS = (
    "Condition",
    "MedicationRequest",
    "AllergyIntolerance",
    "Observation",
    "Encounter",
    "Immunization",
    "Appointment",
)


def resource_counts(session: Session, ws: str) -> dict[str, int]:
    rows = session.execute(
        select(FhirResource.resource_type, func.count())
        .where(FhirResource.workspace_id == ws, FhirResource.deleted.is_(False))
        .group_by(FhirResource.resource_type)
    )
    return dict(sorted(rows))


def _when(resource: dict[str, Any]) -> str:
    for key in (
        "effectiveDateTime",
        "recordedDate",
        "authoredOn",
        "occurrenceDateTime",
        "onsetDateTime",
        "start",
    ):
        if resource.get(key):
            return str(resource[key])
    period = resource.get("period") or {}
    return str(period.get("start", ""))


def chart(session: Session, ws: str, patient_id: str) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {k: [] for k in CHART_SECTIONS}
    for resource in patient_everything(session, ws, patient_id):
        if resource["resourceType"] in sections:
            sections[resource["resourceType"]].append(resource)
    for items in sections.values():
        items.sort(key=_when, reverse=True)
    return sections


def correct_observation(
    store: Store, observation_id: str, *, loinc: str, value: str, unit: str
) -> str:
    """Fix a result's LOINC code, value and UCUM unit (a data-quality correction)."""
    try:
        obs = store.read("Observation", observation_id, audit=False)
    except FhirError as exc:
        raise NotFound(exc.issues[0].diagnostics) from None
    if not loinc or not all(part.isdigit() for part in loinc.split("-")) or "-" not in loinc:
        raise InvalidInput("LOINC codes look like 4548-4", field="loinc")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput("the value must be a number", field="value") from None
    if not unit:
        raise InvalidInput("a UCUM unit is required, e.g. % or mg/dL", field="unit")
    codings = [
        c for c in obs.get("code", {}).get("coding", []) if c.get("system") != "http://loinc.org"
    ]
    obs["code"] = {
        **obs.get("code", {}),
        "coding": [{"system": "http://loinc.org", "code": loinc}, *codings],
    }
    obs.pop("valueString", None)
    obs["valueQuantity"] = {
        "value": number,
        "unit": unit,
        "system": "http://unitsofmeasure.org",
        "code": unit,
    }
    obs.pop("meta", None)
    store.update("Observation", observation_id, obs)
    subject = str(obs.get("subject", {}).get("reference", "Patient/"))
    return subject.split("/", 1)[1]


@dataclass
class EvidenceSummary:
    hours: float
    passed: list[str]
    objectives: list[str] = field(default_factory=list)


def summarize(
    attempts: list[ScenarioAttempt], scenarios: dict[str, ScenarioSpec]
) -> EvidenceSummary:
    from extender.practicum.service import minutes_spent

    submitted = [a for a in attempts if a.submitted_at is not None]
    passed = sorted({a.scenario_slug for a in submitted if a.passed})
    objectives = sorted(
        {o for slug in passed if slug in scenarios for o in scenarios[slug].objectives}
    )
    hours = round(sum(minutes_spent(a) for a in submitted) / 60, 1)
    return EvidenceSummary(hours, passed, objectives)


def _learner_ids(session: Session, staff: User, admin_orgs: list[Organization]) -> set[str]:
    cohorts = {c.id for c in curriculum.cohorts_taught_by(session, staff)}
    for org in admin_orgs:
        cohorts |= {c.id for c in curriculum.cohorts_of_program(session, org)}
    if not cohorts:
        return set()
    return set(session.scalars(select(Enrollment.user_id).where(Enrollment.cohort_id.in_(cohorts))))


def cohort_attempts(
    session: Session, staff: User, admin_orgs: list[Organization]
) -> list[tuple[User, ScenarioAttempt]]:
    learners = _learner_ids(session, staff, admin_orgs)
    if not learners:
        return []
    rows = session.execute(
        select(User, ScenarioAttempt)
        .join(ScenarioAttempt, ScenarioAttempt.user_id == User.id)
        .where(User.id.in_(learners))
        .order_by(ScenarioAttempt.started_at.desc())
    )
    return list(rows)


def workspace_for_staff(
    session: Session, staff: User, admin_orgs: list[Organization], workspace_id: str
) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.owner_id not in _learner_ids(session, staff, admin_orgs):
        raise NotFound("no such workspace among your cohorts' learners")
    return workspace
