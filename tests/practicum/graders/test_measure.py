from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from extender.practicum.graders import GRADERS
from extender.practicum.graders.measure import grade_measure, measurement_period, run_measure
from extender.practicum.graders.state import GradeResult, WorkspaceState

from .sandbox import find, mrn_of, repair, repair_all, with_changes

PASS = 80
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


# --- a hand-built panel whose classification is known, edge by edge --------------------------


def _patient(n: int, born: str, **extra: Any) -> dict[str, Any]:
    ident = {"type": {"coding": [{"code": "MR"}]}, "value": f"M{n:03d}"}
    return {
        "resourceType": "Patient",
        "id": f"p{n}",
        "identifier": [ident],
        "birthDate": born,
        **extra,
    }


def _diabetes(
    n: int, onset: str = "2015-03-01", icd: str = "E11.9", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"dm{n}",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": ICD10, "code": icd}]},
        "subject": {"reference": f"Patient/p{n}"},
        "onsetDateTime": onset,
        **extra,
    }


def _visit(n: int, start: str = "2025-05-05T09:00:00-05:00") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": f"e{n}-{start[:10]}",
        "status": "finished",
        "subject": {"reference": f"Patient/p{n}"},
        "period": {"start": start},
    }


def _a1c(
    n: int, day: str, value: float, unit: str | None = "%", status: str = "final"
) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity |= {"unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    return {
        "resourceType": "Observation",
        "id": f"a{n}-{day}",
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": f"Patient/p{n}"},
        "effectiveDateTime": f"{day}T10:00:00-05:00",
        "valueQuantity": quantity,
    }


def _panel() -> WorkspaceState:
    adult = "1970-04-04"
    patients = [_patient(n, adult) for n in (1, 2, 3, 4, 5, 9, 10, 12, 13, 14)]
    patients += [_patient(6, "2008-06-01"), _patient(7, "1949-06-01"), _patient(8, "1950-12-31")]
    patients.append(_patient(11, adult, active=False))
    conditions = [_diabetes(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14)]
    conditions += [
        _diabetes(10, onset="2026-02-01"),
        _diabetes(12, icd="E11.65"),
        _diabetes(13, verificationStatus={"coding": [{"code": "entered-in-error"}]}),
    ]
    visits = [_visit(n) for n in range(1, 15) if n != 9] + [_visit(9, "2026-01-10T09:00:00-05:00")]
    results = [
        _a1c(1, "2025-06-01", 9.0),
        _a1c(2, "2025-06-01", 9.1),
        _a1c(3, "2024-12-30", 7.0),
        _a1c(4, "2025-03-01", 10.0),
        _a1c(4, "2025-10-01", 7.0),
        _a1c(5, "2025-11-01", 6.5, unit=None),
        _a1c(8, "2025-02-01", 6.5),
        _a1c(12, "2025-02-01", 9.5),
        _a1c(14, "2025-02-01", 6.0),
        _a1c(14, "2025-09-01", 12.0, status="entered-in-error"),
    ]
    resources = {
        "Patient": patients,
        "Condition": conditions,
        "Encounter": visits,
        "Observation": results,
    }
    return WorkspaceState(
        resources=resources, staff=[], access_policy={}, answer_key={}, as_of="2026-11-01"
    )


def test_it_measures_the_calendar_year_before_the_practice_today() -> None:
    period = measurement_period("2026-11-01")

    assert (period.start.isoformat(), period.end.isoformat()) == ("2025-01-01", "2025-12-31")


def test_it_classifies_each_edge_case_the_way_cms122_does() -> None:
    run = run_measure(_panel())

    def ids(refs: set[str]) -> set[int]:
        return {int(r.removeprefix("Patient/p")) for r in refs}

    assert ids(run.denominator) == {1, 2, 3, 4, 5, 8, 11, 12, 14}
    assert ids(run.exclusions) == {11}
    assert ids(run.numerator) == {2, 3, 5, 12}
    assert "no readable" in run.why["Patient/p5"]
    assert "no HbA1c in 2025" in run.why["Patient/p3"]


def test_it_reads_mrns_typed_with_prefixes_commas_and_new_lines() -> None:
    submission = {
        "denominator": 9,
        "exclusions": "1",
        "numerator": 4,
        "numerator_mrns": "MRN M002,\nM003; MRN: M005  M012",
    }

    assert grade_measure(replace(_panel(), submission=submission)).score == 100


def test_it_reports_mrns_that_do_not_exist() -> None:
    submission = {"numerator_mrns": "M002 M003 M005 M012 X999"}

    result = grade_measure(replace(_panel(), submission=submission))

    patients_line = result.rubric[-1]
    assert patients_line.points == pytest.approx(40 * 4 / 5)
    assert "no such MRN: X999" in patients_line.feedback


# --- a generated practice with planted result defects ----------------------------------------


def _submission(state: WorkspaceState, keep: float = 1.0) -> dict[str, Any]:
    run = run_measure(state)
    mrns = sorted(mrn_of(state, ref) for ref in run.numerator)
    return {
        "denominator": len(run.denominator),
        "exclusions": len(run.exclusions),
        "numerator": len(run.numerator),
        "numerator_mrns": "\n".join(mrns[: round(len(mrns) * keep)]),
    }


def _line(result: GradeResult, item: str) -> tuple[float, str]:
    found = next(r for r in result.rubric if r.item == item)
    return found.points / found.max_points, found.feedback


def test_it_is_registered_under_the_measure_key() -> None:
    assert GRADERS["measure"] is grade_measure


def test_it_gives_full_marks_for_repairing_results_and_reporting_the_measure(
    measure_state: WorkspaceState,
) -> None:
    repaired = repair_all(measure_state)

    result = grade_measure(replace(repaired, submission=_submission(repaired)))

    assert result.score == 100
    assert run_measure(repaired).numerator, "the practice must have patients in poor control"


def test_it_gives_partial_marks_without_repairs_and_with_half_the_patients(
    measure_state: WorkspaceState,
) -> None:
    result = grade_measure(replace(measure_state, submission=_submission(measure_state, 0.5)))

    assert 30 < result.score < PASS
    fraction, feedback = _line(result, "Patients in the numerator")
    assert 0 < fraction < 1
    assert "missed MRN" in feedback


def test_it_scores_low_for_wrong_numbers_and_controlled_patients(
    measure_state: WorkspaceState,
) -> None:
    run = run_measure(measure_state)
    controlled = sorted(run.denominator - run.numerator)[:3]
    submission = {
        "denominator": len(run.denominator) * 3,
        "exclusions": 4,
        "numerator": len(run.denominator),
        "numerator_mrns": ", ".join(mrn_of(measure_state, r) for r in controlled),
    }

    result = grade_measure(replace(measure_state, submission=submission))

    assert result.score < 20
    assert "wrongly included" in _line(result, "Patients in the numerator")[1]
    assert "controlled" in _line(result, "Patients in the numerator")[1]


def test_it_grades_the_measure_on_the_sandbox_as_the_learner_left_it(
    measure_state: WorkspaceState,
) -> None:
    repaired = repair_all(measure_state)
    before, after = run_measure(measure_state), run_measure(repaired)
    assert before.numerator != after.numerator, "a planted defect must change the answer"

    stale = grade_measure(replace(repaired, submission=_submission(measure_state)))

    assert _line(stale, "Damaged lab results repaired")[0] == 1
    assert _line(stale, "Patients in the numerator")[0] < 1
    assert grade_measure(replace(measure_state, submission=_submission(measure_state))).score == 80


def test_it_gives_half_credit_for_a_count_off_by_one(measure_state: WorkspaceState) -> None:
    submission = _submission(measure_state)
    submission["denominator"] += 1

    result = grade_measure(replace(measure_state, submission=submission))

    assert _line(result, "Denominator")[0] == 0.5


def test_it_names_each_result_still_damaged(measure_state: WorkspaceState) -> None:
    defects = measure_state.answer_key["result_defects"]
    state = repair(measure_state, defects[0])

    fraction, feedback = _line(grade_measure(state), "Damaged lab results repaired")

    assert fraction == pytest.approx(1 / len(defects))
    assert mrn_of(state, defects[0]["patient"]) not in feedback
    assert mrn_of(state, defects[1]["patient"]) in feedback


@pytest.mark.parametrize("status", ["entered-in-error", None])
def test_it_does_not_count_voiding_or_deleting_a_valid_result_as_a_repair(
    measure_state: WorkspaceState, status: str | None
) -> None:
    defect = next(
        d for d in measure_state.answer_key["result_defects"] if d["kind"] == "wrong_loinc"
    )
    voided = copy.deepcopy(find(measure_state, defect["observation"]))
    voided["status"] = status
    state = with_changes(measure_state, {defect["observation"]: voided if status else None})

    feedback = _line(grade_measure(state), "Damaged lab results repaired")[1]

    assert ("voided" if status else "deleted") in feedback


def test_it_accepts_voiding_a_result_that_never_had_a_value(measure_state: WorkspaceState) -> None:
    defect = next(
        d for d in measure_state.answer_key["result_defects"] if d["kind"] == "missing_value"
    )
    voided = copy.deepcopy(find(measure_state, defect["observation"]))
    voided["status"] = "entered-in-error"
    state = with_changes(measure_state, {defect["observation"]: voided})

    feedback = _line(grade_measure(state), "Damaged lab results repaired")[1]

    assert mrn_of(state, defect["patient"]) not in feedback
