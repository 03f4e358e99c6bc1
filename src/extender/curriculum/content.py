"""Reads and validates the competency frameworks in ``content/tracks/*.yaml``.

Content is written by people, so every problem is reported with the file and the field it is
in, and nothing is loaded unless every file is valid: a half-loaded catalog would leave items
and lessons pointing at objectives that are not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Level = Literal["remember", "understand", "apply", "analyze", "evaluate", "create"]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9 \-/.]*$", max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ObjectiveSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3,8}-\d+\.\d+$")
    statement: str = Field(min_length=10, max_length=400)
    level: Level
    tags: list[Tag] = Field(default_factory=list, max_length=6)


class DomainSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3,8}-\d+$")
    name: str = Field(min_length=3, max_length=200)
    weight: int = Field(ge=1, le=100)
    description: str = Field(min_length=10)
    objectives: list[ObjectiveSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _objective_codes_belong_to_domain(self) -> DomainSpec:
        for i, objective in enumerate(self.objectives):
            if not objective.code.startswith(self.code + "."):
                raise ValueError(
                    f"objectives[{i}].code {objective.code} does not start with {self.code}."
                )
        return self


class TrackSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3,8}$")
    name: str = Field(min_length=3, max_length=200)
    summary: str = Field(min_length=10, max_length=300)
    description: str = Field(min_length=10)
    eligibility: str = Field(min_length=10)
    domains: list[DomainSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TrackSpec:
        total = sum(d.weight for d in self.domains)
        if total != 100:
            raise ValueError(f"domain weights sum to {total}%, they must sum to exactly 100%")
        for i, domain in enumerate(self.domains):
            if not domain.code.startswith(self.code + "-"):
                raise ValueError(
                    f"domains[{i}].code {domain.code} does not start with {self.code}-"
                )
        return self

    @property
    def objective_count(self) -> int:
        return sum(len(d.objectives) for d in self.domains)


@dataclass(frozen=True)
class ContentProblem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe_invalid(
    file: str, err: ValidationError, *, schema: str = "track", line: int | None = None
) -> list[ContentProblem]:
    """One problem per validation error, named by field path (and by line when known)."""
    problems = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key (not part of the {schema} schema)"
        where = _loc(tuple(e["loc"]))
        problems.append(ContentProblem(file, f"line {line}: {where}" if line else where, msg))
    return problems


Model = TypeVar("Model", bound=BaseModel)


def read_content_file(
    path: Path, content_dir: Path, model: type[Model], schema: str
) -> tuple[str, Model | None, list[ContentProblem]]:
    """Parse one YAML content file into ``model``: its display name, the model (None when
    the file is broken) and the problems found, each naming the file and field."""
    file = f"{content_dir.name}/{path.relative_to(content_dir).as_posix()}"
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return file, None, [ContentProblem(file, "", f"invalid YAML: {exc}")]
    try:
        return file, model.model_validate(raw), []
    except ValidationError as err:
        return file, None, describe_invalid(file, err, schema=schema)


def parse_track_file(path: Path, display_name: str | None = None) -> TrackSpec:
    name = display_name or str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ContentError([ContentProblem(name, where, f"invalid YAML: {exc}")]) from None
    except OSError as exc:
        raise ContentError([ContentProblem(name, "", f"cannot read: {exc.strerror}")]) from None
    if not isinstance(raw, dict):
        raise ContentError([ContentProblem(name, "", "expected a mapping at the top level")])
    try:
        return TrackSpec.model_validate(raw)
    except ValidationError as err:
        raise ContentError(describe_invalid(name, err)) from None


def load_tracks(content_dir: Path) -> list[TrackSpec]:
    """Parse every track file; raise one ContentError listing every problem in every file."""
    track_dir = content_dir / "tracks"
    files = sorted(track_dir.glob("*.yaml"))
    if not files:
        raise ContentError([ContentProblem(str(track_dir), "", "no track files (*.yaml) found")])
    problems: list[ContentProblem] = []
    parsed: list[tuple[TrackSpec, str]] = []
    for path in files:
        display = f"{content_dir.name}/{path.relative_to(content_dir).as_posix()}"
        try:
            parsed.append((parse_track_file(path, display), display))
        except ContentError as err:
            problems.extend(err.problems)
    problems.extend(_duplicate_codes(parsed))
    if problems:
        raise ContentError(problems)
    return [spec for spec, _ in parsed]


def _duplicate_codes(parsed: list[tuple[TrackSpec, str]]) -> list[ContentProblem]:
    seen: dict[str, str] = {}
    problems: list[ContentProblem] = []
    for spec, file in parsed:
        codes = [spec.code] + [d.code for d in spec.domains]
        codes += [o.code for d in spec.domains for o in d.objectives]
        for code in codes:
            if code in seen:
                problems.append(
                    ContentProblem(file, "code", f"{code} is already defined in {seen[code]}")
                )
            seen[code] = file
    return problems
