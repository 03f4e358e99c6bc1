"""Reads and validates lessons: ``content/lessons/<track>/<NN-module>/module.yaml`` and one
Markdown file with YAML front matter per lesson.

Problems are reported with file and line: unknown keys, unknown objectives or scenarios,
links that lead nowhere. Objectives that no lesson teaches are coverage gaps, reported per
track but not fatal (a framework can run ahead of its lessons)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extender.curriculum.content import (
    ContentProblem,
    TrackSpec,
    describe_invalid,
    read_content_file,
)

FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
ASSET_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OptionSpec(_Strict):
    id: str = Field(pattern=r"^[A-F]$")
    text: str = Field(min_length=1)


class QuestionSpec(_Strict):
    prompt: str = Field(min_length=5)
    options: list[OptionSpec] = Field(min_length=2, max_length=6)
    answer: str
    rationale: str = Field(min_length=5)


class LessonMeta(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    minutes: int = Field(ge=1, le=240)
    objectives: list[str] = Field(min_length=1)
    scenarios: list[str] = Field(default_factory=list)
    check: list[QuestionSpec] = Field(min_length=3, max_length=5)


class ModuleMeta(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    track: str
    order: int = Field(ge=1)
    summary: str = Field(min_length=5)
    lessons: list[str] = Field(min_length=1)


@dataclass
class LessonSpec:
    meta: LessonMeta
    body: str
    file: str


@dataclass
class ModuleSpec:
    meta: ModuleMeta
    folder: Path
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class LessonCatalog:
    modules: list[ModuleSpec]
    problems: list[ContentProblem]
    gaps: dict[str, list[str]]
    """Track code -> objective codes no lesson teaches."""


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _check_links(
    text: str,
    path: Path,
    content_dir: Path,
    file: str,
    tracks: dict[str, TrackSpec],
    scenarios: set[str],
) -> list[ContentProblem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for target in LINK.findall(line):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            where = f"line {number}"
            if target.startswith("/tracks/"):
                code, _, anchor = target.removeprefix("/tracks/").partition("#")
                track = tracks.get(code)
                known = track is not None and (
                    not anchor
                    or anchor
                    in {o.code for d in track.domains for o in d.objectives}
                    | {d.code for d in track.domains}
                )
                if not known:
                    problems.append(ContentProblem(file, where, f"broken link {target}"))
            elif target.startswith("/practicum"):
                slug = target.removeprefix("/practicum").strip("/")
                if slug and slug.removeprefix("scenarios/") not in scenarios:
                    problems.append(ContentProblem(file, where, f"broken link {target}"))
            elif target.startswith("/"):
                problems.append(
                    ContentProblem(
                        file,
                        where,
                        f"link {target} is not a known "
                        "Extender page (use /tracks/... or /practicum)",
                    )
                )
            else:
                resolved = (path.parent / target.split("#")[0]).resolve()
                if not resolved.is_file() or content_dir.resolve() not in resolved.parents:
                    problems.append(ContentProblem(file, where, f"broken link {target}"))
    return problems


def _load_lesson(
    path: Path,
    module: ModuleMeta,
    content_dir: Path,
    tracks: dict[str, TrackSpec],
    scenarios: set[str],
) -> tuple[LessonSpec | None, list[ContentProblem]]:
    file = f"{content_dir.name}/{path.relative_to(content_dir).as_posix()}"
    if not path.is_file():
        return None, [ContentProblem(file, "", "lesson file listed in module.yaml is missing")]
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if not match:
        return None, [ContentProblem(file, "line 1", "missing YAML front matter (--- ... ---)")]
    try:
        meta = LessonMeta.model_validate(yaml.safe_load(match.group(1)))
    except yaml.YAMLError as exc:
        return None, [ContentProblem(file, "front matter", f"invalid YAML: {exc}")]
    except ValidationError as err:
        return None, describe_invalid(file, err, schema="lesson", line=2)
    problems: list[ContentProblem] = []
    track = tracks.get(module.track)
    codes = {o.code for d in track.domains for o in d.objectives} if track else set()
    for code in meta.objectives:
        if code not in codes:
            problems.append(
                ContentProblem(
                    file,
                    f"line {_line_of(text, code)}",
                    f"unknown objective {code} for track {module.track}",
                )
            )
    for slug in meta.scenarios:
        if slug not in scenarios:
            problems.append(
                ContentProblem(
                    file, f"line {_line_of(text, slug)}", f"unknown practicum scenario {slug}"
                )
            )
    for i, q in enumerate(meta.check):
        if q.answer not in {o.id for o in q.options}:
            problems.append(
                ContentProblem(
                    file, f"check[{i}].answer", f"answer {q.answer} is not one of the options"
                )
            )
    problems += _check_links(text, path, content_dir, file, tracks, scenarios)
    return LessonSpec(meta, text[match.end() :], file), problems


def load_lessons(content_dir: Path, tracks: list[TrackSpec], scenarios: set[str]) -> LessonCatalog:
    by_code = {t.code: t for t in tracks}
    modules: list[ModuleSpec] = []
    problems: list[ContentProblem] = []
    for module_file in sorted((content_dir / "lessons").glob("*/*/module.yaml")):
        file, meta, found = read_content_file(module_file, content_dir, ModuleMeta, "module")
        problems += found
        if meta is None:
            continue
        if meta.track not in by_code:
            problems.append(ContentProblem(file, "track", f"unknown track {meta.track}"))
            continue
        module = ModuleSpec(meta, module_file.parent)
        for name in meta.lessons:
            lesson, found = _load_lesson(
                module_file.parent / name, meta, content_dir, by_code, scenarios
            )
            problems += found
            if lesson is not None:
                module.lessons.append(lesson)
        modules.append(module)
    problems += _duplicates(modules)
    taught = {c for m in modules for lesson in m.lessons for c in lesson.meta.objectives}
    gaps = {
        t.code: [o.code for d in t.domains for o in d.objectives if o.code not in taught]
        for t in tracks
    }
    return LessonCatalog(
        sorted(modules, key=lambda m: (m.meta.track, m.meta.order)), problems, gaps
    )


def _duplicates(modules: list[ModuleSpec]) -> list[ContentProblem]:
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for module in modules:
        for key, file in [((module.meta.track, "module:" + module.meta.slug), "module.yaml")] + [
            ((module.meta.track, lesson.meta.slug), lesson.file) for lesson in module.lessons
        ]:
            if key in seen:
                problems.append(
                    ContentProblem(file, "slug", f"{key[1]} is already used in {seen[key]}")
                )
            seen[key] = file
    return problems
