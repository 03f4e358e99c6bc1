"""Classical test theory statistics against values worked out by hand, against scipy, and
against the same quantity computed another way; properties checked with hypothesis."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats
from scipy.stats.contingency import chi2_contingency, crosstab, odds_ratio

from extender.assessment import psychometrics as pm
from extender.assessment.psychometrics_decision import beta_binomial_parameters
from extender.errors import InvalidInput

FAST = settings(max_examples=25, deadline=None)

# The worked example used throughout: 6 examinees x 4 items.
#
#            i0 i1 i2 i3 | total
#   row 0:    1  1  1  1 |  4
#   row 1:    1  1  1  0 |  3
#   row 2:    1  1  0  0 |  2
#   row 3:    1  0  1  0 |  2
#   row 4:    0  1  0  0 |  1
#   row 5:    0  0  0  0 |  0
#
# p-values: i0 = 4/6, i1 = 4/6, i2 = 3/6, i3 = 1/6.
# Totals 4, 3, 2, 2, 1, 0: mean 2, population variance (4+1+0+0+1+4)/6 = 10/6.
X = np.array(
    [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
        [1, 1, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
    ]
)

# Choices behind X. i2 is keyed B; row 2 chose A (its rest score, 2, is above average),
# rows 4 and 5 chose C and nobody chose D.
CHOICES: list[list[str | None]] = [
    ["A", "A", "B", "C"],
    ["A", "A", "B", "D"],
    ["A", "A", "A", "D"],
    ["A", "B", "B", "D"],
    ["B", "A", "C", "D"],
    ["B", "B", "C", "D"],
]
KEY = ["A", "A", "B", "C"]
OPTIONS = [["A", "B", "C", "D"]] * 4


# --- item analysis -------------------------------------------------------------------------


def test_it_computes_p_values_as_the_proportion_correct() -> None:
    analysis = pm.analyze_items(X)
    assert [i.p_value for i in analysis.items] == pytest.approx([4 / 6, 4 / 6, 3 / 6, 1 / 6])
    assert [i.n_presented for i in analysis.items] == [6, 6, 6, 6]


def test_it_computes_corrected_point_biserials_by_hand() -> None:
    # Item vs rest score (total minus the item), population moments:
    # i0: x = 1 1 1 1 0 0, rest = 3 2 1 1 1 0, mean rest 4/3.
    #     cov = (3+2+1+1)/6 - (4/6)(8/6) = 42/36 - 32/36 = 10/36
    #     var x = pq = 8/36; var rest = 16/6 - 16/9 = 32/36  ->  r = 10/sqrt(8*32) = 10/16
    # i1: x = 1 1 1 0 1 0, rest = 3 2 1 2 0 0: cov = 1 - (2/3)(4/3) = 4/36,
    #     var x = 8/36, var rest = 3 - 16/9 = 44/36  ->  r = 4/sqrt(8*44)
    # i2: x = 1 1 0 1 0 0, rest = 3 2 2 1 1 0: cov = 1 - (1/2)(3/2) = 1/4,
    #     var x = 1/4, var rest = 19/6 - 9/4 = 11/12  ->  r = (1/4)/sqrt(11/48) = sqrt(12/11)/2
    # i3: x = 1 0 0 0 0 0, rest = 3 3 2 2 1 0: cov = 3/6 - (1/6)(11/6) = 7/36,
    #     var x = 5/36, var rest = 27/6 - 121/36 = 41/36  ->  r = 7/sqrt(5*41)
    expected = [10 / 16, 4 / math.sqrt(352), math.sqrt(12 / 11) / 2, 7 / math.sqrt(205)]
    analysis = pm.analyze_items(X)
    assert [i.point_biserial for i in analysis.items] == pytest.approx(expected)
    assert all(i.point_biserial_note is None for i in analysis.items)


def test_it_flags_only_the_item_below_the_difficulty_floor() -> None:
    analysis = pm.analyze_items(X)
    assert [i.index for i in analysis.flagged] == [3]
    (flag,) = analysis.items[3].flags
    assert flag.code == "too_hard"
    assert "0.17" in flag.reason and "0.30" in flag.reason


def test_it_takes_the_flag_thresholds_as_parameters() -> None:
    analysis = pm.analyze_items(X, min_p=0.10, max_p=0.60, min_point_biserial=0.30)
    codes = {i.index: [f.code for f in i.flags] for i in analysis.items}
    # i0, i1 have p = .67 > .60; i1's r = .213 < .30; i3's p = .17 is now above .10.
    assert codes == {0: ["too_easy"], 1: ["too_easy", "low_discrimination"], 2: [], 3: []}
    assert (analysis.min_p, analysis.max_p, analysis.min_point_biserial) == (0.10, 0.60, 0.30)


def test_it_gives_no_point_biserial_and_a_reason_for_an_item_everyone_got_right() -> None:
    easy = np.column_stack([X, np.ones(6)])
    item = pm.analyze_items(easy).items[4]
    assert item.p_value == 1.0
    assert item.point_biserial is None
    assert item.point_biserial_note == "every examinee presented the item answered it correctly"
    assert [f.code for f in item.flags] == ["too_easy", "discrimination_undefined"]


def test_it_uses_only_examinees_presented_each_item() -> None:
    # Column 0 seen by rows 0-2 (1, 0, 1): p = 2/3; column 1 by rows 1-3 (1, 0, 1): p = 2/3.
    # Totals are 1 for everyone, so rest = total - item = 0, 1, 0 against 1, 0, 1: r = -1.
    x = np.array([[1, np.nan], [0, 1], [1, 0], [np.nan, 1]])
    items = pm.analyze_items(x).items
    assert [i.n_presented for i in items] == [3, 3]
    assert [i.p_value for i in items] == pytest.approx([2 / 3, 2 / 3])
    assert [i.point_biserial for i in items] == pytest.approx([-1.0, -1.0])


def test_it_compares_the_upper_and_lower_27_percent_groups() -> None:
    # round(.27 * 6) = 2: lower = rows 5, 4 (totals 0, 1), upper = rows 1, 0 (totals 3, 4).
    analysis = pm.analyze_items(X)
    assert analysis.group_size == 2
    i0, i1, _, i3 = analysis.items
    assert (i0.upper_p, i0.lower_p, i0.discrimination_index) == (1.0, 0.0, 1.0)
    assert (i1.upper_p, i1.lower_p, i1.discrimination_index) == (1.0, 0.5, 0.5)
    assert (i3.upper_p, i3.lower_p) == (0.5, 0.0)


def test_it_analyzes_distractors_by_hand() -> None:
    # Item 2 (key B), rest = 3 2 2 1 1 0 (mean 3/2, variance 11/12):
    # A: chosen by row 2 only. p = 1/6; upper 0/2, lower 0/2.
    #    cov = 2/6 - (1/6)(3/2) = 1/12; var = 5/36  ->  r = (1/12)/sqrt(5/36 * 11/12) > 0
    # B (key): rows 0, 1, 3; p = 3/6; upper 2/2, lower 0/2; r = the item's, sqrt(12/11)/2.
    # C: rows 4, 5. p = 2/6; upper 0/2, lower 2/2.
    #    cov = 1/6 - (2/6)(3/2) = -1/3; var = 2/9  ->  r = (-1/3)/sqrt(2/9 * 11/12)
    # D: nobody.
    item = pm.analyze_items(X, choices=CHOICES, key=KEY, options=OPTIONS).items[2]
    a, b, c, d = item.options
    assert [o.option for o in item.options] == ["A", "B", "C", "D"]
    assert [o.is_key for o in item.options] == [False, True, False, False]
    assert [o.count for o in item.options] == [1, 3, 2, 0]
    assert [o.proportion for o in item.options] == pytest.approx([1 / 6, 1 / 2, 1 / 3, 0])
    assert [o.upper_proportion for o in item.options] == [0.0, 1.0, 0.0, 0.0]
    assert [o.lower_proportion for o in item.options] == [0.0, 0.0, 1.0, 0.0]
    assert a.point_biserial == pytest.approx((1 / 12) / math.sqrt(5 / 36 * 11 / 12))
    assert b.point_biserial == pytest.approx(math.sqrt(12 / 11) / 2)
    assert c.point_biserial == pytest.approx((-1 / 3) / math.sqrt(2 / 9 * 11 / 12))
    assert (d.point_biserial, d.point_biserial_note) == (None, "nobody chose it")


def test_it_flags_unchosen_and_positively_discriminating_distractors() -> None:
    item = pm.analyze_items(X, choices=CHOICES, key=KEY, options=OPTIONS).items[2]
    assert [f.code for f in item.options[0].flags] == ["distractor_positive_point_biserial"]
    assert [f.code for f in item.options[3].flags] == ["distractor_never_chosen"]
    assert [f.code for f in item.flags] == [
        "distractor_positive_point_biserial",
        "distractor_never_chosen",
    ]
    assert "'A'" in item.flags[0].reason and "'D'" in item.flags[1].reason


def test_it_gives_the_key_option_the_items_point_biserial() -> None:
    analysis = pm.analyze_items(X, choices=CHOICES, key=KEY, options=OPTIONS)
    for item in analysis.items:
        (keyed,) = [o for o in item.options if o.is_key]
        assert keyed.point_biserial == pytest.approx(item.point_biserial)


def test_it_only_knows_options_somebody_chose_when_none_are_offered() -> None:
    item = pm.analyze_items(X, choices=CHOICES, key=KEY).items[2]
    assert [o.option for o in item.options] == ["A", "B", "C"]
    assert "distractor_never_chosen" not in [f.code for f in item.flags]


def test_it_reports_omits_among_examinees_presented_the_item() -> None:
    choices = [row[:] for row in CHOICES]
    choices[5][2] = None  # row 5 scored 0 on item 2 and skipped it
    item = pm.analyze_items(X, choices=choices, key=KEY, options=OPTIONS).items[2]
    assert item.omit_rate == pytest.approx(1 / 6)
    assert item.options[2].count == 1


def test_it_reports_mean_and_median_time_per_item() -> None:
    times = np.array(
        [[30, 10, 5, np.nan], [40, 20, 5, 60], [50, 30, 5, 90], [20, 40, 5, 30]] + [[0] * 4] * 2,
        dtype=float,
    )
    items = pm.analyze_items(X, times=times).items
    # i0: (30+40+50+20+0+0)/6 = 23.33, median (20+30)/2; i3: (60+90+30+0+0)/5 = 36, median 30
    assert items[0].mean_time == pytest.approx(140 / 6)
    assert items[0].median_time == 25.0
    assert (items[3].mean_time, items[3].median_time) == (36.0, 30.0)
    assert pm.analyze_items(X).items[0].mean_time is None


@pytest.mark.parametrize(
    ("scored", "message"),
    [
        (np.array([1, 0, 1]), "2-D examinees x items"),
        (np.array([[1, 0]]), "at least 2 examinees"),
        (np.array([[1, 2], [0, 1]]), "must hold 0 or 1"),
        (np.array([[1, np.nan], [0, np.nan]]), "presented to nobody: column(s) 1"),
        (np.array([[1, 0], [np.nan, np.nan]]), "presented no items: row(s) 1"),
        (np.array([[1, np.inf], [0, 1]]), "infinite"),
        ([["a", "b"], ["c", "d"]], "must be numeric"),
    ],
)
def test_it_rejects_malformed_score_matrices(scored: object, message: str) -> None:
    with pytest.raises(pm.PsychometricsInputError, match=re.escape(message)):
        pm.analyze_items(scored)  # type: ignore[arg-type]


def test_it_raises_an_error_both_callers_and_the_web_layer_understand() -> None:
    with pytest.raises(ValueError) as caught:
        pm.analyze_items([[1, 0], [0, 7]])
    assert isinstance(caught.value, InvalidInput)
    assert "row 1, column 1" in str(caught.value)


def test_it_rejects_choices_that_disagree_with_the_scoring() -> None:
    choices = [row[:] for row in CHOICES]
    choices[0][0] = "B"
    with pytest.raises(pm.PsychometricsInputError, match="row 0, column 0"):
        pm.analyze_items(X, choices=choices, key=KEY)


def test_it_rejects_a_chosen_option_that_was_not_offered() -> None:
    choices = [row[:] for row in CHOICES]
    choices[5][2] = "E"
    with pytest.raises(pm.PsychometricsInputError, match="column 2: E is not among"):
        pm.analyze_items(X, choices=choices, key=KEY, options=OPTIONS)


def test_it_rejects_inconsistent_item_analysis_arguments() -> None:
    with pytest.raises(pm.PsychometricsInputError, match="pass choices too"):
        pm.analyze_items(X, key=KEY)
    with pytest.raises(pm.PsychometricsInputError, match="need the key"):
        pm.analyze_items(X, choices=CHOICES)
    with pytest.raises(pm.PsychometricsInputError, match="min_p must be below max_p"):
        pm.analyze_items(X, min_p=0.9, max_p=0.5)
    with pytest.raises(pm.PsychometricsInputError, match="times must not be negative"):
        pm.analyze_items(X, times=-np.ones((6, 4)))
    with pytest.raises(pm.PsychometricsInputError, match="item_ids has 2 entries"):
        pm.analyze_items(X, item_ids=["a", "b"])


# --- test level ----------------------------------------------------------------------------


def test_it_computes_kr20_by_hand() -> None:
    # sum pq = (4/6)(2/6) + (4/6)(2/6) + (3/6)(3/6) + (1/6)(5/6) = (8+8+9+5)/36 = 30/36 = 5/6
    # KR-20 = 4/3 * (1 - (5/6) / (10/6)) = 4/3 * 1/2 = 2/3
    assert pm.kr20(X) == pytest.approx(2 / 3)


def test_it_computes_coefficient_alpha_for_polytomous_items_by_hand() -> None:
    # Items scored 0-2. Item variances (population): i0 = 2 1 1 0 -> 0.5, i1 = 2 2 0 0 -> 1,
    # i2 = 2 1 0 1 -> 0.5; totals 6 4 1 1: mean 3, variance (9+1+4+4)/4 = 4.5.
    # alpha = 3/2 * (1 - 2/4.5) = 5/6
    scores = np.array([[2, 2, 2], [1, 2, 1], [1, 0, 0], [0, 0, 1]])
    assert pm.coefficient_alpha(scores) == pytest.approx(5 / 6)


def test_it_computes_the_sem_from_sd_and_reliability() -> None:
    # SD = sqrt(10/6); SEM = sqrt(10/6) * sqrt(1 - 2/3) = sqrt(10/18)
    summary = pm.summarize_test(X)
    assert summary.sd == pytest.approx(math.sqrt(10 / 6))
    assert summary.sem == pytest.approx(math.sqrt(10 / 18))
    assert pm.standard_error_of_measurement(2.0, 0.75) == pytest.approx(1.0)


def test_it_summarizes_the_score_distribution_and_pass_rate() -> None:
    summary = pm.summarize_test(X, cut_score=3)
    assert (summary.n_examinees, summary.n_items, summary.max_score) == (6, 4, 4.0)
    assert (summary.mean, summary.minimum, summary.maximum) == (2.0, 0.0, 4.0)
    assert summary.histogram == (1, 1, 2, 1, 1)
    assert summary.pass_rate == pytest.approx(2 / 6)
    assert summary.reliability_method == "KR-20"
    assert summary.reliability == pytest.approx(2 / 3)
    assert summary.notes == ()


def test_it_computes_lords_conditional_sem() -> None:
    # sqrt(x (4 - x) / 3) at x = 0..4: 0, 1, sqrt(4/3), 1, 0
    expected = [0.0, 1.0, math.sqrt(4 / 3), 1.0, 0.0]
    assert pm.conditional_sem_binomial(4) == pytest.approx(expected)
    assert pm.summarize_test(X).conditional_sem == pytest.approx(expected)


def test_it_counts_fractional_totals_in_unit_bins() -> None:
    assert list(pm.score_distribution([0, 0.5, 1.5, 2, 2.0], 2)) == [2, 1, 2]


def test_it_summarizes_polytomous_scores_with_alpha() -> None:
    scores = np.array([[2, 2, 2], [1, 2, 1], [1, 0, 0], [0, 0, 1]])
    summary = pm.summarize_test(scores, item_max_scores=[2, 2, 2], cut_score=4)
    assert summary.reliability_method == "coefficient alpha"
    assert summary.reliability == pytest.approx(5 / 6)
    assert summary.histogram == (0, 2, 0, 0, 1, 0, 1)
    assert summary.pass_rate == 0.5
    assert summary.decision_consistency is None
    assert summary.conditional_sem is None
    assert "0/1 items" in summary.notes[0]


def test_it_explains_a_missing_reliability_instead_of_returning_nan() -> None:
    summary = pm.summarize_test([[1, 0], [0, 1], [1, 0]], cut_score=1)
    assert summary.reliability is None and summary.sem is None
    assert "do not vary" in summary.notes[0]
    with pytest.raises(pm.PsychometricsInputError, match="do not vary"):
        pm.kr20([[1, 0], [0, 1]])


def test_it_needs_a_complete_matrix_for_reliability() -> None:
    with pytest.raises(pm.PsychometricsInputError, match="analyze each form on its own"):
        pm.kr20(np.array([[1, np.nan], [0, 1], [1, 1]]))
    with pytest.raises(pm.PsychometricsInputError, match="at least 2 items"):
        pm.coefficient_alpha([[1], [0]])


# --- decision consistency ------------------------------------------------------------------


def test_it_computes_kr21_by_hand() -> None:
    # 4/3 * (1 - 2 * (4 - 2) / (4 * 10/6)) = 4/3 * (1 - 0.6) = 8/15
    assert pm.kr21([4, 3, 2, 2, 1, 0], 4) == pytest.approx(8 / 15)


def test_it_computes_subkoviaks_agreement_and_kappa_by_hand() -> None:
    # reliability 0.5, n = 4, mean 2: tau = 0.5 * x/4 + 0.5 * 2/4 = x/8 + 1/4
    #   x:   4       3          2      2      1         0
    #   tau: 3/4     5/8        1/2    1/2    3/8       1/4
    # P(pass) = P(X >= 3) = 4 tau^3 (1 - tau) + tau^4:
    #   P:   189/256 2125/4096  5/16   5/16   621/4096  13/256
    # agreement per examinee P^2 + (1 - P)^2, averaged: p0 = 0.650205...
    # mean P = 0.347412...; pc = P^2 + (1 - P)^2 = 0.546566...; kappa = (p0 - pc)/(1 - pc)
    p = np.array([189 / 256, 2125 / 4096, 5 / 16, 5 / 16, 621 / 4096, 13 / 256])
    p0 = float(np.mean(p**2 + (1 - p) ** 2))
    pc = p.mean() ** 2 + (1 - p.mean()) ** 2
    result = pm.subkoviak_consistency([4, 3, 2, 2, 1, 0], 4, 3, reliability=0.5)
    assert result.method == "subkoviak"
    assert result.agreement == pytest.approx(p0)
    assert result.agreement == pytest.approx(0.6502053, abs=1e-7)
    assert result.chance_agreement == pytest.approx(pc)
    assert result.kappa == pytest.approx((p0 - pc) / (1 - pc))
    assert result.expected_pass_rate == pytest.approx(p.mean())


def test_it_uses_kr21_in_subkoviaks_method_unless_told_otherwise() -> None:
    result = pm.subkoviak_consistency([4, 3, 2, 2, 1, 0], 4, 3)
    assert result.reliability == pytest.approx(8 / 15)
    assert pm.summarize_test(X, cut_score=3).decision_consistency.reliability == pytest.approx(  # type: ignore[union-attr]
        2 / 3
    )


def test_it_passes_a_fractional_cut_at_the_next_whole_score() -> None:
    whole = pm.subkoviak_consistency([4, 3, 2, 2, 1, 0], 4, 3, reliability=0.5)
    fractional = pm.subkoviak_consistency([4, 3, 2, 2, 1, 0], 4, 2.4, reliability=0.5)
    assert fractional.passing_score == 3
    assert fractional.agreement == whole.agreement


def test_it_matches_huynhs_agreement_with_numerical_integration() -> None:
    # Huynh's p0 is the integral over the fitted beta of P(pass)^2 + P(fail)^2.
    scores = np.array([4, 3, 2, 2, 1, 0])
    a, b, _ = beta_binomial_parameters(scores, 4)

    def agree(tau: float) -> float:
        passing = stats.binom.sf(2, 4, tau)
        return float((passing**2 + (1 - passing) ** 2) * stats.beta.pdf(tau, a, b))

    expected, _ = integrate.quad(agree, 0, 1)
    result = pm.huynh_consistency(scores, 4, 3)
    assert result.agreement == pytest.approx(expected, abs=1e-9)
    assert 0 < result.kappa < 1  # type: ignore[operator]


def test_it_fits_a_beta_binomial_that_reproduces_the_observed_moments() -> None:
    scores = np.array([9, 7, 7, 6, 5, 5, 4, 2, 8, 10])
    a, b, _ = beta_binomial_parameters(scores, 10)
    model = stats.betabinom(10, a, b)
    assert model.mean() == pytest.approx(scores.mean())
    assert model.var() == pytest.approx(scores.var())


def test_it_leaves_kappa_undefined_when_every_decision_is_certain() -> None:
    result = pm.subkoviak_consistency([4, 4, 4], 4, 3, reliability=1.0)
    assert result.agreement == 1.0
    assert result.kappa is None
    assert "chance agreement is 1" in result.kappa_note  # type: ignore[operator]


def test_it_rejects_bad_decision_consistency_inputs() -> None:
    with pytest.raises(pm.PsychometricsInputError, match="cut_score must be above 0"):
        pm.subkoviak_consistency([1, 2], 4, 5)
    with pytest.raises(pm.PsychometricsInputError, match="whole numbers from 0 to 4"):
        pm.subkoviak_consistency([1, 2.5, 5], 4, 2)
    with pytest.raises(pm.PsychometricsInputError, match="no beta-binomial model"):
        pm.huynh_consistency([2, 2, 2, 3], 4, 2)
    with pytest.raises(pm.PsychometricsInputError, match="0 or full marks"):
        pm.huynh_consistency([0, 4, 4], 4, 2)
    with pytest.raises(pm.PsychometricsInputError, match="method must be"):
        pm.decision_consistency([1, 2], 4, 2, method="livingston")  # type: ignore[arg-type]


# --- Mantel-Haenszel DIF -------------------------------------------------------------------

# Two strata, rows reference/focal, columns correct/incorrect:
#   stratum 1: [[8, 2], [5, 5]]  T = 20   AD/T = 40/20 = 2     BC/T = 10/20 = 0.5
#   stratum 2: [[4, 6], [2, 8]]  T = 20   AD/T = 32/20 = 1.6   BC/T = 12/20 = 0.6
# alpha_MH = 3.6 / 1.1 = 36/11; delta = -2.35 ln(36/11)
# E(A):   10*13/20 = 6.5           10*6/20 = 3         sum A = 12, sum E = 9.5
# Var(A): 10*10*13*7/(400*19)      10*10*6*14/(400*19) sum = 17500/7600 = 175/76
# chi2 = (|12 - 9.5| - 0.5)^2 / (175/76) = 4 * 76/175 = 304/175
# RBG: P = (A+D)/T = .65, .6; Q = (B+C)/T = .35, .4
#   var ln = (.65*2 + .6*1.6)/(2*3.6^2) + (.65*.5 + .35*2 + .6*.6 + .4*1.6)/(2*3.6*1.1)
#            + (.35*.5 + .4*.6)/(2*1.1^2) = 2.26/25.92 + 2.025/7.92 + .415/2.42
TABLES = np.array([[[8, 2], [5, 5]], [[4, 6], [2, 8]]])
RBG_VAR = 2.26 / 25.92 + 2.025 / 7.92 + 0.415 / 2.42


def _responses_from_tables() -> tuple[np.ndarray, np.ndarray]:
    """Studied item plus one anchor item whose score is the stratum (rest score 1 or 0)."""
    rows: list[tuple[int, int, int]] = []
    for anchor, table in zip((1, 0), TABLES, strict=True):
        for focal in (0, 1):
            right, wrong = table[focal]
            rows += [(1, anchor, focal)] * right + [(0, anchor, focal)] * wrong
    data = np.array(rows)
    return data[:, :2], data[:, 2]


def test_it_computes_mantel_haenszel_by_hand_on_two_strata() -> None:
    result = pm.mantel_haenszel(TABLES)
    assert result.alpha_mh == pytest.approx(36 / 11)
    assert result.delta == pytest.approx(-2.35 * math.log(36 / 11))
    assert result.chi_square == pytest.approx(304 / 175)
    assert result.p_value == pytest.approx(stats.chi2.sf(304 / 175, 1))
    assert result.delta_se == pytest.approx(2.35 * math.sqrt(RBG_VAR))
    assert result.favors == "reference"
    # |delta| = 2.79 is large, but chi2 p = .19 is not significant: category A.
    assert result.ets_category == "A"
    assert (result.n_reference, result.n_focal, result.strata_used) == (20, 20, 2)


def test_it_stratifies_a_score_matrix_on_the_rest_score() -> None:
    scored, group = _responses_from_tables()
    from_matrix = pm.mantel_haenszel_dif(scored, group, 0, matching="rest")
    assert from_matrix.item == 0
    assert from_matrix.alpha_mh == pytest.approx(36 / 11)
    assert from_matrix.chi_square == pytest.approx(304 / 175)


def test_it_drops_strata_missing_a_group_or_an_outcome() -> None:
    # On the total score, total 0 holds only wrong answers and total 2 only right ones; only
    # total 1 (studied right + anchor wrong, or the reverse) is informative:
    #   reference: right 4 (anchor 0), wrong 2 (anchor 1); focal: right 2, wrong 5
    #   alpha = (4*5/13) / (2*2/13) = 5
    scored, group = _responses_from_tables()
    result = pm.mantel_haenszel_dif(scored, group, 0)
    assert (result.strata_used, result.strata_dropped) == (1, 2)
    assert result.alpha_mh == pytest.approx(5.0)
    only_reference = pm.mantel_haenszel([[[3, 1], [0, 0]], *TABLES])
    assert only_reference.alpha_mh == pytest.approx(36 / 11)
    assert only_reference.strata_dropped == 1


def test_it_classifies_large_significant_dif_as_c() -> None:
    # Five times the examinees: same alpha_MH and delta (-2.79), chi2 about 13, SE about 0.75;
    # (|delta| - 1) / SE = 2.37 > 1.645.
    result = pm.mantel_haenszel(5 * TABLES)
    assert result.alpha_mh == pytest.approx(36 / 11)
    assert result.p_value < 0.001  # type: ignore[operator]
    assert result.ets_category == "C"


@pytest.mark.parametrize(
    ("delta", "se", "p", "category"),
    [
        (-0.9, 0.1, 0.0001, "A"),  # small
        (-2.5, 0.5, 0.20, "A"),  # large but not significant
        (1.2, 0.2, 0.001, "B"),  # significant, between 1 and 1.5
        (-1.6, 0.5, 0.001, "B"),  # >= 1.5 but not significantly above 1: 0.6/0.5 < 1.645
        (-1.6, 0.3, 0.001, "C"),  # 0.6/0.3 = 2 > 1.645
        (1.5, 0.2, 0.01, "C"),  # the 1.5 boundary belongs to C
        (1.0, 0.01, 0.01, "B"),  # the 1.0 boundary is not A
    ],
)
def test_it_applies_the_ets_rules(delta: float, se: float, p: float, category: str) -> None:
    assert pm.ets_dif_category(delta, se, p) == category


def test_it_matches_scipys_odds_ratio_and_yates_chi_square_on_one_stratum() -> None:
    # With one stratum alpha_MH is the sample odds ratio, and the MH chi-square is Yates'
    # Pearson chi-square times (N - 1)/N (hypergeometric vs multinomial variance).
    table = np.array([[30, 10], [18, 22]])
    result = pm.mantel_haenszel(table[None])
    assert result.alpha_mh == pytest.approx(odds_ratio(table, kind="sample").statistic)
    yates = chi2_contingency(table, correction=True).statistic
    assert result.chi_square == pytest.approx(yates * 79 / 80)


def test_it_matches_a_direct_computation_from_crosstabs() -> None:
    # Build each stratum's table with scipy's crosstab and get alpha_MH another way: as the
    # root of the Mantel-Haenszel estimating equation sum (AD - alpha BC)/T = 0; and the
    # chi-square from the identity A - E(A) = (AD - BC)/T.
    rng = np.random.default_rng(7)
    theta = rng.normal(size=300)
    group = (rng.random(300) < 0.4).astype(int)
    difficulty = np.array([-0.5, 0.0, 0.3, 0.8, -1.0, 0.5])
    shift = np.where(group[:, None] == 1, [0.7, 0, 0, 0, 0, 0], 0.0)
    scored = rng.random((300, 6)) < 1 / (1 + np.exp(-(theta[:, None] - difficulty - shift)))
    scored = scored.astype(int)
    totals = scored.sum(axis=1)
    informative, numerator, variance = [], 0.0, 0.0
    for level in np.unique(totals):
        at = totals == level
        (a, b), (c, d) = crosstab(group[at], scored[at, 0], levels=([0, 1], [1, 0])).count
        t = a + b + c + d
        if min(a + b, c + d, a + c, b + d) == 0:
            continue
        informative.append((a, b, c, d, t))
        numerator += (a * d - b * c) / t
        variance += (a + b) * (c + d) * (a + c) * (b + d) / (t * t * (t - 1))
    result = pm.mantel_haenszel_dif(scored, group, 0)
    root = optimize.brentq(
        lambda alpha: sum((a * d - alpha * b * c) / t for a, b, c, d, t in informative), 1e-6, 1e6
    )
    assert result.alpha_mh == pytest.approx(root)
    assert result.chi_square == pytest.approx((abs(numerator) - 0.5) ** 2 / variance)
    assert result.favors == "reference"


def test_it_reports_an_unbounded_odds_ratio_with_a_note() -> None:
    result = pm.mantel_haenszel([[[5, 0], [2, 3]], [[4, 0], [1, 1]]])
    assert result.alpha_mh is None and result.delta is None and result.ets_category is None
    assert "unbounded" in result.note  # type: ignore[operator]
    assert result.chi_square is not None


def test_it_reports_no_dif_when_no_stratum_is_informative() -> None:
    result = pm.mantel_haenszel([[[5, 0], [3, 0]], [[0, 0], [2, 2]]])
    assert result.chi_square is None and result.strata_used == 0
    assert "cannot be assessed" in result.note  # type: ignore[operator]


def test_it_screens_every_item() -> None:
    scored, group = _responses_from_tables()
    results = pm.screen_dif(scored, group, matching="rest")
    assert [r.item for r in results] == [0, 1]


def test_it_rejects_bad_dif_inputs() -> None:
    scored, group = _responses_from_tables()
    with pytest.raises(pm.PsychometricsInputError, match="0 \\(reference\\) or 1 \\(focal\\)"):
        pm.mantel_haenszel_dif(scored, np.where(group == 1, 2, 0), 0)
    with pytest.raises(pm.PsychometricsInputError, match="both reference"):
        pm.mantel_haenszel_dif(scored, np.zeros(len(group)), 0)
    with pytest.raises(pm.PsychometricsInputError, match="out of range"):
        pm.mantel_haenszel_dif(scored, group, 2)
    with pytest.raises(pm.PsychometricsInputError, match="shape \\(strata, 2, 2\\)"):
        pm.mantel_haenszel([[1, 2], [3, 4]])
    with pytest.raises(pm.PsychometricsInputError, match="matching must be"):
        pm.mantel_haenszel_dif(scored, group, 0, matching="theta")  # type: ignore[arg-type]


# --- modified Angoff -----------------------------------------------------------------------

# 3 panelists x 4 items:
#   P1: .6 .7 .5 .8  -> 2.6
#   P2: .5 .6 .4 .9  -> 2.4
#   P3: .7 .8 .3 .5  -> 2.3
# cut = 7.3/3 = 2.4333; deviations .1667, -.0333, -.1333; squares sum .046667;
# SD = sqrt(.046667/2) = .152753; SE = SD/sqrt(3) = .088192.
# item means .6 .7 .4 .7333; item SDs .1 .1 .1 and sqrt((.0044+.0278+.0544)/2) = .2082.
RATINGS = np.array([[0.6, 0.7, 0.5, 0.8], [0.5, 0.6, 0.4, 0.9], [0.7, 0.8, 0.3, 0.5]])


def test_it_computes_the_angoff_cut_by_hand() -> None:
    result = pm.modified_angoff(RATINGS, item_ids=["q1", "q2", "q3", "q4"])
    assert result.panelist_cuts == pytest.approx((2.6, 2.4, 2.3))
    assert result.cut_score == pytest.approx(7.3 / 3)
    assert result.cut_proportion == pytest.approx(7.3 / 12)
    assert result.passing_score == 3
    assert result.sd == pytest.approx(math.sqrt(0.14 / 3 / 2))
    assert result.standard_error == pytest.approx(math.sqrt(0.14 / 3 / 2) / math.sqrt(3))
    assert result.item_means == pytest.approx((0.6, 0.7, 0.4, 2.2 / 3))
    assert result.item_sds == pytest.approx((0.1, 0.1, 0.1, 0.2081666), abs=1e-7)
    assert result.high_disagreement == ("q4",)


def test_it_recommends_the_second_rounds_cut() -> None:
    second = RATINGS.copy()
    second[:, 3] = [0.7, 0.75, 0.65]  # discussion pulls item 4 together: sum .7 -> 2.1
    study = pm.angoff_study(RATINGS, second)
    assert study.recommended_cut == pytest.approx((7.3 - 2.2 + 2.1) / 3)
    assert study.cut_change == pytest.approx(-0.1 / 3)
    assert study.final.high_disagreement == ()
    assert pm.angoff_study(RATINGS).cut_change is None


def test_it_rejects_bad_angoff_ratings() -> None:
    with pytest.raises(pm.PsychometricsInputError, match="row 1, column 2"):
        pm.modified_angoff([[0.5, 0.5, 0.5], [0.5, 0.5, 1.5]])
    with pytest.raises(pm.PsychometricsInputError, match="no gaps"):
        pm.modified_angoff([[0.5, np.nan], [0.5, 0.5]])
    with pytest.raises(pm.PsychometricsInputError, match="at least 2 panelists"):
        pm.modified_angoff([[0.5, 0.5]])
    with pytest.raises(pm.PsychometricsInputError, match="same panel"):
        pm.angoff_study(RATINGS, RATINGS[:2])


# --- properties ----------------------------------------------------------------------------


@st.composite
def score_matrices(draw: st.DrawFn, missing: bool = False) -> np.ndarray:
    """0/1 matrices, optionally with NaN, repaired so every row and column has a response."""
    n = draw(st.integers(2, 12))
    j = draw(st.integers(2, 6))
    top = 2 if missing else 1
    cells = draw(st.lists(st.integers(0, top), min_size=n * j, max_size=n * j))
    x = np.array(cells, dtype=float).reshape(n, j)
    x[x == 2] = np.nan
    x[0] = np.nan_to_num(x[0])
    for i in range(n):
        x[i, i % j] = np.nan_to_num(x[i, i % j])
    return x


@FAST
@given(score_matrices(missing=True))
def test_it_keeps_p_values_and_point_biserials_in_range(x: np.ndarray) -> None:
    for item in pm.analyze_items(x).items:
        assert 0.0 <= item.p_value <= 1.0
        if item.point_biserial is None:
            assert item.point_biserial_note
        else:
            assert -1.0 <= item.point_biserial <= 1.0


@FAST
@given(score_matrices())
def test_it_agrees_kr20_with_alpha_and_never_exceeds_one(x: np.ndarray) -> None:
    if np.ptp(x.sum(axis=1)) == 0:
        return
    assert pm.kr20(x) <= 1.0 + 1e-12
    assert pm.kr20(x) == pytest.approx(pm.coefficient_alpha(x))


@FAST
@given(
    st.lists(st.integers(0, 8), min_size=2, max_size=30),
    st.integers(1, 8),
    st.floats(-0.5, 1.0),
)
@example(scores=[0, 2, 3, 3, 4, 4, 4], cut=1, r=0.0)  # KR-21 is 1e-16: zero up to rounding
def test_it_keeps_decision_consistency_in_range(scores: list[int], cut: int, r: float) -> None:
    result = pm.subkoviak_consistency(scores, 8, cut, reliability=r)
    assert 0.0 <= result.agreement <= 1.0 + 1e-12
    assert 0.0 <= result.chance_agreement <= 1.0 + 1e-12
    assert result.kappa is None or result.kappa <= 1.0 + 1e-12
    if np.ptp(scores) > 0 and 1e-9 < pm.kr21(scores, 8) < 1 - 1e-9:
        huynh = pm.huynh_consistency(scores, 8, cut)
        assert 0.0 <= huynh.agreement <= 1.0 + 1e-9


@FAST
@given(score_matrices(), st.data())
def test_it_keeps_mh_dif_unchanged_when_other_items_are_reordered(
    x: np.ndarray, data: st.DataObject
) -> None:
    n, j = x.shape
    group = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    group[:2] = [0, 1]
    order = [0, *data.draw(st.permutations(list(range(1, j))))]
    before = pm.mantel_haenszel_dif(x, group, 0)
    after = pm.mantel_haenszel_dif(x[:, order], group, 0)
    assert after == before
