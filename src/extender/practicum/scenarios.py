"""Scenario content files: ``content/scenarios/<slug>/scenario.yaml`` plus a Markdown brief.

Validated on load like every content file: unknown keys, unknown graders, objectives that no
framework defines and out-of-range practice parameters are refused with file and field."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extender.curriculum.content import (
    ContentError,
    ContentProblem,
    load_tracks,
    read_content_file,
)
from extender.errors import InvalidInput
from extender.practicum.generator.params import DefectParams, PracticeParams


class SubmissionField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["integer", "text", "findings"]
    hint: str = ""
    columns: list[str] = Field(default_factory=list)
    """For findings: the comma-separated values of each line (default username, patient, date)."""


class PracticeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patients: int = Field(ge=30, le=2000)
    seed: int
    years_of_history: int = 5
    audit_days: int = 14
    lab_messages: int = 0
    defects: dict[str, int] = Field(default_factory=dict)

    def params(self) -> PracticeParams:
        return PracticeParams(
            patients=self.patients,
            seed=self.seed,
            years_of_history=self.years_of_history,
            audit_days=self.audit_days,
            lab_messages=self.lab_messages,
            defects=DefectParams(**self.defects),
        ).validated()


class ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    track: str
    objectives: list[str] = Field(min_length=1)
    minutes: int = Field(ge=5, le=600)
    pass_score: int = Field(ge=1, le=100)
    grader: str
    practice: PracticeSpec
    submission: list[SubmissionField] = Field(default_factory=list)
    brief: str

    brief_markdown: str = ""


def _problems(
    spec: ScenarioSpec, file: str, objective_codes: set[str], graders: set[str]
) -> list[ContentProblem]:
    problems = []
    if spec.grader not in graders:
        problems.append(
            ContentProblem(
                file,
                "grader",
                f"unknown grader '{spec.grader}' (known: {', '.join(sorted(graders))})",
            )
        )
    for i, code in enumerate(spec.objectives):
        if code not in objective_codes:
            problems.append(ContentProblem(file, f"objectives[{i}]", f"unknown objective {code}"))
    unknown = set(spec.practice.defects) - {f.name for f in fields(DefectParams)}
    for name in sorted(unknown):
        problems.append(ContentProblem(file, f"practice.defects.{name}", "unknown defect kind"))
    if not unknown:
        try:
            spec.practice.params()
        except InvalidInput as exc:
            problems.append(ContentProblem(file, f"practice.{exc.field or ''}", exc.message))
    return problems


def load_scenarios(content_dir: Path, graders: set[str] | None = None) -> dict[str, ScenarioSpec]:
    paths = sorted((content_dir / "scenarios").glob("*/scenario.yaml"))
    if not paths:
        return {}
    if graders is None:
        from extender.practicum.graders import GRADERS

        graders = set(GRADERS)
    objective_codes = {
        o.code for t in load_tracks(content_dir) for d in t.domains for o in d.objectives
    }
    out: dict[str, ScenarioSpec] = {}
    problems: list[ContentProblem] = []
    for path in paths:
        file, spec, found = read_content_file(path, content_dir, ScenarioSpec, "scenario")
        problems.extend(found)
        if spec is None:
            continue
        if spec.slug != path.parent.name:
            problems.append(
                ContentProblem(file, "slug", f"must equal the folder name {path.parent.name}")
            )
        brief = path.parent / spec.brief
        if not brief.is_file():
            problems.append(ContentProblem(file, "brief", f"file {spec.brief} not found"))
        else:
            spec.brief_markdown = brief.read_text(encoding="utf-8")
        problems.extend(_problems(spec, file, objective_codes, graders))
        out[spec.slug] = spec
    if problems:
        raise ContentError(problems)
    return out
