"""The interface inbox the generator writes: well-formed HL7 v2, reproducible, and a key that
agrees with the message text (patients, codes, values) for every kind of planted problem."""

from __future__ import annotations

from dataclasses import replace

import pytest

from extender.errors import InvalidInput
from extender.practicum import hl7v2
from extender.practicum.generator import (
    DefectParams,
    GeneratedPractice,
    PracticeParams,
    generate_practice,
)
from extender.practicum.generator.lab_inbox import COMPENDIUM, compendium_rows
from extender.practicum.generator.params import parse_defects


def _params(messages: int = 6, **defects: int) -> PracticeParams:
    chosen = replace(DefectParams.none(), **defects)
    return PracticeParams(
        patients=50, seed=5, years_of_history=1, lab_messages=messages, defects=chosen
    )


@pytest.fixture(scope="module")
def practice() -> GeneratedPractice:
    return generate_practice(
        _params(misidentified_lab_messages=3, resent_lab_messages=2, corrected_lab_results=2)
    )


def _patients(practice: GeneratedPractice) -> dict[str, dict[str, object]]:
    return {
        e["fullUrl"]: e["resource"]
        for e in practice.bundle["entry"]
        if e["resource"]["resourceType"] == "Patient"
    }


def test_every_message_is_a_well_formed_oru_r01_in_arrival_order(
    practice: GeneratedPractice,
) -> None:
    assert len(practice.lab_inbox) == 6 + 3 + 2 + 2
    sent = []
    for text in practice.lab_inbox:
        message = hl7v2.parse(text)
        assert message.message_type == "ORU^R01"
        assert [s.name for s in message.segments][:3] == ["MSH", "PID", "OBR"]
        assert message.all("OBX")
        msh = message.first("MSH")
        assert msh is not None and msh.get("12") == "2.5.1"
        sent.append(message.timestamp)
    assert sent == sorted(sent)
    assert [hl7v2.parse(t).control_id for t in practice.lab_inbox] == [
        m.control_id for m in practice.answer_key.lab_messages
    ]


def test_the_key_agrees_with_what_each_message_says(practice: GeneratedPractice) -> None:
    patients = _patients(practice)
    mrn_of = {
        url: next(i["value"] for i in p["identifier"] if i["type"]["coding"][0]["code"] == "MR")  # type: ignore[index]
        for url, p in patients.items()
    }
    local = {t.local_code for t in COMPENDIUM}
    loinc_of = {r["local_code"]: r["loinc"] for r in compendium_rows()}
    for text, key in zip(practice.lab_inbox, practice.answer_key.lab_messages, strict=True):
        message = hl7v2.parse(text)
        pid, obr = message.first("PID"), message.first("OBR")
        assert pid is not None and obr is not None
        assert obr.get("3.1") == key.filler_order
        chart = patients.get(key.patient or "")
        same_person = chart is not None and (
            chart["name"][0]["family"].upper() == pid.get("5.1")  # type: ignore[index]
            and chart["birthDate"] == _iso(pid.get("7"))
        )
        if key.kind == "unknown":
            assert key.patient is None and pid.get("3.1") not in mrn_of.values()
        elif key.kind == "mismatch":
            assert mrn_of[key.patient or ""] == pid.get("3.1") and not same_person
        else:
            assert same_person and mrn_of[key.patient or ""] == pid.get("3.1")
        for obx, result in zip(message.all("OBX"), key.results, strict=True):
            code = obx.get("3.1") if obx.get("3.3") == "LN" else loinc_of[obx.get("3.1")]
            assert code == result.loinc
            assert obx.get("3.4" if obx.get("3.3") == "LN" else "3.1") in local
            assert float(obx.get("5")) == result.value
            assert obx.get("6.1") == result.unit and obx.get("8") == result.interpretation
            assert {"F": "final", "C": "corrected"}[obx.get("11")] == result.status
            assert result.identifier == f"{key.filler_order}-{obx.get('1')}"


def _iso(stamp: str) -> str:
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"


def test_resends_repeat_an_order_under_a_new_control_id_and_corrections_change_a_value(
    practice: GeneratedPractice,
) -> None:
    keys = practice.answer_key.lab_messages
    clean = {m.filler_order: m for m in keys if m.kind == "clean"}
    controls = [m.control_id for m in keys]
    assert len(set(controls)) == len(controls)
    for resent in (m for m in keys if m.kind == "resent"):
        assert resent.results == clean[resent.filler_order].results
    for fix in (m for m in keys if m.kind == "correction"):
        [result] = fix.results
        before = {r.identifier: r for r in clean[fix.filler_order].results}[result.identifier]
        assert result.status == "corrected" and result.value != before.value
        assert controls.index(fix.control_id) > controls.index(clean[fix.filler_order].control_id)


def test_the_same_parameters_give_the_same_inbox_and_no_inbox_costs_nothing() -> None:
    params = _params(misidentified_lab_messages=1)
    assert generate_practice(params).lab_inbox == generate_practice(params).lab_inbox
    without = generate_practice(replace(params, lab_messages=0, defects=DefectParams.none()))
    assert without.lab_inbox == [] and without.answer_key.lab_messages == []
    with_inbox = generate_practice(replace(params, defects=DefectParams.none()))
    # The inbox draws from its own random stream: the rest of the practice is unchanged.
    assert with_inbox.bundle == without.bundle


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (_params(2, resent_lab_messages=3), "defects.resent_lab_messages"),
        (_params(1, corrected_lab_results=2), "defects.corrected_lab_results"),
        (_params(0, misidentified_lab_messages=1), "defects.misidentified_lab_messages"),
        (_params(61), "lab_messages"),
    ],
)
def test_impossible_inboxes_are_refused_naming_the_parameter(
    params: PracticeParams, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        generate_practice(params)
    assert raised.value.field == field


def test_defect_specs_know_the_inbox_problems_by_short_name() -> None:
    parsed = parse_defects("none,misidentified=2,resent=1,corrected=1")
    assert (parsed.misidentified_lab_messages, parsed.resent_lab_messages) == (2, 1)
    assert parsed.corrected_lab_results == 1
