from __future__ import annotations

import pytest

from extender.errors import InvalidInput
from extender.practicum.generator import (
    DefectParams,
    PracticeParams,
    generate_practice,
    parse_defects,
)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (PracticeParams(patients=5), "patients"),
        (PracticeParams(providers=9), "providers"),
        (PracticeParams(locations=0), "locations"),
        (PracticeParams(years_of_history=0), "years_of_history"),
        (PracticeParams(defects=DefectParams(miscoded_results=-1)), "defects.miscoded_results"),
        (PracticeParams(patients=40, defects=DefectParams(duplicate_patients=30)), "defects"),
    ],
)
def test_it_rejects_out_of_range_parameters_naming_the_field(
    params: PracticeParams, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        generate_practice(params)
    assert error.value.field == field


def test_it_parses_defect_specs() -> None:
    assert parse_defects("none") == DefectParams.none()
    assert parse_defects("default") == DefectParams()
    spec = parse_defects("none, duplicates=4,results=2, after_hours_browsing=1")
    assert (spec.duplicate_patients, spec.miscoded_results, spec.after_hours_browsing) == (4, 2, 1)
    assert spec.vip_accesses == 0


@pytest.mark.parametrize("spec", ["bogus=1", "duplicates", "duplicates=many"])
def test_it_rejects_bad_defect_specs(spec: str) -> None:
    with pytest.raises(InvalidInput):
        parse_defects(spec)


def test_it_respects_explicit_provider_and_location_counts() -> None:
    practice = generate_practice(
        PracticeParams(patients=40, providers=5, locations=3, defects=DefectParams.none())
    )
    kinds = [e["resource"]["resourceType"] for e in practice.bundle["entry"]]
    assert kinds.count("Location") == 3
    npis = [
        a
        for a in practice.staff_accounts
        if a["job_title"] in ("Physician", "Nurse Practitioner", "Physician Assistant")
    ]
    assert len(npis) == 5
