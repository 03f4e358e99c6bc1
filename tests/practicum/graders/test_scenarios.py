"""The shipped scenarios and their graders agree: every file names a real grader and real
objectives, every brief stays readable, and what a brief promises (a person's name, a period, a
policy) is what the grader will check on the practice the scenario's seed generates."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from extender.practicum.generator import DefectParams, PracticeParams, generate_practice
from extender.practicum.generator.accounts import ACCESS_POLICY
from extender.practicum.graders import GRADERS
from extender.practicum.graders.common import Patients
from extender.practicum.graders.measure import measurement_period, run_measure
from extender.practicum.graders.privacy import Finding, _Context
from extender.practicum.graders.provisioning import HIRES, departing_username
from extender.practicum.graders.state import WorkspaceState
from extender.practicum.scenarios import load_scenarios

from .sandbox import repair_all, to_state
from .test_lab_interface import analyst
from .test_privacy import planted_findings

CONTENT = Path(__file__).resolve().parents[3] / "content"
SCENARIO_FILES = sorted((CONTENT / "scenarios").glob("*/scenario.yaml"))
OURS = (
    "duplicate-patient-cleanup",
    "least-privilege-provisioning",
    "quality-measure-report",
    "privacy-audit",
    "inbound-lab-interface",
)


def _spec(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _objectives_by_track() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((CONTENT / "tracks").glob("*.yaml")):
        track = yaml.safe_load(path.read_text(encoding="utf-8"))
        codes = {o["code"] for d in track["domains"] for o in d["objectives"]}
        found[track["code"]] = codes
    return found


def _brief(slug: str) -> str:
    return (CONTENT / "scenarios" / slug / "brief.md").read_text(encoding="utf-8")


@cache
def _state(slug: str) -> WorkspaceState:
    practice = _spec(CONTENT / "scenarios" / slug / "scenario.yaml")["practice"]
    params = PracticeParams(
        **{k: v for k, v in practice.items() if k != "defects"},
        defects=DefectParams(**practice["defects"]),
    )
    return to_state(generate_practice(params))


def test_it_ships_the_graded_scenarios() -> None:
    slugs = {path.parent.name for path in SCENARIO_FILES}

    assert set(OURS) <= slugs
    assert set(OURS) <= set(load_scenarios(CONTENT))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.parent.name)
def test_it_names_a_registered_grader_and_objectives_the_frameworks_define(path: Path) -> None:
    spec = _spec(path)
    objectives = _objectives_by_track()

    assert spec["grader"] in GRADERS
    assert spec["objectives"]
    for code in spec["objectives"]:
        assert code in set().union(*objectives.values()), code
        assert code in objectives[spec["track"]], f"{code} is not in track {spec['track']}"


@pytest.mark.parametrize("slug", OURS)
def test_it_keeps_each_brief_between_250_and_600_words(slug: str) -> None:
    words = len(re.findall(r"[A-Za-z0-9][\w'./-]*", _brief(slug)))

    assert 250 <= words <= 600, words


def test_it_names_the_departing_employee_the_grader_will_check() -> None:
    state = _state("least-privilege-provisioning")
    leaving = departing_username(state)
    account = next(a for a in state.staff if a["username"] == leaving)
    brief = _brief("least-privilege-provisioning")
    planted = {o["username"] for o in state.answer_key["overprivileged_accounts"]}

    assert f"{account['name']} (`{leaving}`)" in brief
    assert leaving not in planted, "the departure must not double as an over-privilege defect"
    for hire in HIRES:
        assert f"{hire.name}, {hire.job_title}. Username `{hire.username}`" in brief
        assert hire.username not in {a["username"] for a in state.staff}


def test_it_prints_the_access_policy_the_grader_applies() -> None:
    rows = re.findall(
        r"^\| ([A-Z][\w ]+?) \| ([a-z_, ]+) \|$", _brief("least-privilege-provisioning"), re.M
    )

    assert {title: tuple(roles.split(", ")) for title, roles in rows} == ACCESS_POLICY


def test_it_sets_the_measure_brief_in_the_period_the_grader_measures() -> None:
    state = _state("quality-measure-report")
    period = measurement_period(state.as_of)
    run, repaired = run_measure(state), run_measure(repair_all(state))

    assert f"{period.start.year} performance period" in _brief("quality-measure-report")
    assert len(run.denominator) >= 12
    assert repaired.numerator, "the practice must have patients in poor control"
    assert repaired.numerator != run.numerator, (
        "repairing the planted results must change the answer, or the scenario loses its point:"
        " choose another seed if the generator changed"
    )


def test_it_plants_only_violations_the_briefs_policy_forbids() -> None:
    state = _state("privacy-audit")
    context, patients = _Context(state), Patients(state)

    for rows in planted_findings(state):
        for row in rows:
            patient = patients.resolve(row["patient"])
            finding = Finding(row["username"], patient, date.fromisoformat(row["date"]), "")
            assert context.why_not(finding, patients) == "not one of the violations found on review"


def test_it_states_the_audit_window_the_practice_was_generated_with() -> None:
    practice = _spec(CONTENT / "scenarios" / "privacy-audit" / "scenario.yaml")["practice"]
    end = date.fromisoformat(_state("privacy-audit").as_of)
    first, last = end - timedelta(days=practice["audit_days"]), end - timedelta(days=1)

    assert f"{first:%B} {first.day} to {last.day}, {last.year}" in _brief("privacy-audit")


def test_the_lab_brief_names_identifiers_the_inbox_really_uses() -> None:
    path = CONTENT / "scenarios" / "inbound-lab-interface" / "scenario.yaml"
    practice = _spec(path)["practice"]
    params = PracticeParams(
        **{k: v for k, v in practice.items() if k != "defects"},
        defects=DefectParams(**practice["defects"]),
    )
    generated = generate_practice(params)
    fillers = {m.filler_order for m in generated.answer_key.lab_messages}
    example = re.search(r"`(VRL\d+)-(\d+)`", _brief("inbound-lab-interface"))
    assert example is not None and example.group(1) in fillers
    # The shipped practice can be worked to full marks from the messages alone.
    worked, held_back = analyst(generated, to_state(generated))
    result = GRADERS["lab_interface"](
        replace(worked, submission={"not_filed": " ".join(held_back)})
    )
    assert result.score == 100.0
