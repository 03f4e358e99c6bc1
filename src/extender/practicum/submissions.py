"""Turns a submitted form into the typed submission a grader reads, refusing bad values with
the field named (the attempt stays open, so nothing is lost)."""

from __future__ import annotations

from typing import Any

from extender.errors import InvalidInput
from extender.practicum.scenarios import ScenarioSpec

DEFAULT_COLUMNS = ("username", "patient", "date")


def parse_findings(text: str, columns: tuple[str, ...], field: str) -> list[dict[str, str]]:
    """One finding per line, values separated by commas, in the order of ``columns``."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        values = [v.strip() for v in line.split(",")]
        if len(values) != len(columns) or not all(values):
            raise InvalidInput(
                f"{field}, line {number}: expected {len(columns)} values "
                f"({', '.join(columns)}), got '{line.strip()}'",
                field=field,
            )
        findings.append(dict(zip(columns, values, strict=True)))
    return findings


def parse_submission(spec: ScenarioSpec, form: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in spec.submission:
        raw = form.get(f.name, "").strip()
        if f.type == "integer":
            if not raw.lstrip("-").isdigit():
                raise InvalidInput(f"{f.label}: enter a whole number", field=f.name)
            out[f.name] = int(raw)
        elif f.type == "findings":
            out[f.name] = parse_findings(raw, tuple(f.columns or DEFAULT_COLUMNS), f.name)
        else:
            out[f.name] = raw
    return out
