"""Achievement definitions: ``content/achievements/*.yaml``.

Each file defines one achievement: a certification (exam plus named practicum scenarios) or a
micro-credential for one scenario. Validated on load like every content file: unknown keys,
unknown tracks, scenarios and objective codes are refused with the file and field named, and
nothing is loaded unless every file is valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extender.curriculum.content import (
    ContentError,
    ContentProblem,
    load_tracks,
    read_content_file,
)
from extender.practicum.scenarios import ScenarioSpec, load_scenarios


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScenarioRequirement(_Strict):
    slug: str
    min_score: int = Field(ge=1, le=100)


class Requirements(_Strict):
    exam: bool = False
    scenarios: list[ScenarioRequirement] = Field(default_factory=list)
    within_months: int | None = Field(default=None, ge=1, le=120)
    """All evidence (exam and scenarios) must fall within this many months of each other."""


class Renewal(_Strict):
    ce_credits: float = Field(gt=0, le=500)
    reexam: bool = True
    window_months: int = Field(default=6, ge=1, le=24)
    """Renewal opens this many months before the credential expires."""


class AchievementSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    kind: Literal["certification", "micro"]
    track: str
    name: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10)
    criteria: str = Field(min_length=10)
    alignments: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    requirements: Requirements
    validity_months: int | None = Field(default=None, ge=1, le=120)
    renewal: Renewal | None = None
    approval: Literal["automatic", "staff"] = "automatic"

    @property
    def achievement_type(self) -> str:
        return "Certification" if self.kind == "certification" else "Badge"


def _cross_check(
    spec: AchievementSpec,
    file: str,
    objectives: dict[str, str],
    tracks: set[str],
    scenarios: dict[str, ScenarioSpec],
) -> list[ContentProblem]:
    problems = []
    if spec.track not in tracks:
        problems.append(ContentProblem(file, "track", f"unknown track {spec.track}"))
    for i, code in enumerate(spec.alignments):
        if code not in objectives:
            problems.append(ContentProblem(file, f"alignments[{i}]", f"unknown objective {code}"))
    reqs = spec.requirements
    for i, req in enumerate(reqs.scenarios):
        if req.slug not in scenarios:
            problems.append(
                ContentProblem(
                    file, f"requirements.scenarios[{i}].slug", f"unknown scenario {req.slug}"
                )
            )
    if not reqs.exam and not reqs.scenarios:
        problems.append(ContentProblem(file, "requirements", "requires neither exam nor scenario"))
    if spec.renewal is not None and spec.validity_months is None:
        problems.append(ContentProblem(file, "renewal", "renewal needs validity_months"))
    return problems


def parse_achievements(
    content_dir: Path, scenarios: dict[str, ScenarioSpec] | None = None
) -> dict[str, AchievementSpec]:
    """Every achievement by id; raises one ContentError listing every problem."""
    tracks = load_tracks(content_dir)
    objectives = {o.code: o.statement for t in tracks for d in t.domains for o in d.objectives}
    if scenarios is None:
        scenarios = load_scenarios(content_dir)
    out: dict[str, AchievementSpec] = {}
    problems: list[ContentProblem] = []
    paths = sorted((content_dir / "achievements").glob("*.yaml"))
    for path in paths:
        file, spec, found = read_content_file(path, content_dir, AchievementSpec, "achievement")
        problems.extend(found)
        if spec is None:
            continue
        if spec.id != path.stem:
            problems.append(ContentProblem(file, "id", f"must equal the file name {path.stem}"))
        if spec.id in out:
            problems.append(ContentProblem(file, "id", f"{spec.id} is defined twice"))
        problems.extend(_cross_check(spec, file, objectives, {t.code for t in tracks}, scenarios))
        out[spec.id] = spec
    if problems:
        raise ContentError(problems)
    return out


def objective_statements(content_dir: Path) -> dict[str, tuple[str, str]]:
    """Objective code -> (statement, track name): what an alignment says about its target."""
    return {
        o.code: (o.statement, t.name)
        for t in load_tracks(content_dir)
        for d in t.domains
        for o in d.objectives
    }
