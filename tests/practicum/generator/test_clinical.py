"""Problems, medications and results tell one consistent, plausible story per patient."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import median

import pytest

from extender.practicum.generator.codes import ICD10CM, LOINC, RXNORM, SNOMED, UCUM

from .conftest import Resource, age_on, coding_codes, subject_of

AS_OF = date(2026, 11, 1)
ByType = dict[str, list[tuple[str, Resource]]]


@pytest.fixture(scope="module")
def adults(by_type: ByType) -> set[str]:
    return {url for url, p in by_type["Patient"] if age_on(p, AS_OF) >= 18}


@pytest.fixture(scope="module")
def problems(by_type: ByType) -> dict[str, set[str]]:
    """ICD-10-CM code -> patients with that chronic problem on their list."""
    found: dict[str, set[str]] = defaultdict(set)
    for _, condition in by_type["Condition"]:
        if condition["category"][0]["coding"][0]["code"] == "problem-list-item":
            found[condition["code"]["coding"][0]["code"]].add(subject_of(condition))
    return found


@pytest.fixture(scope="module")
def results(by_type: ByType) -> dict[str, dict[str, list[float]]]:
    """LOINC -> patient -> numeric values."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _, observation in by_type["Observation"]:
        codes = coding_codes(observation["code"])
        value = observation.get("valueQuantity", {}).get("value")
        if codes and value is not None:
            found[codes.pop()][subject_of(observation)].append(value)
    return found


@pytest.mark.parametrize(
    ("icd10", "low", "high"),
    [
        ("I10", 0.28, 0.46),
        ("E78.5", 0.22, 0.40),
        ("E11.9", 0.08, 0.15),
        ("J45.909", 0.04, 0.12),
        ("F32.A", 0.05, 0.13),
    ],
)
def test_it_has_adult_prevalences_like_us_primary_care(
    problems: dict[str, set[str]], adults: set[str], icd10: str, low: float, high: float
) -> None:
    share = len(problems[icd10] & adults) / len(adults)
    assert low <= share <= high, f"{icd10}: {share:.3f}"


def test_it_makes_chronic_disease_commoner_with_age(
    problems: dict[str, set[str]], by_type: ByType
) -> None:
    ages = {url: age_on(p, AS_OF) for url, p in by_type["Patient"]}
    young = [u for u, a in ages.items() if 18 <= a < 40]
    old = [u for u, a in ages.items() if a >= 65]
    for code in ("I10", "E78.5"):
        assert sum(u in problems[code] for u in old) / len(old) > 2 * sum(
            u in problems[code] for u in young
        ) / len(young)


def test_it_codes_conditions_in_both_icd10_and_snomed(by_type: ByType) -> None:
    for _, condition in by_type["Condition"]:
        systems = [c["system"] for c in condition["code"]["coding"]]
        assert systems == [ICD10CM, SNOMED]
        assert condition["clinicalStatus"]["coding"][0]["code"] in (
            "active",
            "resolved",
            "remission",
        )
        assert condition["verificationStatus"]["coding"][0]["code"] in ("confirmed", "provisional")


def test_it_prescribes_drugs_that_match_the_problem(
    by_type: ByType, by_url: dict[str, Resource]
) -> None:
    indications = {
        "6809": "E11.9",
        "29046": "I10",
        "17767": "I10",
        "83367": ("E78.5", "I25.10"),
        "435": ("J45.909", "J44.9"),
        "36437": ("F32.A", "F41.1"),
    }
    seen = set()
    for _, request in by_type["MedicationRequest"]:
        coding = request["medicationCodeableConcept"]["coding"][0]
        assert coding["system"] == RXNORM
        reason = by_url[request["reasonReference"][0]["reference"]]
        assert subject_of(reason) == subject_of(request)
        expected = indications.get(coding["code"])
        if expected:
            seen.add(coding["code"])
            assert reason["code"]["coding"][0]["code"] in (
                expected if isinstance(expected, tuple) else (expected,)
            )
    assert seen == set(indications)


def test_it_puts_most_diabetics_on_metformin(
    problems: dict[str, set[str]], by_type: ByType
) -> None:
    on_metformin = {
        subject_of(r)
        for _, r in by_type["MedicationRequest"]
        if r["medicationCodeableConcept"]["coding"][0]["code"] == "6809"
    }
    diabetics = problems["E11.9"]
    assert len(diabetics & on_metformin) / len(diabetics) >= 0.75


def test_it_tracks_a1c_for_diabetics_mostly_controlled_some_above_9(
    problems: dict[str, set[str]], results: dict[str, dict[str, list[float]]]
) -> None:
    a1c = results["4548-4"]
    diabetics = problems["E11.9"]
    assert sum(len(a1c[p]) >= 2 for p in diabetics) / len(diabetics) >= 0.8
    values = [v for p in diabetics for v in a1c[p]]
    above_9 = sum(v > 9 for v in values) / len(values)
    assert 0.03 <= above_9 <= 0.25
    assert 6.5 <= median(values) <= 8.0


def test_it_keeps_non_diabetic_a1c_normal(
    problems: dict[str, set[str]], results: dict[str, dict[str, list[float]]]
) -> None:
    others = [
        v
        for p, vs in results["4548-4"].items()
        if p not in problems["E11.9"] | problems["R73.03"]
        for v in vs
    ]
    assert len(others) > 20
    assert sum(v <= 5.6 for v in others) / len(others) >= 0.85
    assert max(others) < 6.5


def test_it_shows_higher_ldl_for_hyperlipidemia(
    problems: dict[str, set[str]], results: dict[str, dict[str, list[float]]]
) -> None:
    ldl = results["2089-1"]
    with_hld = [v for p in problems["E78.5"] for v in ldl.get(p, [])]
    without = [
        v for p, vs in ldl.items() if p not in problems["E78.5"] | problems["I25.10"] for v in vs
    ]
    assert median(with_hld) > median(without) + 8


def test_it_reports_labs_with_ucum_ranges_and_flags(by_type: ByType) -> None:
    labs = [
        o
        for _, o in by_type["Observation"]
        if o["category"][0]["coding"][0]["code"] == "laboratory"
    ]
    complete = [
        o
        for o in labs
        if "valueQuantity" in o and "unit" in o["valueQuantity"] and o.get("interpretation")
    ]
    assert len(complete) >= len(labs) - 10  # the planted result defects
    for lab in complete:
        assert lab["code"]["coding"][0]["system"] == LOINC
        assert lab["valueQuantity"]["system"] == UCUM
        assert lab["referenceRange"]
        flag = lab["interpretation"][0]["coding"][0]["code"]
        low = lab["referenceRange"][0].get("low", {}).get("value")
        high = lab["referenceRange"][0].get("high", {}).get("value")
        value = lab["valueQuantity"]["value"]
        if flag == "N":
            assert (low is None or value >= low) and (high is None or value <= high)
        else:
            assert (flag == "H" and value > high) or (flag == "L" and value < low)


def test_it_records_blood_pressure_as_a_panel_with_components(by_type: ByType) -> None:
    panels = [o for _, o in by_type["Observation"] if coding_codes(o["code"]) == {"85354-9"}]
    assert panels
    for panel in panels:
        assert [coding_codes(c["code"]) for c in panel["component"]] == [{"8480-6"}, {"8462-4"}]
        systolic, diastolic = (c["valueQuantity"]["value"] for c in panel["component"])
        assert 35 < diastolic < systolic < 220
    vital_codes = {
        c
        for _, o in by_type["Observation"]
        if o["category"][0]["coding"][0]["code"] == "vital-signs"
        for c in coding_codes(o["code"])
    }
    assert {"8867-4", "39156-5", "29463-7", "8302-2"} <= vital_codes


def test_it_gives_vaccines_with_cvx_codes(by_type: ByType) -> None:
    cvx = {i["vaccineCode"]["coding"][0]["code"] for _, i in by_type["Immunization"]}
    assert {"140", "150", "213", "115"} <= cvx


def test_it_records_allergies_with_substance_codes_and_reactions(by_type: ByType) -> None:
    allergies = [a for _, a in by_type["AllergyIntolerance"]]
    real = [a for a in allergies if a.get("reaction")]
    assert real and len(real) < len(allergies)  # the rest are "no known allergy" statements
    for allergy in real:
        assert allergy["code"]["coding"][0]["system"] in (RXNORM, SNOMED)
        assert allergy["reaction"][0]["manifestation"][0]["coding"][0]["system"] == SNOMED


def test_it_never_prescribes_a_drug_the_patient_is_allergic_to(by_type: ByType) -> None:
    allergic: dict[str, set[str]] = defaultdict(set)
    for _, allergy in by_type["AllergyIntolerance"]:
        if allergy["code"]["coding"][0]["system"] == RXNORM:
            allergic[subject_of(allergy)].add(allergy["code"]["coding"][0]["code"])
    for _, request in by_type["MedicationRequest"]:
        assert (
            request["medicationCodeableConcept"]["coding"][0]["code"]
            not in allergic[subject_of(request)]
        )


def test_it_has_obesity_by_bmi_like_us_adults(
    results: dict[str, dict[str, list[float]]], adults: set[str], problems: dict[str, set[str]]
) -> None:
    latest_bmi = {p: values[-1] for p, values in results["39156-5"].items() if p in adults}
    obese = {p for p, bmi in latest_bmi.items() if bmi >= 30}
    assert 0.30 <= len(obese) / len(latest_bmi) <= 0.52
    assert problems["E66.9"] <= set(results["39156-5"])  # coded obesity always has BMIs behind it
