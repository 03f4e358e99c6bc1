"""Typed access to the code sets shipped under ``practicum/codesets``.

The codes live in CSV data files rather than in Python so a reviewer (or a clinical informaticist
on the curriculum team) can check them against the authoritative browsers without reading code.
Each loader parses its file once per process.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CVX = "http://hl7.org/fhir/sid/cvx"
NUCC = "http://nucc.org/provider-taxonomy"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"

_SYSTEMS = {"rxnorm": RXNORM, "snomed": SNOMED}


@dataclass(frozen=True, slots=True)
class ConditionCode:
    key: str
    icd10: str
    icd10_display: str
    snomed: str
    snomed_display: str
    chronic: bool


@dataclass(frozen=True, slots=True)
class DrugCode:
    key: str
    rxnorm: str
    display: str
    product_text: str
    sig: str


@dataclass(frozen=True, slots=True)
class ObservationCode:
    key: str
    loinc: str
    display: str
    ucum: str
    category: str
    low: float | None
    high: float | None
    decimals: int


@dataclass(frozen=True, slots=True)
class SimpleCode:
    """A code with a display in one code system (CVX, SNOMED findings, NUCC)."""

    key: str
    system: str
    code: str
    display: str
    extra: str = ""


@dataclass(frozen=True, slots=True)
class AllergenCode:
    key: str
    system: str
    code: str
    display: str
    category: str
    avoid: tuple[str, ...]


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("extender.practicum").joinpath("codesets", filename).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


@cache
def conditions() -> dict[str, ConditionCode]:
    return {
        r["key"]: ConditionCode(
            r["key"],
            r["icd10"],
            r["icd10_display"],
            r["snomed"],
            r["snomed_display"],
            r["chronic"] == "1",
        )
        for r in _rows("conditions.csv")
    }


@cache
def drugs() -> dict[str, DrugCode]:
    return {
        r["key"]: DrugCode(r["key"], r["rxnorm"], r["display"], r["product_text"], r["sig"])
        for r in _rows("medications.csv")
    }


@cache
def observations() -> dict[str, ObservationCode]:
    return {
        r["key"]: ObservationCode(
            r["key"],
            r["loinc"],
            r["display"],
            r["ucum"],
            r["category"],
            _optional_float(r["low"]),
            _optional_float(r["high"]),
            int(r["decimals"]),
        )
        for r in _rows("observations.csv")
    }


@cache
def vaccines() -> dict[str, SimpleCode]:
    return {
        r["key"]: SimpleCode(r["key"], CVX, r["cvx"], r["display"]) for r in _rows("vaccines.csv")
    }


@cache
def reactions() -> dict[str, SimpleCode]:
    return {
        r["key"]: SimpleCode(r["key"], SNOMED, r["snomed"], r["display"])
        for r in _rows("reactions.csv")
    }


@cache
def encounter_types() -> dict[str, SimpleCode]:
    return {
        r["key"]: SimpleCode(r["key"], SNOMED, r["snomed"], r["display"])
        for r in _rows("encounter_types.csv")
    }


@cache
def taxonomies() -> dict[str, SimpleCode]:
    return {
        r["key"]: SimpleCode(r["key"], NUCC, r["code"], r["display"], r["credential"])
        for r in _rows("provider_taxonomy.csv")
    }


@cache
def allergens() -> dict[str, AllergenCode]:
    return {
        r["key"]: AllergenCode(
            r["key"],
            _SYSTEMS[r["system"]],
            r["code"],
            r["display"],
            r["category"],
            tuple(r["avoid"].split()),
        )
        for r in _rows("allergens.csv")
    }
