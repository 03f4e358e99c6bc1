"""Structural validation of a credential against the OB 3.0 AchievementCredential JSON Schema
shipped in `schemas/`. Each problem names the JSON path, so a verifier can say exactly what is
wrong."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

SCHEMA_FILE = "schemas/ob_v3p0_achievementcredential_schema.json"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_formats = FormatChecker(formats=())


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


_formats.checks("uri")(_is_uri)
_formats.checks("date-time")(_is_date_time)
_formats.checks("email")(_is_email)


@cache
def ob3_schema() -> dict[str, Any]:
    text = resources.files("extender.credentials.vc").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = ob3_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_formats)


def _describe(error: ValidationError) -> str:
    path = error.json_path
    if error.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            return f"{path}.{missing.group(1)}: required property is missing"
    if error.validator in ("anyOf", "oneOf") and error.context:
        best = min(error.context, key=lambda sub: len(sub.message))
        return f"{path}: {best.message}"
    return f"{path}: {error.message}"


def validate_ob3(doc: dict[str, Any]) -> list[str]:
    """Every schema violation as "<JSON path>: <problem>", in document order; [] when valid."""
    if not isinstance(doc, dict):
        return ["$: the credential must be a JSON object"]
    errors = sorted(
        _validator().iter_errors(doc), key=lambda e: (list(map(str, e.path)), e.message)
    )
    return [_describe(error) for error in errors]
