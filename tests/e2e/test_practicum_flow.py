"""A learner works the duplicate-patient scenario end to end in the browser: start it, find
the duplicates, merge them in the sandbox screens, submit, and see the grade."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _answer_key(database: str, workspace: str) -> dict[str, Any]:
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT answer_key FROM workspaces WHERE id = :id"), {"id": workspace}
        ).scalar_one()
    engine.dispose()
    import json

    key: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw)["key"]
    return key


def test_a_learner_cleans_up_duplicates_and_is_graded(page: Any, e2e_database: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("learner12@extender.test")
    page.get_by_label("Password").fill("extender-demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Practicum").first.click()
    page.get_by_role("button", name="Start Duplicate patient clean-up").click(timeout=90_000)
    page.wait_for_url("**/practicum/ws/*", timeout=60_000)
    assert "Brief" in page.locator("main").inner_text()
    workspace = page.url.rstrip("/").split("/")[-1]
    key = _answer_key(e2e_database, workspace)

    for dup in key["duplicates"]:
        page.get_by_role("link", name="Patients").click()
        page.get_by_label("MRN").fill(dup["duplicate_mrn"])
        page.get_by_role("button", name="Search").click()
        page.locator("main table tbody a").first.click()
        assert dup["duplicate_mrn"] in page.locator("main").inner_text()
        page.get_by_role("link", name="Merges").click()
        page.get_by_label("Survivor patient id").fill(dup["original"].split("/")[1])
        page.get_by_label("Record to merge into it (id)").fill(dup["duplicate"].split("/")[1])
        page.get_by_role("button", name="Merge", exact=True).click()
        assert "Merged" in page.locator("main").inner_text()

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url("**/practicum/attempts/*")
    assert page.locator("#result-badge").inner_text() == "Passed"
    assert "100.0%" in page.locator("h1").inner_text()
