"""A demo learner reads a lesson, passes its check and sees progress move; an instructor
enrolls learners from a CSV file and reads the cohort dashboard with its chart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _answers(database: str, lesson_title: str) -> list[str]:
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        raw = conn.execute(
            sa.text('SELECT "check" FROM lessons WHERE title = :t'), {"t": lesson_title}
        ).scalar_one()
    engine.dispose()
    check = json.loads(raw) if isinstance(raw, str) else raw
    return [q["answer"] for q in check["questions"]]


def _percent(page: Any) -> int:
    match = re.search(r"(\d+)% of the track done", page.locator("main").inner_text())
    assert match, page.locator("main").inner_text()[:500]
    return int(match.group(1))


def test_a_learner_reads_a_lesson_passes_its_check_and_progress_moves(
    page: Any, e2e_database: str
) -> None:
    sign_in(page, "learner10@extender.test")
    page.get_by_role("link", name="Learn", exact=True).click()
    before = _percent(page)
    next_step = page.locator(".alert", has_text="next: lesson").inner_text()
    title = re.search(r"lesson “([^”]+)”", next_step).group(1)  # type: ignore[union-attr]
    page.get_by_role("link", name=title, exact=True).first.click()
    assert title in page.locator("h1").inner_text()
    if page.get_by_role("button", name="I have read this lesson").count():
        page.get_by_role("button", name="I have read this lesson").click()
    for i, answer in enumerate(_answers(e2e_database, title)):
        page.locator(f"input[name=q{i}][value={answer}]").check()
    page.get_by_role("button", name="Check my answers").click()
    assert "Passed" in page.locator("#check-outcome").inner_text()
    page.get_by_role("link", name="Back to your learning path").click()
    assert _percent(page) > before


def test_an_instructor_enrolls_from_csv_and_reads_the_dashboard(page: Any, tmp_path: Path) -> None:
    sign_in(page, "instructor@extender.test")
    page.goto("/programs/riverbend-academy/cohorts/cpehr-fall")
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,name\nnew.learner@example.org,New Learner\n"
        "learner09@extender.test,Isaac Davis\nbroken-row,\n"
    )
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_label("import the valid rows, and show me the problems").check()
    page.get_by_role("button", name="Upload and enroll").click()
    main = page.locator("main").inner_text()
    assert "1 enrolled" in main and "1 already enrolled" in main and "Rows with problems" in main
    page.goto("/programs/riverbend-academy/cohorts/cpehr-fall/dashboard")
    assert page.locator("main svg[role=img] title").count() == 1
    assert "Objective mastery" in page.locator("main").inner_text()
    assert page.locator("main table").first.locator("tbody tr").count() >= 8
