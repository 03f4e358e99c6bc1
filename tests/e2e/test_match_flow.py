"""A staff user runs the demo program's cohort match in the browser, reviews the verified result
and publishes it; a learner of the round then sees their result."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from extender.db import make_engine, session_factory, unit_of_work
from extender.placement import match_demo
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
def demo_round(seeded: None, e2e_database: str) -> str:
    """The demo round (seeded here too, so this test does not depend on demo.py calling it)."""
    engine = make_engine(e2e_database)
    with unit_of_work(session_factory(engine)) as session:
        rnd = match_demo.seed(session)
        assert rnd is not None, "the demo world has no riverbend-academy program"
        round_id = rnd.id
    engine.dispose()
    return round_id


def _a_learner_of(e2e_database: str, round_id: str) -> str:
    engine = sa.create_engine(e2e_database)
    with engine.connect() as conn:
        email: str = conn.execute(
            sa.text(
                "SELECT u.email FROM users u JOIN match_learners m ON m.user_id = u.id "
                "WHERE m.round_id = :r ORDER BY u.email LIMIT 1"
            ),
            {"r": round_id},
        ).scalar_one()
    engine.dispose()
    return email


def test_a_staff_user_runs_and_publishes_the_demo_cohort_match(
    page: Any, demo_round: str, e2e_database: str
) -> None:
    sign_in(page, "program@extender.test")
    page.goto("/programs/riverbend-academy/match")
    page.get_by_role("link", name=match_demo.ROUND_TITLE).click()
    assert "have submitted a rank list" in page.locator("main").inner_text()

    page.get_by_role("button", name="Run the match").click()
    assert "Verified: no blocking pair" in page.locator("#result-verified").inner_text()
    assert page.locator("#result-table tbody tr").count() >= 1

    page.get_by_role("button", name="Publish the result").click()
    assert page.locator("#round-status").inner_text() == "published"
    assert "notifications queued" in page.locator("main").inner_text()

    page.context.clear_cookies()
    sign_in(page, _a_learner_of(e2e_database, demo_round))
    page.goto(f"/match/{demo_round}")
    assert "matched" in page.locator("#my-result").inner_text()
