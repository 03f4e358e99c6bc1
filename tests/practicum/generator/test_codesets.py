"""The shipped code sets are well-formed; check digits catch most mistyped codes."""

from __future__ import annotations

import re

from extender.practicum.generator import codes
from extender.practicum.generator.ids import luhn_valid

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)  # fmt: skip
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)  # fmt: skip


def _verhoeff_valid(number: str) -> bool:
    check = 0
    for position, digit in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def _snomed_codes() -> list[str]:
    found = [c.snomed for c in codes.conditions().values()]
    found += [a.code for a in codes.allergens().values() if a.system == codes.SNOMED]
    found += [r.code for r in codes.reactions().values()]
    found += [e.code for e in codes.encounter_types().values()]
    return found


def test_it_ships_snomed_ids_with_valid_verhoeff_check_digits() -> None:
    assert [c for c in _snomed_codes() if not (c.isdigit() and _verhoeff_valid(c))] == []


def test_it_ships_loinc_codes_with_valid_check_digits() -> None:
    for code in codes.observations().values():
        assert re.fullmatch(r"\d{1,5}-\d", code.loinc), code.loinc
        assert luhn_valid(code.loinc.replace("-", "")), code.loinc


def test_it_ships_well_formed_icd10cm_rxnorm_and_cvx_codes() -> None:
    for condition in codes.conditions().values():
        assert re.fullmatch(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?", condition.icd10), condition.icd10
    assert all(d.rxnorm.isdigit() for d in codes.drugs().values())
    assert all(re.fullmatch(r"\d{2,3}", v.code) for v in codes.vaccines().values())


def test_it_ships_the_sizes_and_anchor_codes_the_curriculum_relies_on() -> None:
    conditions = codes.conditions()
    assert len(conditions) >= 25 and len(codes.drugs()) >= 30 and len(codes.observations()) >= 25
    assert len(codes.vaccines()) >= 10
    assert (conditions["diabetes_t2"].icd10, conditions["diabetes_t2"].snomed) == (
        "E11.9",
        "44054006",
    )
    assert (conditions["hypertension"].icd10, conditions["hypertension"].snomed) == (
        "I10",
        "38341003",
    )
    loinc = {o.key: (o.loinc, o.ucum) for o in codes.observations().values()}
    assert loinc["hba1c"] == ("4548-4", "%") and loinc["glucose"] == ("2345-7", "mg/dL")
    assert {
        codes.vaccines()[k].code
        for k in ("flu_trivalent_pf", "flu_quadrivalent_pf", "covid_unspecified", "tdap", "ppsv23")
    } == {"140", "150", "213", "115", "33"}
    assert codes.drugs()["metformin"].rxnorm == "6809"


def test_it_only_avoids_drugs_that_exist() -> None:
    known = set(codes.drugs())
    for allergen in codes.allergens().values():
        assert set(allergen.avoid) <= known
