"""Small readers shared by the graders.

Graders must judge what is in the sandbox, and the sandbox is whatever the learner made of it:
a resource may have lost an element, gained a coding or been replaced by hand through the API.
These helpers therefore read defensively (missing or odd elements read as "absent", never as an
exception), so a learner's unusual but valid edit can cost points but can never crash grading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from extender.practicum.graders.state import JSON, RubricLine, WorkspaceState

MRN_SYSTEM = "http://extender.example.org/fhir/sid/mrn"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
STAFF_ID_SYSTEM = "http://extender.example.org/fhir/sid/staff-username"


def ref_of(resource: JSON) -> str:
    return f"{resource.get('resourceType', '')}/{resource.get('id', '')}"


def references(node: Any) -> Iterator[str]:
    """Every reference string anywhere inside ``node`` (a resource or part of one)."""
    if isinstance(node, dict):
        value = node.get("reference")
        if isinstance(value, str):
            yield value
        for child in node.values():
            yield from references(child)
    elif isinstance(node, list):
        for child in node:
            yield from references(child)


def mrn(patient: JSON) -> str | None:
    """The medical record number: the identifier typed MR, else the practice's MRN system."""
    for identifier in patient.get("identifier") or []:
        codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding") or []}
        if "MR" in codes or identifier.get("system") == MRN_SYSTEM:
            value = identifier.get("value")
            return str(value) if value is not None else None
    return None


class Patients:
    """Patient records by reference and by MRN, so feedback can speak the front desk's language
    (an MRN) while grading works on references."""

    def __init__(self, state: WorkspaceState) -> None:
        self.by_ref: dict[str, JSON] = {ref_of(p): p for p in state.of_type("Patient")}
        self.by_mrn: dict[str, str] = {}
        for ref, patient in self.by_ref.items():
            number = mrn(patient)
            if number is not None:
                self.by_mrn.setdefault(number, ref)

    def label(self, ref: str) -> str:
        patient = self.by_ref.get(ref)
        number = mrn(patient) if patient is not None else None
        return f"MRN {number}" if number else ref

    def resolve(self, value: Any) -> str | None:
        """A learner's way of naming a patient (MRN, "Patient/id" or a bare id) to a reference."""
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        text = str(value).strip()
        if text.upper().startswith("MRN"):
            text = text[3:].strip(" :#")
        if text in self.by_mrn:
            return self.by_mrn[text]
        candidate = text if text.startswith("Patient/") else f"Patient/{text}"
        return candidate if candidate in self.by_ref else None


def codings(concept: Any) -> list[JSON]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def has_code(concept: Any, system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in codings(concept))


def code_in(concept: Any, system: str) -> set[str]:
    return {str(c.get("code")) for c in codings(concept) if c.get("system") == system}


def status_code(concept: Any) -> str | None:
    """The code of a status CodeableConcept (Condition.clinicalStatus and the like)."""
    found = codings(concept)
    return str(found[0].get("code")) if found else None


def subject(resource: JSON) -> str | None:
    holder = resource.get("subject") or resource.get("patient")
    value = holder.get("reference") if isinstance(holder, dict) else None
    return value if isinstance(value, str) else None


def local_day(stamp: Any) -> date | None:
    """The calendar day as written: timestamps carry the practice's own offset, and the learner
    reasons in that local day, so the grader must not shift it to UTC."""
    if not isinstance(stamp, str) or len(stamp) < 10:
        return None
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def instant(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def line(item: str, fraction: float, max_points: float, feedback: str) -> RubricLine:
    points = round(max(0.0, min(1.0, fraction)) * max_points, 2)
    return RubricLine(item=item, points=points, max_points=max_points, feedback=feedback)


def listing(items: Iterable[str], limit: int = 8) -> str:
    """A comma list that stays one line long even when a learner gets many things wrong."""
    values = list(items)
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def tokens(value: Any) -> list[str]:
    """Split a typed list (commas, spaces, semicolons or new lines) into its entries."""
    if isinstance(value, list):
        found: list[str] = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("mrn", item.get("patient"))
            found += tokens(item)
        return found
    if isinstance(value, str | int) and not isinstance(value, bool):
        parts = re.split(r"[\s,;]+", str(value))
        return [t for t in parts if t and t.strip(":#").upper() != "MRN"]
    return []
