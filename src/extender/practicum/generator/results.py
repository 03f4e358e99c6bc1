"""Result-quality defects: the lab data problems a health-IT analyst must learn to spot.

Each is a known real-world failure: an interface mapping an A1c to the wrong LOINC, a unit
dropped in transit, a value sent in SI units under a conventional-unit label, a result keyed
as free text, a "final" result with no value. Real results are mutated in place, so the
surrounding chart (the visit, the order's siblings) still looks normal.
"""

from __future__ import annotations

import random

from extender.practicum.generator import codes
from extender.practicum.generator.answer_key import ResultDefect
from extender.practicum.generator.chart_model import Chart
from extender.practicum.generator.fhir import Json, concept, quantity, term

KINDS = ("wrong_loinc", "missing_unit", "free_text", "wrong_unit", "missing_value")
_HBA1C, _GLUCOSE, _HEMOGLOBIN = "4548-4", "2345-7", "718-7"
_CANDIDATE_CODES = {
    "wrong_loinc": (_HBA1C,),
    "free_text": (_HBA1C, _GLUCOSE),
    "wrong_unit": (_GLUCOSE,),
}
_FREE_TEXT_NAMES = {_HBA1C: "HGBA1C", _GLUCOSE: "GLUCOSE FASTING"}
MG_DL_PER_MMOL_L = 18.016


def plant_result_defects(charts: list[Chart], count: int, seed: int) -> list[ResultDefect]:
    rng = random.Random(f"{seed}:results")
    labs = [(url, resource) for chart in charts for url, resource in chart.labs]
    used: set[str] = set()
    planted: list[ResultDefect] = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        wanted = _CANDIDATE_CODES.get(kind)
        pool = [
            (u, r) for u, r in labs if u not in used and (wanted is None or _loinc(r) in wanted)
        ]
        if not pool:
            kind, pool = "missing_unit", [(u, r) for u, r in labs if u not in used]
        if not pool:
            break
        url, resource = rng.choice(pool)
        used.add(url)
        expected, found = _MUTATIONS[kind](resource)
        planted.append(ResultDefect(kind, url, resource["subject"]["reference"], expected, found))
    return planted


def _loinc(resource: Json) -> str:
    return str(resource["code"]["coding"][0]["code"])


def _describe(resource: Json) -> str:
    coded = resource["code"]["coding"][0]
    return f"LOINC {coded['code']} {coded['display']}"


def _wrong_loinc(resource: Json) -> tuple[str, str]:
    expected = _describe(resource)
    hemoglobin = codes.observations()["hemoglobin"]
    resource["code"] = concept(codes.LOINC, hemoglobin.loinc, hemoglobin.display)
    return (
        expected,
        f"{_describe(resource)} (value {resource['valueQuantity']['value']} % is an A1c)",
    )


def _missing_unit(resource: Json) -> tuple[str, str]:
    value = resource["valueQuantity"]
    expected = f"{value['value']} {value['code']} (UCUM)"
    resource["valueQuantity"] = {"value": value["value"]}
    return expected, f"{value['value']} with no unit"


def _free_text(resource: Json) -> tuple[str, str]:
    expected = f"{_describe(resource)} as a coded valueQuantity"
    loinc = _loinc(resource)
    value = resource.pop("valueQuantity")
    resource["code"] = {"text": _FREE_TEXT_NAMES[loinc]}
    resource["valueString"] = f"{value['value']} {value['unit']}"
    resource.pop("referenceRange", None)
    resource.pop("interpretation", None)
    return (
        expected,
        f"uncoded text {resource['code']['text']!r} with valueString {resource['valueString']!r}",
    )


def _wrong_unit(resource: Json) -> tuple[str, str]:
    value = resource["valueQuantity"]["value"]
    expected = f"{value} mg/dL"
    mmol = round(value / MG_DL_PER_MMOL_L, 1)
    resource["valueQuantity"] = quantity(mmol, "mg/dL")
    resource["interpretation"] = [term("v3-ObservationInterpretation", "L", "Low")]
    return expected, f"{mmol} mg/dL (a mmol/L value labelled mg/dL, flagged Low)"


def _missing_value(resource: Json) -> tuple[str, str]:
    value = resource.pop("valueQuantity")
    resource.pop("interpretation", None)
    return f"{value['value']} {value['code']}", "status final with no value and no dataAbsentReason"


_MUTATIONS = {
    "wrong_loinc": _wrong_loinc,
    "missing_unit": _missing_unit,
    "free_text": _free_text,
    "wrong_unit": _wrong_unit,
    "missing_value": _missing_value,
}
