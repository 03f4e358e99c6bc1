"""Achievement content: the shipped files load, and a bad file is refused with file and field."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extender.config import PROJECT_ROOT
from extender.credentials.achievements import parse_achievements
from extender.credentials.requirements import add_months
from extender.curriculum.content import ContentError

CONTENT = PROJECT_ROOT / "content"


def test_the_shipped_achievements_load() -> None:
    specs = parse_achievements(CONTENT)
    assert {s.id for s in specs.values() if s.kind == "certification"} == {
        "cpehr",
        "cphit",
        "cphie",
    }
    scenarios = {p.parent.name for p in (CONTENT / "scenarios").glob("*/scenario.yaml")}
    assert {s.id for s in specs.values() if s.kind == "micro"} == {
        f"scenario-{slug}" for slug in scenarios
    }
    assert specs["cpehr"].approval == "staff"
    for code in ("cphit", "cphie"):
        assert "requires the exam only" in " ".join(specs[code].criteria.split())


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for part in ("tracks", "scenarios", "achievements"):
        shutil.copytree(CONTENT / part, root / part)
    return root


def test_it_names_the_file_and_field_of_each_problem(content: Path) -> None:
    path = content / "achievements" / "cphit.yaml"
    text = path.read_text()
    text = text.replace("CPHIT-1.1,", "CPHIT-9.9,").replace("track: CPHIT", "track: CPXX")
    path.write_text(text + "colour: blue\n")
    (content / "achievements" / "scenario-privacy-audit.yaml").write_text(
        (content / "achievements" / "scenario-privacy-audit.yaml")
        .read_text()
        .replace("slug: privacy-audit", "slug: no-such-scenario")
    )
    with pytest.raises(ContentError) as caught:
        parse_achievements(content)
    problems = {(p.file, p.field): p.message for p in caught.value.problems}
    assert problems == {
        (
            "content/achievements/cphit.yaml",
            "colour",
        ): "unknown key (not part of the achievement schema)",
        (
            "content/achievements/scenario-privacy-audit.yaml",
            "requirements.scenarios[0].slug",
        ): "unknown scenario no-such-scenario",
    }
    path.write_text(text)
    with pytest.raises(ContentError) as caught:
        parse_achievements(content)
    problems = {(p.file, p.field): p.message for p in caught.value.problems}
    assert problems == {
        ("content/achievements/cphit.yaml", "track"): "unknown track CPXX",
        ("content/achievements/cphit.yaml", "alignments[0]"): "unknown objective CPHIT-9.9",
        (
            "content/achievements/scenario-privacy-audit.yaml",
            "requirements.scenarios[0].slug",
        ): "unknown scenario no-such-scenario",
    }


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(min_value=-120, max_value=120),
)
def test_add_months_moves_by_calendar_months(moment: datetime, months: int) -> None:
    when = moment.replace(tzinfo=UTC)
    moved = add_months(when, months)
    assert (moved.year - when.year) * 12 + moved.month - when.month == months
    assert moved.day <= when.day and moved.time() == when.time()
    if when.day <= 28:
        assert moved.day == when.day
        assert add_months(moved, -months) == when
