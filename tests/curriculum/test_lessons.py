from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from extender.cli import app as cli
from extender.curriculum.content import load_tracks
from extender.curriculum.lessons import load_lessons
from extender.web.markdown import render_markdown
from tests.curriculum.lesson_fixtures import write_lessons

SCENARIOS = {"duplicate-patient-cleanup"}


def test_it_loads_modules_lessons_and_reports_coverage_gaps(tmp_path: Path) -> None:
    content = write_lessons(tmp_path)
    catalog = load_lessons(content, load_tracks(content), SCENARIOS)
    assert catalog.problems == []
    [module] = catalog.modules
    assert [ls.meta.slug for ls in module.lessons] == ["first", "second"]
    assert "CPEHR-1.1" not in catalog.gaps["CPEHR"] and "CPEHR-2.1" in catalog.gaps["CPEHR"]
    assert len(catalog.gaps["CPHIT"]) == 40


def test_it_names_file_and_line_of_broken_links_and_unknown_objectives(tmp_path: Path) -> None:
    content = write_lessons(
        tmp_path, extra_body="\nAlso [gone](03-missing.md).\n", objective="CPEHR-9.9"
    )
    catalog = load_lessons(content, load_tracks(content), SCENARIOS)
    text = [str(p) for p in catalog.problems]
    assert any(
        "content/lessons/cpehr/01-basics/01-first.md: line 5: unknown objective CPEHR-9.9" in t
        for t in text
    ), text
    assert any("01-first.md: line" in t and "broken link 03-missing.md" in t for t in text)


def test_content_validate_exits_2_on_a_broken_link(tmp_path: Path) -> None:
    content = write_lessons(tmp_path, extra_body="\n[nowhere](/tracks/CPEHR#CPEHR-77.1)\n")
    result = CliRunner().invoke(cli, ["content", "validate", "--dir", str(content)])
    assert result.exit_code == 2
    assert "01-first.md: line" in result.output and "broken link /tracks/CPEHR#CPEHR-77.1" in (
        result.output
    )
    good = write_lessons(tmp_path / "ok")
    ok = CliRunner().invoke(cli, ["content", "validate", "--dir", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "coverage gap in CPEHR: no lesson teaches" in ok.output


def test_it_renders_callouts_and_highlights_hl7_and_json() -> None:
    html = str(
        render_markdown(
            "> [!WARNING]\n> Check PID-3.\n\n```hl7\nPID|1||123^^^MRN\n```\n\n"
            '```json\n{"resourceType": "Patient"}\n```\n\n<script>alert(1)</script>\n'
        )
    )
    assert 'class="callout callout-warning"' in html and "Warning:" in html
    assert '<span class="tok-seg">PID</span>' in html
    assert '<span class="tok-key">&quot;resourceType&quot;</span>' in html
    assert "<script>" not in html
