"""Properties every grader keeps whatever the learner does: the score is a percentage, and doing
one more correct thing never costs points (a learner must never be better off stopping)."""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extender.practicum.graders import GRADERS
from extender.practicum.graders.measure import run_measure
from extender.practicum.graders.provisioning import HIRES, departing_username
from extender.practicum.graders.state import WorkspaceState

from .sandbox import merge, mrn_of
from .test_privacy import legitimate_findings, planted_findings

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _in_range(score: float) -> bool:
    return 0 <= score <= 100


@SETTINGS
@given(data=st.data())
def test_it_never_lowers_a_duplicates_score_for_a_correct_merge(
    duplicates_state: WorkspaceState, data: st.DataObject
) -> None:
    key = duplicates_state.answer_key
    pairs = [(d["original"], d["duplicate"]) for d in key["duplicates"]]
    twins = [(p["first"], p["second"]) for p in key["lookalikes"]]
    busy = {ref for pair in pairs + twins for ref in pair}
    strangers = sorted(f"Patient/{p['id']}" for p in duplicates_state.of_type("Patient"))
    strangers = [s for s in strangers if s not in busy]

    held_out = data.draw(st.sampled_from(pairs))
    done = data.draw(st.lists(st.sampled_from([p for p in pairs if p != held_out]), unique=True))
    overlays = data.draw(st.lists(st.sampled_from(twins), unique=True, max_size=1))
    wrong_at = data.draw(st.lists(st.integers(0, len(strangers) // 2 - 1), unique=True, max_size=2))
    state = duplicates_state
    for survivor, merged in done + overlays:
        state = merge(
            state, *((merged, survivor) if data.draw(st.booleans()) else (survivor, merged))
        )
    for i in wrong_at:
        state = merge(state, strangers[2 * i], strangers[2 * i + 1])

    before = GRADERS["duplicates"](state).score
    after = GRADERS["duplicates"](merge(state, *held_out)).score

    assert _in_range(before) and _in_range(after)
    assert after >= before


@SETTINGS
@given(data=st.data())
def test_it_never_lowers_a_measure_score_for_a_correct_mrn(
    measure_state: WorkspaceState, data: st.DataObject
) -> None:
    run = run_measure(measure_state)
    right = sorted(mrn_of(measure_state, r) for r in run.numerator)
    others = sorted(mrn_of(measure_state, r) for r in run.denominator - run.numerator)
    listed = data.draw(st.lists(st.sampled_from(right + others + ["X1"]), unique=True))
    missing = [m for m in right if m not in listed]
    counts = {k: data.draw(st.integers(-2, 40)) for k in ("denominator", "exclusions", "numerator")}

    def score(mrns: list[str]) -> float:
        submission = {**counts, "numerator_mrns": ", ".join(mrns)}
        return GRADERS["measure"](replace(measure_state, submission=submission)).score

    before = score(listed)
    assert _in_range(before)
    if missing:
        assert score([*listed, data.draw(st.sampled_from(missing))]) >= before


@SETTINGS
@given(data=st.data())
def test_it_never_lowers_a_privacy_score_for_a_correct_finding(
    privacy_state: WorkspaceState, data: st.DataObject
) -> None:
    right = [row for rows in planted_findings(privacy_state) for row in rows]
    stranger = {"username": "nobody", "patient": "1", "date": "2026-10-20"}
    wrong = [*legitimate_findings(privacy_state, 10), stranger]
    chosen = data.draw(st.lists(st.sampled_from(range(len(right) + len(wrong))), unique=True))
    findings = [(right + wrong)[i] for i in chosen]
    extra = data.draw(st.sampled_from(right))

    def score(rows: list[dict[str, str]]) -> float:
        return GRADERS["privacy"](replace(privacy_state, submission={"findings": rows})).score

    before, after = score(findings), score([*findings, extra])

    assert _in_range(before) and _in_range(after)
    assert after >= before


ROLE_SETS = st.sets(
    st.sampled_from(
        ["schedule", "register_patient", "chart_read", "chart_write", "e_prescribe", "user_admin"]
    )
)


@SETTINGS
@given(data=st.data())
def test_it_never_lowers_a_provisioning_score_for_fixing_an_account(
    provisioning_state: WorkspaceState, data: st.DataObject
) -> None:
    policy = provisioning_state.access_policy
    staff = copy.deepcopy(provisioning_state.staff)
    for account in staff:
        account["roles"] = sorted(data.draw(ROLE_SETS))
        account["active"] = data.draw(st.booleans())
    for hire in data.draw(st.lists(st.sampled_from(HIRES), unique=True)):
        staff.append({"username": hire.username, "job_title": hire.job_title, "roles": []})
    state = replace(provisioning_state, staff=staff)

    fixed = copy.deepcopy(staff)
    target = data.draw(st.sampled_from(fixed))
    target["roles"] = list(policy[target["job_title"]])
    target["active"] = target["username"] != departing_username(provisioning_state)

    before = GRADERS["provisioning"](state).score
    after = GRADERS["provisioning"](replace(state, staff=fixed)).score

    assert _in_range(before) and _in_range(after)
    assert after >= before
