"""Grader "measure": a CMS122-style report, "Diabetes: Glycemic Status Assessment Greater Than
9%" (HbA1c poor control), checked against the grader's own run of the measure on the sandbox.

Submission (``state.submission``):

- ``denominator`` (integer): patients meeting the denominator criteria, before exclusions;
- ``exclusions`` (integer): of those, how many the exclusion rule removes;
- ``numerator`` (integer): of the rest, how many are in poor control;
- ``numerator_mrns`` (text, or a list): those patients' MRNs, separated by commas, spaces or
  new lines (list items may be strings or {"mrn": ...} dicts).

Measure logic, as the brief states it (the grader computes from the CURRENT sandbox, after the
learner's repairs, exactly as an eCQM engine would read it):

- measurement period: the calendar year before the practice's "today" (``state.as_of``), the
  way CMS performance periods run;
- denominator: age 18-75 on the last day of the period; a type 2 diabetes diagnosis (ICD-10-CM
  E11.*, or SNOMED CT 44054006) whose prevalence overlaps the period and that is not refuted or
  entered in error; and a finished encounter starting in the period;
- exclusions: the generated practice has no hospice, palliative-care, frailty or nursing-home
  data, so CMS122's clinical exclusions cannot occur; the practice's own rule is used instead:
  records marked inactive (merged or closed in error) and patients who died by period end;
- numerator (inverse measure: lower is better): the most recent HbA1c (LOINC 4548-4, status
  final, amended or corrected) in the period is above 9.0%, or has no readable value (a number
  with UCUM code "%"), or there is no HbA1c in the period at all. CMS counts a missing result
  as poor control, so an unrepaired unit or code can move a patient into the numerator.

Rubric (100): planted result defects repaired (20), denominator (15), exclusions (10),
numerator count (15), numerator patients (40, Jaccard overlap so each correct MRN adds and each
wrong one costs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from extender.practicum.graders.common import (
    ICD10CM,
    LOINC,
    SNOMED,
    Patients,
    code_in,
    has_code,
    instant,
    line,
    listing,
    local_day,
    number,
    ref_of,
    share,
    status_code,
    subject,
    tokens,
)
from extender.practicum.graders.state import JSON, GradeResult, RubricLine, WorkspaceState

HBA1C = "4548-4"
POOR_CONTROL_ABOVE = 9.0
DIABETES_T2_SNOMED = "44054006"
MIN_AGE, MAX_AGE = 18, 75
COUNTED_RESULT_STATUSES = frozenset({"final", "amended", "corrected"})
VOID_STATUSES = frozenset({"entered-in-error", "cancelled"})
MG_DL_PER_MMOL_L = 18.016
DEFECTS, DENOMINATOR, EXCLUSIONS, NUMERATOR, PATIENTS = 20.0, 15.0, 10.0, 15.0, 40.0


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def measurement_period(as_of: str) -> Period:
    year = date.fromisoformat(as_of[:10]).year - 1
    return Period(date(year, 1, 1), date(year, 12, 31))


@dataclass
class MeasureRun:
    period: Period
    denominator: set[str] = field(default_factory=set)
    exclusions: set[str] = field(default_factory=set)
    numerator: set[str] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)
    """Patient -> where the glycemic status put them, for feedback."""


def _age_on(birth: object, day: date) -> int | None:
    if not isinstance(birth, str):
        return None
    parts = birth.split("-")
    try:
        year = int(parts[0])
        month, dom = (int(parts[1]), int(parts[2])) if len(parts) == 3 else (1, 1)
    except (ValueError, IndexError):
        return None
    return day.year - year - ((day.month, day.day) < (month, dom))


def _is_diabetes(condition: JSON) -> bool:
    code = condition.get("code")
    icd = any(c.startswith("E11") for c in code_in(code, ICD10CM))
    return icd or has_code(code, SNOMED, DIABETES_T2_SNOMED)


def _prevails_in(condition: JSON, period: Period) -> bool:
    if status_code(condition.get("verificationStatus")) in ("refuted", "entered-in-error"):
        return False
    onset = local_day(condition.get("onsetDateTime")) or local_day(condition.get("recordedDate"))
    if onset is not None and onset > period.end:
        return False
    abated = local_day(condition.get("abatementDateTime"))
    if abated is not None:
        return abated >= period.start
    return status_code(condition.get("clinicalStatus")) in ("active", "recurrence", "relapse")


def readable_percent(observation: JSON) -> float | None:
    value, unit = _quantity(observation)
    return value if unit == "%" else None


def _start(encounter: JSON) -> date | None:
    period = encounter.get("period")
    return local_day(period.get("start")) if isinstance(period, dict) else None


def _deceased_by(patient: JSON, day: date) -> bool:
    if patient.get("deceasedBoolean") is True:
        return True
    died = local_day(patient.get("deceasedDateTime"))
    return died is not None and died <= day


def _latest_hba1c(
    state: WorkspaceState, patients: set[str], period: Period
) -> dict[str, tuple[tuple[datetime, str], JSON]]:
    latest: dict[str, tuple[tuple[datetime, str], JSON]] = {}
    for obs in state.of_type("Observation"):
        who, when = subject(obs), instant(obs.get("effectiveDateTime"))
        if who is None or who not in patients or when is None:
            continue
        if local_day(obs.get("effectiveDateTime")) not in period:
            continue
        if obs.get("status") in COUNTED_RESULT_STATUSES and has_code(obs.get("code"), LOINC, HBA1C):
            key = (when, str(obs.get("id")))
            if who not in latest or key > latest[who][0]:
                latest[who] = (key, obs)
    return latest


def run_measure(state: WorkspaceState) -> MeasureRun:
    run = MeasureRun(measurement_period(state.as_of))
    period = run.period
    diabetic = {
        subject(c)
        for c in state.of_type("Condition")
        if _is_diabetes(c) and _prevails_in(c, period)
    }
    visited = {
        subject(e)
        for e in state.of_type("Encounter")
        if e.get("status") == "finished" and _start(e) in period
    }
    for patient in state.of_type("Patient"):
        ref, age = ref_of(patient), _age_on(patient.get("birthDate"), period.end)
        if age is not None and MIN_AGE <= age <= MAX_AGE and ref in diabetic and ref in visited:
            run.denominator.add(ref)
            if patient.get("active") is False or _deceased_by(patient, period.end):
                run.exclusions.add(ref)
    latest = _latest_hba1c(state, run.denominator, period)
    for ref in run.exclusions:
        run.why[ref] = "excluded: record inactive or patient deceased"
    for ref in run.denominator - run.exclusions:
        if ref not in latest:
            run.numerator.add(ref)
            run.why[ref] = f"no HbA1c in {period.start.year}"
            continue
        obs = latest[ref][1]
        value, day = readable_percent(obs), str(obs["effectiveDateTime"])[:10]
        if value is None:
            run.numerator.add(ref)
            run.why[ref] = f"most recent HbA1c ({day}) has no readable % value"
        elif value > POOR_CONTROL_ABOVE:
            run.numerator.add(ref)
            run.why[ref] = f"most recent HbA1c {value:g}% on {day}"
        else:
            run.why[ref] = f"most recent HbA1c {value:g}% on {day}, controlled"
    return run


def grade_measure(state: WorkspaceState) -> GradeResult:
    run = run_measure(state)
    patients = Patients(state)
    sub = state.submission
    performance = share(len(run.numerator), len(run.denominator - run.exclusions))
    return GradeResult(
        [
            _defects(state, patients),
            _count("Denominator", sub.get("denominator"), len(run.denominator), DENOMINATOR),
            _count("Exclusions", sub.get("exclusions"), len(run.exclusions), EXCLUSIONS, tol=False),
            _count(
                "Numerator count",
                sub.get("numerator"),
                len(run.numerator),
                NUMERATOR,
                note=f" (performance rate {performance:.1%}; lower is better)",
            ),
            _numerator_patients(run, patients, sub.get("numerator_mrns")),
        ]
    )


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _count(
    item: str, given: object, truth: int, points: float, *, tol: bool = True, note: str = ""
) -> RubricLine:
    reported = _as_int(given)
    if reported is None:
        return line(item, 0.0, points, f"No whole number was submitted; the sandbox gives {truth}.")
    if reported == truth:
        return line(item, 1.0, points, f"Correct: {truth}{note}.")
    near = tol and abs(reported - truth) <= max(1, round(0.05 * truth))
    feedback = f"You reported {reported}; the sandbox's data gives {truth}{note}."
    return line(item, 0.5 if near else 0.0, points, feedback)


def _numerator_patients(run: MeasureRun, patients: Patients, given: object) -> RubricLine:
    item = "Patients in the numerator"
    named: set[str] = set()
    unknown: list[str] = []
    for token in tokens(given):
        ref = patients.resolve(token)
        if ref is None:
            unknown.append(token)
        else:
            named.add(ref)
    right = named & run.numerator
    wrong = sorted(named - run.numerator, key=patients.label)
    missed = sorted(run.numerator - named, key=patients.label)
    union = len(run.numerator | named) + len(unknown)
    if not union:
        return line(item, 1.0, PATIENTS, "No patient is in poor control, and none was listed.")
    parts = [f"{len(right)} of {len(run.numerator)} listed correctly"]
    if missed:
        parts.append(
            "missed " + listing(f"{patients.label(r)} ({run.why.get(r, '')})" for r in missed)
        )
    if wrong:
        parts.append(
            "wrongly included "
            + listing(
                f"{patients.label(r)} ({run.why.get(r, 'not in denominator')})" for r in wrong
            )
        )
    if unknown:
        parts.append("no such MRN: " + listing(unknown))
    return line(item, share(len(right), union), PATIENTS, "; ".join(parts) + ".")


def _defects(state: WorkspaceState, patients: Patients) -> RubricLine:
    item = "Damaged lab results repaired"
    planted = state.answer_key.get("result_defects", [])
    if not planted:
        return line(item, 1.0, DEFECTS, "No damaged results were planted in this practice.")
    observations = {ref_of(o): o for o in state.of_type("Observation")}
    still: list[str] = []
    for defect in planted:
        problem = _remaining_problem(defect, observations.get(defect["observation"]))
        if problem:
            still.append(f"{patients.label(defect['patient'])}: {problem}")
    fixed = len(planted) - len(still)
    feedback = f"{fixed} of {len(planted)} damaged results repaired."
    if still:
        feedback += f" Still wrong: {listing(still, 5)}."
    return line(item, share(fixed, len(planted)), DEFECTS, feedback)


def _remaining_problem(defect: JSON, obs: JSON | None) -> str | None:
    """None when the learner's repair is acceptable; else what is still wrong, in one phrase."""
    kind, found = str(defect["kind"]), str(defect["found"])
    if obs is None:
        return "the result was deleted; repair it or mark it entered-in-error, never delete"
    if kind == "missing_value":
        return None if _value_withheld(obs) else found
    if obs.get("status") in VOID_STATUSES:
        return "a valid result was voided; correct its coding instead"
    repaired = _REPAIRS.get(kind)
    return None if repaired is None or repaired(obs, str(defect.get("expected", ""))) else found


def _value_withheld(obs: JSON) -> bool:
    """A result that never had a value may be voided or say why it is empty; inventing a value
    would be worse than the defect, so neither that nor leaving it "final" and empty counts."""
    if obs.get("status") in VOID_STATUSES:
        return True
    return "dataAbsentReason" in obs and not any(k.startswith("value") for k in obs)


def _quantity(obs: JSON) -> tuple[float | None, str | None]:
    held = obs.get("valueQuantity")
    if not isinstance(held, dict):
        return None, None
    code = held.get("code")
    return number(held.get("value")), code if isinstance(code, str) else None


def _expected_loinc(obs: JSON, expected: str) -> bool:
    match = re.search(r"LOINC (\S+)", expected)
    return match is not None and code_in(obs.get("code"), LOINC) == {match.group(1)}


def _loinc_repaired(obs: JSON, expected: str) -> bool:
    return _expected_loinc(obs, expected)


def _text_repaired(obs: JSON, expected: str) -> bool:
    value, unit = _quantity(obs)
    return _expected_loinc(obs, expected) and value is not None and bool(unit)


def _unit_restored(obs: JSON, expected: str) -> bool:
    """``expected`` reads "<value> <UCUM code> (UCUM)"."""
    parts = expected.split()
    value, unit = _quantity(obs)
    return value is not None and len(parts) > 1 and unit == parts[1]


def _unit_corrected(obs: JSON, expected: str) -> bool:
    """Either repair is honest: relabel the number as the mmol/L it is, or convert it back."""
    target = _first_float(expected)
    value, unit = _quantity(obs)
    if value is None or target is None:
        return False
    if unit == "mg/dL":
        return abs(value - target) <= 1.0
    return unit == "mmol/L" and abs(value - target / MG_DL_PER_MMOL_L) <= 0.15


def _first_float(text: str) -> float | None:
    match = re.match(r"\s*(-?\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


_REPAIRS: dict[str, Callable[[JSON, str], bool]] = {
    "wrong_loinc": _loinc_repaired,
    "free_text": _text_repaired,
    "missing_unit": _unit_restored,
    "wrong_unit": _unit_corrected,
}
