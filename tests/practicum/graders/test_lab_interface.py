"""The inbound lab interface grader, tested against a reference analyst who works from the HL7
text alone (never the answer key): parse each message, identify the patient by MRN, family name
and birth date, map each OBX with the lab's compendium, skip an order already filed, apply
corrections in place. That analyst must score 100, which also proves the messages carry
everything the key expects; each single mistake must cost the right rubric line."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extender.practicum import hl7v2
from extender.practicum.generator import (
    DefectParams,
    GeneratedPractice,
    PracticeParams,
    generate_practice,
)
from extender.practicum.generator.lab_inbox import (
    INTERPRETATION_SYSTEM,
    RESULT_ID_SYSTEM,
    compendium_rows,
)
from extender.practicum.graders import GRADERS
from extender.practicum.graders.common import mrn, ref_of
from extender.practicum.graders.lab_interface import grade_lab_interface
from extender.practicum.graders.state import JSON, GradeResult, WorkspaceState

from .sandbox import to_state

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture(scope="module")
def practice() -> GeneratedPractice:
    defects = replace(
        DefectParams.none(),
        misidentified_lab_messages=2,
        resent_lab_messages=1,
        corrected_lab_results=2,
    )
    return generate_practice(
        PracticeParams(patients=60, seed=77, years_of_history=1, lab_messages=5, defects=defects)
    )


@pytest.fixture(scope="module")
def state(practice: GeneratedPractice) -> WorkspaceState:
    return to_state(practice)


def _fhir_time(stamp: str) -> str:
    """202610300830-0400 -> 2026-10-30T08:30:00-04:00"""
    d, offset = stamp[:12], stamp[12:]
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:00{offset[:3]}:{offset[3:]}"


def _observation(obx: hl7v2.Segment, filler: str, patient: str) -> JSON:
    to_loinc = {r["local_code"]: r["loinc"] for r in compendium_rows()}
    loinc = obx.get("3.1") if obx.get("3.3") == "LN" else to_loinc[obx.get("3.1")]
    flag = obx.get("8")
    return {
        "resourceType": "Observation",
        "identifier": [{"system": RESULT_ID_SYSTEM, "value": f"{filler}-{obx.get('1')}"}],
        "status": {"F": "final", "C": "corrected"}[obx.get("11")],
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": patient},
        "effectiveDateTime": _fhir_time(obx.get("14")),
        "valueQuantity": {"value": float(obx.get("5")), "system": UCUM, "code": obx.get("6.1")},
        "interpretation": [{"coding": [{"system": INTERPRETATION_SYSTEM, "code": flag}]}],
    }


def analyst(practice: GeneratedPractice, state: WorkspaceState) -> tuple[WorkspaceState, list[str]]:
    """Work the inbox from the message text; return the new state and the control IDs held back."""
    charts = {mrn(p): p for p in state.of_type("Patient")}
    observations = list(state.of_type("Observation"))
    by_identifier: dict[str, JSON] = {}
    held_back: list[str] = []
    filed_orders: set[str] = set()
    for n, text in enumerate(practice.lab_inbox):
        message = hl7v2.parse(text)
        pid, obr = message.first("PID"), message.first("OBR")
        assert pid is not None and obr is not None
        chart = charts.get(pid.get("3.1"))
        same_person = chart is not None and (
            chart["name"][0]["family"].upper() == pid.get("5.1")
            and chart["birthDate"].replace("-", "") == pid.get("7")
        )
        if not same_person:
            held_back.append(message.control_id)
            continue
        assert chart is not None
        filler = obr.get("3.1")
        corrections = [o for o in message.all("OBX") if o.get("11") == "C"]
        if filler in filed_orders and not corrections:
            held_back.append(message.control_id)
            continue
        filed_orders.add(filler)
        for obx in message.all("OBX"):
            new = _observation(obx, filler, ref_of(chart))
            identifier = new["identifier"][0]["value"]
            if identifier in by_identifier:
                by_identifier[identifier].update(new)
            else:
                new["id"] = f"lab{n}-{obx.get('1')}"
                by_identifier[identifier] = new
                observations.append(new)
    resources = {**state.resources, "Observation": observations}
    return replace(state, resources=resources), held_back


def _grade(state: WorkspaceState, held_back: list[str]) -> GradeResult:
    return grade_lab_interface(replace(state, submission={"not_filed": "\n".join(held_back)}))


def _points(result: GradeResult) -> dict[str, float]:
    return {r.item: r.points for r in result.rubric}


def test_the_grader_is_registered_under_the_scenario_key() -> None:
    assert GRADERS["lab_interface"] is grade_lab_interface


def test_an_analyst_working_from_the_messages_alone_scores_full_marks(
    practice: GeneratedPractice, state: WorkspaceState
) -> None:
    worked, held_back = analyst(practice, state)
    result = _grade(worked, held_back)
    assert result.score == 100.0, [r.feedback for r in result.rubric if r.points < r.max_points]
    assert len(result.rubric) == 6
    kinds = {m["control_id"]: m["kind"] for m in state.answer_key["lab_messages"]}
    assert sorted(kinds[c] for c in held_back) == ["mismatch", "resent", "unknown"]


def test_an_untouched_sandbox_fails(state: WorkspaceState) -> None:
    result = _grade(state, [])
    points = _points(result)
    assert points["Results filed on the right chart"] == 0
    assert points["OBX mapped to Observation"] == 0
    # Nothing filed is trivially nothing misfiled, but it is far from a pass.
    assert result.score < 30


def test_filing_every_message_blindly_costs_safety_duplicates_and_the_list(
    practice: GeneratedPractice, state: WorkspaceState
) -> None:
    charts = {mrn(p): ref_of(p) for p in state.of_type("Patient")}
    observations = list(state.of_type("Observation"))
    for n, text in enumerate(practice.lab_inbox):
        message = hl7v2.parse(text)
        pid, obr = message.first("PID"), message.first("OBR")
        assert pid is not None and obr is not None
        patient = charts.get(pid.get("3.1"), "Patient/unknown")
        for obx in message.all("OBX"):
            new = _observation(obx, obr.get("3.1"), patient)
            new["id"] = f"blind{n}-{obx.get('1')}"
            observations.append(new)
    blind = replace(state, resources={**state.resources, "Observation": observations})
    result = _grade(blind, [])
    points = _points(result)
    assert points["Unidentifiable patients not filed"] == 0
    assert points["Resent orders filed once"] == 0
    assert points["Corrections applied in place"] == 0
    assert points["Messages not filed, listed for the lab"] == 0
    assert result.score < 80
    feedback = next(r.feedback for r in result.rubric if r.item.startswith("Unidentifiable"))
    assert "wrong-patient" in feedback


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "preliminary"),
        ("effectiveDateTime", "2026-10-29T08:30:00-04:00"),
        ("code", {"coding": [{"system": LOINC, "code": "718-7"}]}),
        ("valueQuantity", {"value": 1.0, "system": UCUM, "code": "mg/dL"}),
        ("interpretation", [{"coding": [{"system": INTERPRETATION_SYSTEM, "code": "A"}]}]),
    ],
)
def test_each_mapping_mistake_costs_mapping_points_only(
    practice: GeneratedPractice, state: WorkspaceState, field: str, value: Any
) -> None:
    worked, held_back = analyst(practice, state)
    clean = next(m for m in state.answer_key["lab_messages"] if m["kind"] == "clean")
    target = clean["results"][0]["identifier"]
    observations = copy.deepcopy(worked.of_type("Observation"))
    for o in observations:
        if any(i.get("value") == target for i in o.get("identifier", [])):
            o[field] = value
    result = _grade(
        replace(worked, resources={**worked.resources, "Observation": observations}), held_back
    )
    lost = {r.item for r in result.rubric if r.points < r.max_points}
    assert lost == {"OBX mapped to Observation"}
    assert target in next(r.feedback for r in result.rubric if r.item in lost)


def test_a_result_without_the_lab_identifier_still_counts_by_code_and_time(
    practice: GeneratedPractice, state: WorkspaceState
) -> None:
    worked, held_back = analyst(practice, state)
    observations = copy.deepcopy(worked.of_type("Observation"))
    for o in observations:
        if any(i.get("system") == RESULT_ID_SYSTEM for i in o.get("identifier", [])):
            del o["identifier"]
    bare = replace(worked, resources={**worked.resources, "Observation": observations})
    points = _points(_grade(bare, held_back))
    assert points["Results filed on the right chart"] == 25
    assert points["OBX mapped to Observation"] == 25


def test_a_correction_added_beside_the_original_is_not_applied(
    practice: GeneratedPractice, state: WorkspaceState
) -> None:
    worked, held_back = analyst(practice, state)
    correction = next(m for m in state.answer_key["lab_messages"] if m["kind"] == "correction")
    target = correction["results"][0]["identifier"]
    observations = list(worked.of_type("Observation"))
    original = next(
        o for o in observations if any(i.get("value") == target for i in o.get("identifier", []))
    )
    stale = {**copy.deepcopy(original), "id": "stale-copy", "status": "final"}
    added = replace(worked, resources={**worked.resources, "Observation": [*observations, stale]})
    result = _grade(added, held_back)
    line_ = next(r for r in result.rubric if r.item == "Corrections applied in place")
    assert line_.points < line_.max_points and target in line_.feedback


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(listed=st.lists(st.sampled_from(["VRL077M0001", "VRL077M0002", "NOPE", "VRL077M0009"])))
def test_the_list_line_never_leaves_its_bounds(state: WorkspaceState, listed: list[str]) -> None:
    result = _grade(state, listed)
    for r in result.rubric:
        assert 0 <= r.points <= r.max_points
    assert 0 <= result.score <= 100
