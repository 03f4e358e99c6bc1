"""A demo learner takes an exam in the browser, reloads mid-exam and lives through a server
restart without losing an answer, then submits; the psychometrician reads the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import free_port, sign_in, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _choose_first(page: Any) -> str:
    first = page.locator("input[name=answer]").first
    if first.count() == 0:  # an ordering item: number the steps as shown
        for n, box in enumerate(page.locator("input[name^=rank-]").all(), start=1):
            box.fill(str(n))
            box.dispatch_event("change")
        return "ordering"
    first.check()
    value: str = first.get_attribute("value")
    return value


def test_a_learner_survives_a_reload_and_a_restart_and_submits(
    browser: Any, e2e_home: Path, e2e_database: str, seeded: None
) -> None:
    port = free_port()
    server = start_server(e2e_home, e2e_database, port)
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "learner04@extender.test")
        page.get_by_role("link", name="Exams", exact=True).click()
        page.get_by_role("button", name="Start the CPEHR exam").click()
        page.wait_for_url("**/items/1")
        chosen = _choose_first(page)
        page.wait_for_function("document.getElementById('save-status').textContent === 'Saved'")
        page.reload()
        if chosen != "ordering":
            assert page.locator(f"input[name=answer][value={chosen}]").is_checked()
        page.get_by_role("button", name="Save and next").click()
        page.wait_for_url("**/items/2")
        second = _choose_first(page)
        page.wait_for_function("document.getElementById('save-status').textContent === 'Saved'")
        item_url = page.url

        server.terminate()
        server.wait(timeout=10)
        server = start_server(e2e_home, e2e_database, port)

        page.goto(item_url)
        assert "Question 2 of" in page.locator("h1").inner_text()
        if second != "ordering":
            assert page.locator(f"input[name=answer][value={second}]").is_checked()
        page.get_by_role("button", name="Review all answers").click()
        assert "2 of" in page.locator("main").inner_text()
        page.get_by_role("button", name="Submit the exam").click()
        page.wait_for_url("**/result")
        assert page.locator("#scaled-score").inner_text().isdigit()
        assert page.locator("#pass-badge").inner_text() in ("Passed", "Not passed")
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=10)


def test_the_psychometrician_reads_the_exam_report(page: Any) -> None:
    sign_in(page, "psychometrics@extender.test")
    page.goto("/exams/admin/CPEHR")
    page.get_by_role("link", name="Exam report for CPEHR 2026 A").click()
    main = page.locator("main").inner_text()
    assert "Exam report: CPEHR 2026 A" in main and "KR-20" in main
    # the score distribution, and, from the demo's approved calibration, the test information
    # function and item characteristic curves
    assert page.locator("main figure svg[role=img]").count() == 3
    assert "Item response theory" in main and "IRT parameters" in main
    assert page.locator("main table tbody tr").count() >= 20


def test_the_committee_switches_cpehr_to_adaptive_and_a_learner_takes_it(
    browser: Any, live_server: str
) -> None:
    """Publishing the demo's draft adaptive form makes the next CPEHR sitting adaptive: one
    question at a time, the answer kept across a reload, no going back, and an IRT-scored
    result; retiring the form switches the track back to fixed forms."""
    staff = browser.new_context(base_url=live_server).new_page()
    learner = browser.new_context(base_url=live_server).new_page()
    try:
        sign_in(staff, "psychometrics@extender.test")
        staff.goto("/exams/admin/CPEHR")
        staff.get_by_role("button", name="Publish CPEHR adaptive").click()
        assert "Delivery: adaptive" in staff.locator("#delivery-mode").inner_text()

        sign_in(learner, "learner06@extender.test")
        learner.goto("/exams")
        learner.get_by_role("button", name="Start the CPEHR exam").click()
        learner.wait_for_url("**/items/1")
        assert "This exam is adaptive" in learner.locator("#adaptive-note").inner_text()
        chosen = _choose_first(learner)
        learner.wait_for_function("document.getElementById('save-status').textContent === 'Saved'")
        learner.reload()
        if chosen != "ordering":
            assert learner.locator(f"input[name=answer][value={chosen}]").is_checked()
        first_url = learner.url
        for _ in range(30):
            learner.get_by_role("button", name="Confirm answer and continue").click()
            learner.wait_for_load_state()
            if learner.url.endswith("/result"):
                break
            learner.goto(first_url)  # an earlier question is final: this lands on the current one
            assert learner.url != first_url
            _choose_first(learner)
            learner.wait_for_function(
                "document.getElementById('save-status').textContent === 'Saved'"
            )
        assert learner.url.endswith("/result")
        assert "Scored by item response theory" in learner.locator("main").inner_text()

        staff.goto("/exams/admin/CPEHR")
        staff.get_by_role("link", name="Adaptive summary for CPEHR adaptive").click()
        assert staff.locator(".grid .stat").first.inner_text() == "1"
        staff.goto("/exams/admin/CPEHR")
        staff.get_by_role("button", name="Retire CPEHR adaptive").click()
        assert "Delivery: fixed forms" in staff.locator("#delivery-mode").inner_text()
    finally:
        staff.context.close()
        learner.context.close()
