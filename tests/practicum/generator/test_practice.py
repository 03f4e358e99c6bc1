"""The practice looks like a small US primary-care practice."""

from __future__ import annotations

from collections import Counter
from datetime import date

from extender.practicum.generator import GeneratedPractice
from extender.practicum.generator.codes import NPI_SYSTEM
from extender.practicum.generator.ids import npi_is_valid

from .conftest import Resource, age_on

# fmt: off
US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC",
}
# fmt: on


def test_it_has_two_to_eight_providers_with_valid_npis(
    by_type: dict[str, list[tuple[str, Resource]]],
) -> None:
    npis = [
        i["value"]
        for _, p in by_type["Practitioner"]
        for i in p["identifier"]
        if i["system"] == NPI_SYSTEM
    ]
    assert 2 <= len(npis) <= 8
    assert all(npi_is_valid(npi) for npi in npis)
    organization = by_type["Organization"][0][1]
    assert npi_is_valid(organization["identifier"][0]["value"])
    assert organization["identifier"][0]["value"].startswith("2")


def test_it_has_one_organization_one_to_three_locations_and_roles(
    by_type: dict[str, list[tuple[str, Resource]]],
) -> None:
    assert len(by_type["Organization"]) == 1
    assert 1 <= len(by_type["Location"]) <= 3
    assert len(by_type["PractitionerRole"]) == len(by_type["Practitioner"])


def test_it_gives_every_patient_an_mrn_name_and_us_address(
    by_type: dict[str, list[tuple[str, Resource]]],
) -> None:
    mrns = []
    for _, patient in by_type["Patient"]:
        identifier = patient["identifier"][0]
        assert identifier["type"]["coding"][0]["code"] == "MR"
        mrns.append(identifier["value"])
        assert patient["name"][0]["family"] and patient["name"][0]["given"][0]
        assert patient["gender"] in ("male", "female")
        assert patient["address"][0]["state"] in US_STATES
        assert patient["telecom"][0]["system"] == "phone"
    assert len(set(mrns)) == len(mrns)


def test_it_spreads_ages_and_sexes_like_a_family_practice(
    by_type: dict[str, list[tuple[str, Resource]]],
) -> None:
    patients = [p for _, p in by_type["Patient"]]
    ages = [age_on(p, date(2026, 11, 1)) for p in patients]
    children = sum(a < 18 for a in ages) / len(ages)
    seniors = sum(a >= 65 for a in ages) / len(ages)
    assert 0.08 <= children <= 0.28
    assert 0.12 <= seniors <= 0.32
    assert max(ages) <= 100
    women = Counter(p["gender"] for p in patients)["female"] / len(patients)
    assert 0.42 <= women <= 0.64


def test_it_stays_within_the_requested_history(
    practice: GeneratedPractice, by_type: dict[str, list[tuple[str, Resource]]]
) -> None:
    starts = [e["period"]["start"][:10] for _, e in by_type["Encounter"]]
    assert min(starts) >= "2021-10-01"
    assert max(starts) < practice.params.as_of.isoformat()
    classes = {e["class"]["code"] for _, e in by_type["Encounter"]}
    assert classes == {"AMB"}
    booked = [a for _, a in by_type["Appointment"] if a["status"] == "booked"]
    assert booked and all(a["start"][:10] >= "2026-11-01" for a in booked)


def test_it_returns_staff_accounts_matching_practitioners(
    practice: GeneratedPractice, by_url: dict[str, Resource]
) -> None:
    for account in practice.staff_accounts:
        assert set(account) >= {"username", "name", "job_title", "roles"}
        practitioner = by_url[account["practitioner"]]
        assert practitioner["resourceType"] == "Practitioner"
        assert {
            "system": "http://extender.example.org/fhir/sid/staff-username",
            "value": account["username"],
        } in practitioner["identifier"]
        assert account["job_title"] in practice.access_policy


def test_it_summarizes_resource_counts(practice: GeneratedPractice) -> None:
    summary = practice.summary
    assert summary["total_resources"] == len(practice.bundle["entry"])
    assert summary["Patient"] == 500 + summary["duplicate_records"]
    assert 80 <= summary["total_resources"] / summary["people"] <= 160
