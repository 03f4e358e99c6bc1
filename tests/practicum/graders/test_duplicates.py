from __future__ import annotations

import copy

from extender.practicum.graders import GRADERS
from extender.practicum.graders.duplicates import grade_duplicates, observed_merges
from extender.practicum.graders.state import GradeResult, WorkspaceState

from .sandbox import find, merge, mrn_of, with_changes

PASS = 80


def _pairs(state: WorkspaceState) -> list[tuple[str, str]]:
    return [(d["original"], d["duplicate"]) for d in state.answer_key["duplicates"]]


def _merge_all(state: WorkspaceState, pairs: list[tuple[str, str]]) -> WorkspaceState:
    for survivor, merged in pairs:
        state = merge(state, survivor, merged)
    return state


def _strangers(state: WorkspaceState) -> list[str]:
    """Patients in no planted pair: merging any two of them joins different people."""
    planted = {ref for pair in _pairs(state) for ref in pair}
    for pair in state.answer_key["lookalikes"]:
        planted |= {pair["first"], pair["second"]}
    return sorted(
        f"Patient/{p['id']}"
        for p in state.of_type("Patient")
        if f"Patient/{p['id']}" not in planted
    )


def _line(result: GradeResult, starts: str) -> tuple[float, str]:
    found = next(r for r in result.rubric if r.item.startswith(starts))
    return found.points / found.max_points, found.feedback


def test_it_is_registered_under_the_duplicates_key() -> None:
    assert GRADERS["duplicates"] is grade_duplicates


def test_it_gives_full_marks_for_merging_every_duplicate_into_its_original(
    duplicates_state: WorkspaceState,
) -> None:
    result = grade_duplicates(_merge_all(duplicates_state, _pairs(duplicates_state)))

    assert result.score == 100
    assert len(result.rubric) == 4


def test_it_credits_a_merge_in_either_direction_and_notes_the_newer_survivor(
    duplicates_state: WorkspaceState,
) -> None:
    reversed_pairs = [(dup, original) for original, dup in _pairs(duplicates_state)]

    result = grade_duplicates(_merge_all(duplicates_state, reversed_pairs))

    assert result.score == 100
    assert "newer record survived" in _line(result, "Duplicate records merged")[1]


def test_it_gives_partial_marks_and_names_the_missed_duplicates_by_mrn(
    duplicates_state: WorkspaceState,
) -> None:
    pairs = _pairs(duplicates_state)
    result = grade_duplicates(_merge_all(duplicates_state, pairs[:2]))

    fraction, feedback = _line(result, "Duplicate records merged")
    assert fraction == 0.5
    assert 0 < result.score < PASS
    for original, duplicate in pairs[2:]:
        assert mrn_of(duplicates_state, duplicate) in feedback
        assert mrn_of(duplicates_state, original) in feedback
    for _, duplicate in pairs[:2]:
        assert mrn_of(duplicates_state, duplicate) not in feedback


def test_it_fails_a_cleanup_that_overlays_look_alike_patients(
    duplicates_state: WorkspaceState,
) -> None:
    twins = duplicates_state.answer_key["lookalikes"][0]
    state = _merge_all(duplicates_state, _pairs(duplicates_state))

    result = grade_duplicates(merge(state, twins["first"], twins["second"]))

    fraction, feedback = _line(result, "Look-alike patients kept apart")
    assert fraction == 0
    assert result.score < PASS
    assert mrn_of(duplicates_state, twins["first"]) in feedback
    assert mrn_of(duplicates_state, twins["second"]) in feedback
    assert "different people" in feedback


def test_it_scores_zero_when_nothing_was_merged(duplicates_state: WorkspaceState) -> None:
    result = grade_duplicates(duplicates_state)

    assert result.score == 0
    assert all(line.feedback for line in result.rubric)


def test_it_scores_low_for_merging_strangers(duplicates_state: WorkspaceState) -> None:
    strangers = _strangers(duplicates_state)
    wrong = [(strangers[i], strangers[i + 1]) for i in range(0, 8, 2)]

    result = grade_duplicates(_merge_all(duplicates_state, wrong))

    assert result.score == 0
    fraction, feedback = _line(result, "Every merge joined")
    assert fraction == 0
    assert mrn_of(duplicates_state, strangers[1]) in feedback


def test_it_lowers_precision_for_each_wrong_merge_among_right_ones(
    duplicates_state: WorkspaceState,
) -> None:
    strangers = _strangers(duplicates_state)
    state = _merge_all(duplicates_state, _pairs(duplicates_state))

    result = grade_duplicates(merge(state, strangers[0], strangers[1]))

    assert _line(result, "Every merge joined")[0] == 4 / 5
    assert PASS <= result.score < 100


def test_it_counts_a_merge_done_by_hand_through_the_fhir_api(
    duplicates_state: WorkspaceState,
) -> None:
    state = _merge_all(duplicates_state, _pairs(duplicates_state))
    by_hand = WorkspaceState(
        resources=state.resources,
        staff=state.staff,
        access_policy=state.access_policy,
        answer_key=state.answer_key,
        as_of=state.as_of,
    )

    assert len(observed_merges(by_hand)) == len(_pairs(state))
    assert grade_duplicates(by_hand).score == 100


def test_it_withholds_consolidation_credit_when_records_still_point_at_the_retired_chart(
    duplicates_state: WorkspaceState,
) -> None:
    original, duplicate = _pairs(duplicates_state)[0]
    retired = copy.deepcopy(find(duplicates_state, duplicate))
    retired["active"] = False
    retired["link"] = [{"other": {"reference": original}, "type": "replaced-by"}]
    state = with_changes(duplicates_state, {duplicate: retired})

    result = grade_duplicates(state)

    assert _line(result, "Duplicate records merged")[0] == 1 / 4
    fraction, feedback = _line(result, "Clinical records moved")
    assert fraction == 0
    assert f"still point at retired MRN {mrn_of(state, duplicate)}" in feedback


def test_it_notices_a_duplicates_records_deleted_instead_of_moved(
    duplicates_state: WorkspaceState,
) -> None:
    planted = duplicates_state.answer_key["duplicates"][0]
    state = merge(duplicates_state, planted["original"], planted["duplicate"])

    state = with_changes(state, {planted["duplicate_resources"][0]: None})

    fraction, feedback = _line(grade_duplicates(state), "Clinical records moved")
    assert fraction == 0
    assert "deleted" in feedback
