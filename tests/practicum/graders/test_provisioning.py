from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from extender.practicum.generator.accounts import ROLES
from extender.practicum.graders import GRADERS
from extender.practicum.graders.provisioning import (
    HIRES,
    departing_username,
    grade_provisioning,
    role_fraction,
)
from extender.practicum.graders.state import GradeResult, WorkspaceState

PASS = 80


def solve(
    state: WorkspaceState, *, hires: bool = True, departure: bool = True, trim: bool = True
) -> WorkspaceState:
    """Carry out the memo exactly as the brief asks (each part can be left undone)."""
    policy = state.access_policy
    staff = copy.deepcopy(state.staff)
    leaving = departing_username(state)
    excess = {o["username"] for o in state.answer_key["overprivileged_accounts"]}
    for account in staff:
        if trim and account["username"] in excess:
            account["roles"] = list(policy[account["job_title"]])
        if departure and account["username"] == leaving:
            account["active"] = False
    if hires:
        staff += [
            {
                "username": h.username,
                "name": h.name,
                "job_title": h.job_title,
                "roles": list(policy[h.job_title]),
                "active": True,
            }
            for h in HIRES
        ]
    return replace(state, staff=staff)


def _line(result: GradeResult, contains: str) -> tuple[float, str]:
    found = next(r for r in result.rubric if contains in r.item)
    return found.points / found.max_points, found.feedback


def _account(state: WorkspaceState, username: str) -> dict[str, object]:
    return next(a for a in state.staff if a["username"] == username)


def test_it_is_registered_under_the_provisioning_key() -> None:
    assert GRADERS["provisioning"] is grade_provisioning


def test_it_gives_full_marks_for_carrying_out_the_memo_under_least_privilege(
    provisioning_state: WorkspaceState,
) -> None:
    result = grade_provisioning(solve(provisioning_state))

    assert result.score == 100
    assert all(line.feedback.endswith(".") for line in result.rubric)


def test_it_gives_partial_marks_when_only_the_new_hires_were_set_up(
    provisioning_state: WorkspaceState,
) -> None:
    result = grade_provisioning(solve(provisioning_state, departure=False, trim=False))

    assert 30 < result.score < PASS
    fraction, feedback = _line(result, "Departed employee")
    assert fraction == 0
    assert "still active" in feedback


def test_it_scores_low_when_everyone_is_made_an_administrator(
    provisioning_state: WorkspaceState,
) -> None:
    staff = copy.deepcopy(provisioning_state.staff)
    for account in staff:
        account["roles"] = [*account["roles"], "user_admin", "security_admin"]
    staff += [
        {"username": h.username, "name": h.name, "job_title": h.job_title, "roles": list(ROLES)}
        for h in HIRES
    ]

    result = grade_provisioning(replace(provisioning_state, staff=staff))

    assert result.score < 20
    assert "security_admin" in _line(result, "Other accounts")[1]


def test_it_gives_half_credit_for_deleting_a_departed_user_instead_of_deactivating(
    provisioning_state: WorkspaceState,
) -> None:
    leaving = departing_username(provisioning_state)
    solved = solve(provisioning_state)
    state = replace(solved, staff=[a for a in solved.staff if a["username"] != leaving])

    fraction, feedback = _line(grade_provisioning(state), "Departed employee")

    assert fraction == 0.5
    assert "audit trail" in feedback
    assert departing_username(state) == leaving


def test_it_gives_no_credit_for_deactivating_an_employee_who_only_needed_roles_trimmed(
    provisioning_state: WorkspaceState,
) -> None:
    solved = solve(provisioning_state)
    leaving = departing_username(provisioning_state)
    target = next(
        o["username"]
        for o in provisioning_state.answer_key["overprivileged_accounts"]
        if o["username"] != leaving
    )
    staff = copy.deepcopy(solved.staff)
    next(a for a in staff if a["username"] == target)["active"] = False

    fraction, feedback = _line(grade_provisioning(replace(solved, staff=staff)), target)

    assert fraction == 0
    assert "still works here" in feedback


def test_it_names_the_excess_roles_still_held(provisioning_state: WorkspaceState) -> None:
    planted = provisioning_state.answer_key["overprivileged_accounts"]
    leaving = departing_username(provisioning_state)
    target = next(o for o in planted if o["username"] != leaving)

    _, feedback = _line(grade_provisioning(provisioning_state), target["username"])

    for role in target["excess_roles"]:
        assert role in feedback


def test_it_flags_an_account_the_memo_did_not_ask_for(provisioning_state: WorkspaceState) -> None:
    solved = solve(provisioning_state)
    extra = {"username": "temp", "name": "Temp", "job_title": "Front Desk Receptionist"}
    state = replace(solved, staff=[*solved.staff, {**extra, "roles": ["schedule"], "active": True}])

    result = grade_provisioning(state)

    fraction, feedback = _line(result, "Other accounts")
    assert fraction < 1
    assert "temp (not requested by the memo)" in feedback


def test_it_takes_a_quarter_off_a_hire_created_under_the_wrong_title(
    provisioning_state: WorkspaceState,
) -> None:
    solved = solve(provisioning_state)
    staff = copy.deepcopy(solved.staff)
    hire = HIRES[1]
    account = next(a for a in staff if a["username"] == hire.username)
    account["job_title"] = "Medical Assistant"

    fraction, feedback = _line(grade_provisioning(replace(solved, staff=staff)), hire.username)

    assert fraction == 0.75
    assert "Medical Assistant" in feedback


def test_it_picks_the_departing_receptionist_from_the_directory_not_the_user_list(
    provisioning_state: WorkspaceState,
) -> None:
    leaving = departing_username(provisioning_state)
    assert leaving is not None
    account = _account(provisioning_state, leaving)
    receptionists = sorted(
        a["username"]
        for a in provisioning_state.staff
        if a["job_title"] == "Front Desk Receptionist"
    )

    assert account["job_title"] == "Front Desk Receptionist"
    assert leaving == receptionists[0]
    assert departing_username(solve(provisioning_state)) == leaving


@pytest.mark.parametrize(
    ("granted", "needed", "expected"),
    [
        ({"a", "b"}, {"a", "b"}, 1.0),
        ({"a"}, {"a", "b"}, 0.5),
        ({"a", "b", "x"}, {"a", "b"}, 0.5),
        ({"a", "b", "x", "y"}, {"a", "b"}, 0.0),
        (set(), {"a", "b"}, 0.0),
    ],
)
def test_it_halves_role_credit_for_each_role_beyond_policy(
    granted: set[str], needed: set[str], expected: float
) -> None:
    assert role_fraction(granted, needed) == expected
