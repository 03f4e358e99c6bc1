"""Staff issue a certification to a demo learner who met its requirements, the learner shares
it from their wallet, and its public page shows it verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from extender.accounts import service as accounts
from extender.credentials.demo import record_attempt
from extender.db import make_engine, session_factory, unit_of_work
from tests.credentials.factories import record_passed_exam
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
LEARNER = "learner05@extender.test"


def _evidence(database: str) -> None:
    """The learner's exam sitting and practicum attempts (the work itself is covered by the
    exam and practicum flows)."""
    engine = make_engine(database)
    now = datetime.now(UTC)
    with unit_of_work(session_factory(engine)) as s:
        user = accounts.find_user_by_email(s, LEARNER)
        assert user is not None
        assert record_passed_exam(s, user, "CPEHR", now - timedelta(days=2), 361) is not None
        record_attempt(s, user, "duplicate-patient-cleanup", now - timedelta(days=20), 95.0)
        record_attempt(s, user, "quality-measure-report", now - timedelta(days=10), 88.0)
    engine.dispose()


def test_staff_issue_the_learner_shares_and_anyone_sees_it_verified(
    page: Any, browser: Any, live_server: str, e2e_database: str
) -> None:
    _evidence(e2e_database)
    sign_in(page, "program@extender.test")
    page.goto("/staff/credentials")
    page.get_by_label("Learner email").first.fill(LEARNER)
    page.get_by_role("button", name="Check").click()
    assert (
        "Certified Professional in Electronic Health Records" in page.locator("main").inner_text()
    )
    page.get_by_role("button", name="Issue what is due").click()
    assert "1 waiting for approval" in page.locator("main").inner_text()
    page.goto("/staff/credentials")
    page.get_by_role("button", name="Approve and issue").first.click()
    assert "Approved: the credential is issued." in page.locator("main").inner_text()
    page.context.clear_cookies()

    sign_in(page, LEARNER)
    page.goto("/credentials")
    card = page.locator("section.credential", has_text="Electronic Health Records")
    card.get_by_role("button", name="Share").click()
    link = page.locator("section.credential", has_text="Electronic Health Records").locator(
        "a.share-link"
    )
    public_url = link.get_attribute("href")
    assert public_url and public_url.startswith(f"{live_server}/c/")

    anonymous = browser.new_context()
    visitor = anonymous.new_page()
    visitor.goto(public_url)
    assert visitor.locator("#verified-badge").inner_text() == "Verified"
    assert "Practicum: Duplicate patient clean-up" in visitor.locator("main").inner_text()
    og = visitor.locator('meta[property="og:title"]').get_attribute("content")
    assert og and "Electronic Health Records" in og
    anonymous.close()
