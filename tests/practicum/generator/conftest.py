"""Shared practices: generated once per test session because a 500-patient practice is the
size at which prevalence checks mean something, and it takes a couple of seconds to build."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from extender.practicum.generator import GeneratedPractice, PracticeParams, generate_practice

Resource = dict[str, Any]


@pytest.fixture(scope="session")
def practice() -> GeneratedPractice:
    return generate_practice(PracticeParams(patients=500, seed=11))


@pytest.fixture(scope="session")
def by_url(practice: GeneratedPractice) -> dict[str, Resource]:
    return {entry["fullUrl"]: entry["resource"] for entry in practice.bundle["entry"]}


@pytest.fixture(scope="session")
def by_type(practice: GeneratedPractice) -> dict[str, list[tuple[str, Resource]]]:
    grouped: dict[str, list[tuple[str, Resource]]] = defaultdict(list)
    for entry in practice.bundle["entry"]:
        grouped[entry["resource"]["resourceType"]].append((entry["fullUrl"], entry["resource"]))
    return grouped


def age_on(resource: Resource, day: date) -> int:
    born = date.fromisoformat(resource["birthDate"])
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def subject_of(resource: Resource) -> str:
    holder = resource.get("subject") or resource.get("patient")
    assert holder is not None
    return str(holder["reference"])


def coding_codes(concept: Resource) -> set[str]:
    return {c["code"] for c in concept.get("coding", [])}
