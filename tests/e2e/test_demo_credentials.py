"""A newcomer sees every credential state in the demo: learner01's shared CPEHR credential
verifies on its public page, and staff see the expired and the revoked ones with reasons."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_demo_shows_valid_expired_and_revoked_credentials(
    browser: Any, live_server: str
) -> None:
    holder = browser.new_context(base_url=live_server).new_page()
    staff = browser.new_context(base_url=live_server).new_page()
    visitor = browser.new_context(base_url=live_server).new_page()
    try:
        sign_in(holder, "learner01@extender.test")
        holder.goto("/credentials")
        public = holder.locator("a[href*='/c/']").first.get_attribute("href")
        assert public
        visitor.goto(public)
        main = visitor.locator("main").inner_text()
        assert "Verified" in main and "Certified Professional in Electronic Health Records" in main
        assert visitor.locator("meta[property='og:title']").count() == 1

        sign_in(staff, "program@extender.test")
        staff.goto("/staff/credentials")
        rows = staff.locator("main table tbody tr")
        text = " ".join(rows.all_inner_texts())
        assert "expired" in text and "revoked" in text and "active" in text
    finally:
        for page in (holder, staff, visitor):
            page.context.close()
