"""A learner works the inbound lab interface scenario in the browser: start it, open the
interface inbox from the sandbox menu, identify a message's patient, paste an Observation into
the Create-a-resource box, see the result marked filed, submit, and see the rubric."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import sign_in
from tests.practicum.test_lab_inbox_ui import observation_json

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
TITLE = "Inbound lab interface: file HL7 v2 results as FHIR Observations"
RUBRIC = (
    "Results filed on the right chart",
    "OBX mapped to Observation",
    "Unidentifiable patients not filed",
    "Resent orders filed once",
    "Corrections applied in place",
    "Messages not filed, listed for the lab",
)


def _lab_messages(database: str, workspace: str) -> list[dict[str, Any]]:
    """The answer key's entry for each inbox message, in arrival order."""
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT answer_key FROM workspaces WHERE id = :id"), {"id": workspace}
        ).scalar_one()
    engine.dispose()
    key = json.loads(raw) if isinstance(raw, str) else raw
    messages: list[dict[str, Any]] = key["key"]["lab_messages"]
    return messages


def test_a_learner_files_a_lab_result_from_the_inbox(page: Any, e2e_database: str) -> None:
    from playwright.sync_api import expect

    sign_in(page, "learner14@extender.test")
    page.get_by_role("link", name="Practicum").first.click()
    page.get_by_role("button", name=f"Start {TITLE}").click(timeout=90_000)
    page.wait_for_url("**/practicum/ws/*", timeout=60_000)
    workspace = page.url.rstrip("/").split("/")[-1]
    key = _lab_messages(e2e_database, workspace)

    menu = page.get_by_role("navigation", name="Sandbox EHR")
    menu.get_by_role("link", name="Interface inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interface inbox")
    for n, message in enumerate(key, start=1):
        expect(page.locator(f"#msg-{n}-h")).to_contain_text(message["control_id"])

    position = next(n for n, m in enumerate(key, start=1) if m["kind"] == "clean")
    section = page.locator(f"#msg-{position}")
    section.get_by_text("Raw message").click()
    raw = section.locator("pre").inner_text()
    section.get_by_role("link", name="look up this MRN").click()
    page.locator("main table tbody a").first.click()
    page.wait_for_url("**/patients/*")
    patient = page.url.split("#")[0].rstrip("/").split("/")[-1]
    assert f"Patient/{patient}" == key[position - 1]["patient"]

    menu.get_by_role("link", name="Interface inbox").click()
    observation = observation_json(raw, "1", patient)
    page.get_by_label("Observation, or transaction Bundle").fill(json.dumps(observation, indent=2))
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Created Observation/")
    filed = page.locator(f"#obx-{position}-1 td.filed")
    expect(filed).to_contain_text("filed")
    expect(filed).not_to_contain_text("not filed")
    expect(filed.get_by_role("link")).to_have_attribute(
        "href", f"/practicum/ws/{workspace}/patients/{patient}#results"
    )

    menu.get_by_role("link", name="Overview").click()
    not_filed = [m["control_id"] for m in key if m["action"] in ("return", "ignore")]
    page.get_by_label("Control IDs (MSH-10)").fill("\n".join(not_filed))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url("**/practicum/attempts/*")
    expect(page.locator("h1")).to_contain_text("%")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(len(RUBRIC))
    for n, item in enumerate(RUBRIC):
        expect(rows.nth(n).locator("td").first).to_have_text(item)
    expect(rows.nth(5)).to_contain_text(f"{len(not_filed)} of {len(not_filed)} messages")
