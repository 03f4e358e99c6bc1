"""The hidden answer key: what was planted, where, and what a correct finding looks like.

It travels beside the bundle, never inside it, so loading the bundle into a learner's sandbox
cannot leak the answers. References are the bundle's ``urn:uuid`` fullUrls; under the POST
transaction style a loader maps them to server ids from the transaction-response (entries come
back in request order), under PUT they equal the server ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DuplicatePatient:
    original: str
    duplicate: str
    original_mrn: str
    duplicate_mrn: str
    variations: tuple[str, ...]
    """What differs on the duplicate: nickname, typo_family, swapped_names, moved, ..."""
    duplicate_resources: tuple[str, ...]
    """Clinical resources charted on the duplicate, which a merge must carry over."""


@dataclass(frozen=True)
class LookAlikePair:
    """Two records that a naive matcher would merge but that are different people."""

    first: str
    second: str
    relationship: str
    """twins, same_name, father_son."""
    distinguishing: tuple[str, ...]


@dataclass(frozen=True)
class OverprivilegedAccount:
    username: str
    job_title: str
    excess_roles: tuple[str, ...]


@dataclass(frozen=True)
class InappropriateAccess:
    kind: str
    """coworker, vip, after_hours or family."""
    username: str
    practitioner: str
    patients: tuple[str, ...]
    audit_events: tuple[str, ...]
    first_at: str
    last_at: str
    explanation: str


@dataclass(frozen=True)
class ResultDefect:
    kind: str
    """wrong_loinc, missing_unit, wrong_unit, missing_value or free_text."""
    observation: str
    patient: str
    expected: str
    found: str


@dataclass(frozen=True)
class LabResultKey:
    """One result as it should stand in the chart once its messages are worked."""

    identifier: str
    """Filler order number, a hyphen and the OBX set ID (Observation.identifier value)."""
    loinc: str
    value: float
    unit: str
    """UCUM code."""
    effective: str
    """FHIR dateTime of specimen collection (OBX-14)."""
    interpretation: str
    """H, L or N (OBX-8)."""
    status: str
    """final or corrected (OBX-11)."""


@dataclass(frozen=True)
class LabMessageKey:
    control_id: str
    """MSH-10."""
    kind: str
    """clean, unknown, mismatch, resent or correction."""
    action: str
    """file, return (to the lab: the patient cannot be identified), ignore (a duplicate) or
    correct (replace what was filed)."""
    patient: str | None
    """The chart the results belong to; for a mismatch, the chart its MRN wrongly points to."""
    filler_order: str
    results: tuple[LabResultKey, ...]
    explanation: str


@dataclass
class AnswerKey:
    seed: int
    duplicates: list[DuplicatePatient] = field(default_factory=list)
    lookalikes: list[LookAlikePair] = field(default_factory=list)
    overprivileged_accounts: list[OverprivilegedAccount] = field(default_factory=list)
    inappropriate_accesses: list[InappropriateAccess] = field(default_factory=list)
    result_defects: list[ResultDefect] = field(default_factory=list)
    lab_messages: list[LabMessageKey] = field(default_factory=list)
    """One entry per message in the interface inbox, in arrival order."""
    vip_patients: list[str] = field(default_factory=list)
    staff_patients: dict[str, str] = field(default_factory=dict)
    """username -> the Patient record of that staff member (coworker-access context)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
