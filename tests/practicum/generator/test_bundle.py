"""The bundle is something a FHIR server will accept in one transaction."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from extender.practicum.generator import GeneratedPractice

from .conftest import Resource


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for k, v in node.items() if k != "reference" for r in _references(v)]
    if isinstance(node, list):
        return [r for item in node for r in _references(item)]
    return []


def test_it_validates_every_resource_against_the_r4b_models(practice: GeneratedPractice) -> None:
    failures = []
    for entry in practice.bundle["entry"]:
        resource = entry["resource"]
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValueError as error:  # pydantic.ValidationError is a ValueError
            failures.append(f"{resource['resourceType']} {entry['fullUrl']}: {error}")
    assert failures == []


def test_it_is_a_transaction_of_posts_with_urn_uuid_full_urls(practice: GeneratedPractice) -> None:
    bundle = practice.bundle
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    for entry in bundle["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["request"] == {"method": "POST", "url": entry["resource"]["resourceType"]}
        assert "id" not in entry["resource"]


def test_it_resolves_every_reference_inside_the_bundle(
    practice: GeneratedPractice, by_url: dict[str, Resource]
) -> None:
    dangling = {
        r for e in practice.bundle["entry"] for r in _references(e["resource"]) if r not in by_url
    }
    assert dangling == set()


def test_it_is_json_serializable_and_free_of_answer_key_fields(practice: GeneratedPractice) -> None:
    text = json.dumps(practice.bundle)
    for leak in (
        "answer",
        "duplicate",
        "overprivileged",
        "inappropriate",
        "lookalike",
        "wrong_loinc",
    ):
        assert leak not in text.lower()


def test_it_validates_as_a_whole_bundle_for_a_small_practice() -> None:
    from extender.practicum.generator import PracticeParams, generate_practice

    small = generate_practice(PracticeParams(patients=30, seed=2, years_of_history=2))
    get_fhir_model_class("Bundle").model_validate(small.bundle)
