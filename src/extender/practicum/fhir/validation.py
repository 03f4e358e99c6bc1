"""Validates resources with the fhir.resources R4B models and turns failures into
OperationOutcome issues that name the FHIRPath of each problem."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from extender.practicum.fhir.params import SUPPORTED_TYPES

STORED_TYPES = frozenset(SUPPORTED_TYPES) | {"Medication", "Group", "Device"}


@dataclass(frozen=True)
class Issue:
    severity: str
    code: str
    expression: str
    diagnostics: str


class FhirError(Exception):
    """An error the FHIR API reports as an OperationOutcome with ``status``."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.expression}: {i.diagnostics}" for i in issues))
        self.status = status
        self.issues = issues

    @classmethod
    def single(cls, status: int, code: str, diagnostics: str, expression: str = "") -> FhirError:
        return cls(status, [Issue("error", code, expression, diagnostics)])


def outcome(issues: list[Issue]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": i.severity,
                "code": i.code,
                "diagnostics": i.diagnostics,
                **({"expression": [i.expression]} if i.expression else {}),
            }
            for i in issues
        ],
    }


@lru_cache(maxsize=64)
def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def fhirpath(resource_type: str, loc: tuple[Any, ...]) -> str:
    out = resource_type
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_resource(resource: Any, expected_type: str | None = None) -> dict[str, Any]:
    """Return the resource unchanged if valid, else raise FhirError (422) naming each path."""
    if not isinstance(resource, dict):
        raise FhirError.single(400, "structure", "the body must be a JSON object (a FHIR resource)")
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        raise FhirError.single(422, "required", "resourceType is missing", "resourceType")
    if expected_type and resource_type != expected_type:
        raise FhirError.single(
            400,
            "invalid",
            f"resourceType {resource_type} does not match the URL ({expected_type})",
            "resourceType",
        )
    if resource_type not in STORED_TYPES:
        raise FhirError.single(
            404 if expected_type else 422,
            "not-supported",
            f"resource type {resource_type} is not supported by this sandbox",
            "resourceType",
        )
    try:
        _model(resource_type).model_validate(resource)
    except ValidationError as err:
        issues = []
        for e in err.errors():
            message = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                message = "unknown element"
            issues.append(
                Issue(
                    "error",
                    "invalid" if e["type"] != "missing" else "required",
                    fhirpath(resource_type, tuple(e["loc"])),
                    message,
                )
            )
        raise FhirError(422, issues) from None
    return resource
