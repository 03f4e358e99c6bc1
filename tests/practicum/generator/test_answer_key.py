"""Everything the answer key claims is really in the bundle, and nothing more."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from extender.practicum.generator import (
    DefectParams,
    GeneratedPractice,
    PracticeParams,
    generate_practice,
)
from extender.practicum.generator.accounts import excess_roles

from .conftest import Resource, subject_of

ByType = dict[str, list[tuple[str, Resource]]]


def _name(patient: Resource) -> tuple[str, str]:
    return patient["name"][0]["given"][0], patient["name"][0]["family"]


def test_it_plants_exactly_the_requested_defects(practice: GeneratedPractice) -> None:
    key, wanted = practice.answer_key, practice.params.defects
    assert len(key.duplicates) == wanted.duplicate_patients
    assert len(key.lookalikes) == wanted.lookalike_patients
    assert len(key.overprivileged_accounts) == wanted.overprivileged_accounts
    assert len(key.result_defects) == wanted.miscoded_results
    kinds = [a.kind for a in key.inappropriate_accesses]
    assert kinds.count("coworker") == wanted.coworker_accesses
    assert kinds.count("vip") == wanted.vip_accesses
    assert kinds.count("after_hours") == wanted.after_hours_browsing
    assert kinds.count("family") == wanted.family_accesses


def test_it_plants_duplicates_that_are_the_same_person_with_data_on_both(
    practice: GeneratedPractice, by_url: dict[str, Resource], by_type: ByType
) -> None:
    charted = {subject_of(r) for t in ("Encounter", "Observation") for _, r in by_type[t]}
    for duplicate in practice.answer_key.duplicates:
        original, copy = by_url[duplicate.original], by_url[duplicate.duplicate]
        assert original["resourceType"] == copy["resourceType"] == "Patient"
        assert (
            original["identifier"][0]["value"] == duplicate.original_mrn != duplicate.duplicate_mrn
        )
        assert original["gender"] == copy["gender"]
        if "dob_transposed" not in duplicate.variations:
            assert original["birthDate"] == copy["birthDate"]
        assert (
            _name(original) != _name(copy)
            or "moved" in duplicate.variations
            or "new_phone" in duplicate.variations
        )
        assert {duplicate.original, duplicate.duplicate} <= charted
        assert all(
            subject_of(by_url[url]) == duplicate.duplicate
            for url in duplicate.duplicate_resources
            if "subject" in by_url[url] or "patient" in by_url[url]
        )


def test_it_records_lookalikes_as_different_people(
    practice: GeneratedPractice, by_url: dict[str, Resource]
) -> None:
    for pair in practice.answer_key.lookalikes:
        first, second = by_url[pair.first], by_url[pair.second]
        assert first["identifier"][0]["value"] != second["identifier"][0]["value"]
        assert first["name"][0]["family"] == second["name"][0]["family"]
        if pair.relationship == "twins":
            assert first["birthDate"] == second["birthDate"] and _name(first) != _name(second)
        else:
            assert _name(first) == _name(second) and first["birthDate"] != second["birthDate"]


def test_it_flags_exactly_the_accounts_that_break_the_policy(practice: GeneratedPractice) -> None:
    flagged = {a.username: set(a.excess_roles) for a in practice.answer_key.overprivileged_accounts}
    for account in practice.staff_accounts:
        assert set(excess_roles(account)) == flagged.get(account["username"], set())


def test_it_backs_every_inappropriate_access_with_audit_events(
    practice: GeneratedPractice, by_url: dict[str, Resource], by_type: ByType
) -> None:
    """Planted accesses break the documented rule: the user was on no care team within a week
    (and, for front-office users, the patient had no visit within a week)."""
    visits: dict[str, list[tuple[datetime, set[str]]]] = {}
    for _, encounter in by_type["Encounter"]:
        team = {p["individual"]["reference"] for p in encounter["participant"]}
        start = datetime.fromisoformat(encounter["period"]["start"])
        visits.setdefault(subject_of(encounter), []).append((start, team))
    titles = {a["practitioner"]: a["job_title"] for a in practice.staff_accounts}
    for access in practice.answer_key.inappropriate_accesses:
        assert access.audit_events
        front_office = titles[access.practitioner] in (
            "Front Desk Receptionist",
            "Billing Specialist",
            "Practice Manager",
        )
        for url in access.audit_events:
            event = by_url[url]
            assert event["resourceType"] == "AuditEvent"
            assert event["agent"][0]["who"]["reference"] == access.practitioner
            assert event["agent"][0]["altId"] == access.username
            patient = event["entity"][0]["what"]["reference"]
            assert patient in access.patients
            assert by_url[patient]["generalPractitioner"][0]["reference"] != access.practitioner
            when = datetime.fromisoformat(event["recorded"])
            for start, team in visits.get(patient, []):
                if abs(when - start) <= timedelta(days=7):
                    assert not front_office and access.practitioner not in team
            if access.kind == "after_hours":
                assert when.hour >= 22 or when.hour < 6


def test_it_points_family_and_coworker_accesses_at_the_right_people(
    practice: GeneratedPractice, by_url: dict[str, Resource]
) -> None:
    key = practice.answer_key
    accounts = {a["username"]: a for a in practice.staff_accounts}
    for access in key.inappropriate_accesses:
        patient = by_url[access.patients[0]]
        if access.kind == "family":
            staff = by_url[accounts[access.username]["practitioner"]]
            assert patient["name"][0]["family"] == staff["name"][0]["family"]
        if access.kind == "coworker":
            assert access.patients[0] in key.staff_patients.values()
            assert key.staff_patients.get(access.username) != access.patients[0]
        if access.kind == "vip":
            assert access.patients[0] in key.vip_patients


def test_it_mutates_the_results_the_key_lists(
    practice: GeneratedPractice, by_url: dict[str, Resource]
) -> None:
    for defect in practice.answer_key.result_defects:
        observation = by_url[defect.observation]
        assert subject_of(observation) == defect.patient
        if defect.kind == "wrong_loinc":
            assert observation["code"]["coding"][0]["code"] == "718-7"
            assert observation["valueQuantity"]["unit"] == "%"
        elif defect.kind == "missing_unit":
            assert set(observation["valueQuantity"]) == {"value"}
        elif defect.kind == "free_text":
            assert "coding" not in observation["code"] and "valueString" in observation
        elif defect.kind == "wrong_unit":
            assert (
                observation["valueQuantity"]["value"] < 30
                and observation["valueQuantity"]["unit"] == "mg/dL"
            )
        else:
            assert "valueQuantity" not in observation and "dataAbsentReason" not in observation


def test_it_plants_nothing_when_defects_are_off() -> None:
    quiet = generate_practice(PracticeParams(patients=30, seed=4, defects=DefectParams.none()))
    key = quiet.answer_key
    assert not (
        key.duplicates
        or key.lookalikes
        or key.overprivileged_accounts
        or key.inappropriate_accesses
        or key.result_defects
    )
    assert quiet.summary["duplicate_records"] == 0


def test_it_plants_more_defects_on_request() -> None:
    defects = replace(
        DefectParams(),
        duplicate_patients=6,
        miscoded_results=10,
        after_hours_browsing=2,
        lookalike_patients=3,
    )
    busy = generate_practice(PracticeParams(patients=120, seed=8, defects=defects))
    assert len(busy.answer_key.duplicates) == 6
    assert {d.kind for d in busy.answer_key.result_defects} == {
        "wrong_loinc",
        "missing_unit",
        "free_text",
        "wrong_unit",
        "missing_value",
    }
    assert {p.relationship for p in busy.answer_key.lookalikes} == {
        "twins",
        "same_name",
        "father_son",
    }
