"""Placement in the browser: a recruiter posts a shadowing opportunity; a learner finds it
near their ZIP code, sees why it fits and applies; the recruiter reviews the verified
portfolio and makes an offer; the learner accepts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_a_learner_is_placed_from_a_posting_near_them(page: Any) -> None:
    title = f"Shadow our front desk {uuid.uuid4().hex[:6]}"
    sign_in(page, "recruiter@extender.test")
    page.goto("/placement/recruiting")
    page.get_by_role("link", name="Post an opportunity").click()
    page.get_by_label("Kind").select_option("shadowing")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("A morning with our registration team.")
    page.get_by_label("ZIP code").fill("45202")
    page.get_by_label("Address").fill("Cincinnati, OH")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Publish").click()
    assert "Published" in page.locator("main").inner_text()
    _sign_out(page)

    sign_in(page, "learner20@extender.test")
    page.goto("/placement/profile")
    page.get_by_label("ZIP code").fill("45206")
    page.get_by_label("Travel radius (miles)").fill("15")
    page.get_by_role("button", name="Save profile").click()
    assert "Profile saved" in page.locator("main").inner_text()
    page.goto("/placement/search")
    page.get_by_label("Near ZIP code").fill("45206")
    page.get_by_label("Within miles").fill("15")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=title).click()
    fit = page.get_by_label("Why it fits").inner_text()
    assert "miles away (travel radius 15)" in fit
    page.get_by_label("A note to the recruiter").fill("I would love to learn registration.")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#stage").inner_text() == "applied"
    _sign_out(page)

    sign_in(page, "recruiter@extender.test")
    page.goto("/placement/notifications")
    page.get_by_role("link", name=f"applied to {title}").first.click()
    main = page.locator("main").inner_text()
    assert "Verified portfolio" in main and "Practicum scenarios passed" in main
    assert "Exam results" in main
    page.get_by_role("button", name="Make an offer").click()
    assert page.locator("#stage").inner_text() == "offer"
    _sign_out(page)

    sign_in(page, "learner20@extender.test")
    page.goto("/placement/notifications")
    page.get_by_role("link", name=f"made you an offer for {title}").first.click()
    page.get_by_role("button", name="Accept offer").click()
    assert page.locator("#stage").inner_text() == "accepted"
