"""Sign in as each role in a real browser, move around, sign out; CSRF and throttling as a
person meets them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
PASSWORD = "extender-demo"

ROLES = [
    ("learner09@extender.test", "/dashboard/learner", "Welcome, Isaac Davis"),
    ("instructor@extender.test", "/dashboard/program", "CPEHR Fall cohort"),
    ("program@extender.test", "/dashboard/program", "Instructors"),
    ("psychometrics@extender.test", "/dashboard/psychometrics", "Exam committee"),
    ("proctor@extender.test", "/dashboard/proctor", "Proctoring"),
    ("recruiter@extender.test", "/dashboard/recruiter", "Talent pool"),
    ("admin@extender.test", "/dashboard/admin", "Platform administration"),
]


@pytest.mark.parametrize(("email", "path", "text"), ROLES)
def test_each_role_signs_in_navigates_and_signs_out(
    page: Any, email: str, path: str, text: str
) -> None:
    sign_in(page, email)
    page.wait_for_url(f"**{path}")
    assert text in page.locator("main").inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certifications").click()
    page.wait_for_url("**/tracks")
    page.get_by_role("link", name="CPHIE").click()
    assert "Standards and content" in page.locator("main").inner_text()
    page.get_by_role("link", name="Account").click()
    assert email in page.locator("main").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert "You are signed out." in page.locator("main").inner_text()
    page.goto(path)
    assert "/login?next=" in page.url


def test_the_admin_filters_the_audit_log(page: Any) -> None:
    sign_in(page, "admin@extender.test")
    page.wait_for_url("**/dashboard/admin")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("cohort.create")
    page.get_by_role("button", name="Filter").click()
    table = page.locator("main table").inner_text()
    assert "4 events" in table and "membership.grant" not in table


def test_a_form_posted_without_its_csrf_token_is_refused(page: Any) -> None:
    page.goto("/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Email").fill("learner01@extender.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response("**/login") as info:
        page.get_by_role("button", name="Sign in").click()
    assert info.value.status == 403
    assert "security token is missing" in page.locator("main").inner_text()


def test_throttling_tells_the_person_when_to_retry(page: Any) -> None:
    for _ in range(3):
        sign_in(page, "learner05@extender.test", "wrong-password")
        assert "do not match an account" in page.locator("#login-error").inner_text()
    sign_in(page, "learner05@extender.test")
    message = page.locator("#login-error").inner_text()
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in message
