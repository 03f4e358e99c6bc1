"""Ability estimates against integrals and optimisers computed another way; scales and cuts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize
from scipy.stats import norm

from extender.assessment.irt import (
    GradedItems,
    IrtInputError,
    ItemParameters,
    ScoreScale,
    convert_cut_score,
    estimate_eap,
    estimate_map,
    estimate_mle,
    expected_raw_score,
    theta_for_raw_score,
)
from extender.assessment.irt.models import ItemSet

ITEMS = ItemParameters(
    a=[0.8, 1.2, 1.5, 2.0, 1.0, 0.7, 1.8, 1.3],
    b=[-1.5, -0.8, -0.2, 0.0, 0.4, 0.9, 1.3, 2.0],
    c=[0.2, 0.1, 0.15, 0.0, 0.25, 0.2, 0.1, 0.05],
)
PATTERNS = np.array(
    [
        [1, 1, 1, 0, 1, 0, 0, 0],
        [1, 0, 1, 1, 1, 1, 0, 1],
        [0, 0, 1, 0, 0, 0, 0, 0],
        [1, 1, np.nan, 1, np.nan, 0, 1, np.nan],
    ]
)


def _likelihood(items: ItemSet, pattern: np.ndarray, theta: float) -> float:
    probs = items.category_probabilities(theta)[0]
    seen = ~np.isnan(pattern)
    picked = probs[np.flatnonzero(seen), pattern[seen].astype(int)]
    return float(np.prod(picked))


def _quad_eap(items: ItemSet, pattern: np.ndarray, mean: float, sd: float) -> tuple[float, float]:
    def density(t: float) -> float:
        return _likelihood(items, pattern, t) * float(norm.pdf(t, mean, sd))

    lo, hi = mean - 10 * sd, mean + 10 * sd
    mass = integrate.quad(density, lo, hi, epsabs=1e-13, limit=200)[0]
    first = integrate.quad(lambda t: t * density(t), lo, hi, epsabs=1e-13, limit=200)[0] / mass
    second = integrate.quad(lambda t: t * t * density(t), lo, hi, epsabs=1e-13, limit=200)[0]
    return first, float(np.sqrt(second / mass - first**2))


@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (0.5, 1.3)])
def test_it_matches_eap_computed_by_adaptive_integration(mean: float, sd: float) -> None:
    estimates = estimate_eap(PATTERNS, ITEMS, prior_mean=mean, prior_sd=sd)
    for row, pattern in enumerate(PATTERNS):
        expected_mean, expected_sd = _quad_eap(ITEMS, pattern, mean, sd)
        assert estimates.theta[row] == pytest.approx(expected_mean, abs=1e-5)
        assert estimates.se[row] == pytest.approx(expected_sd, abs=1e-5)


def test_it_matches_graded_eap_computed_by_adaptive_integration() -> None:
    items = GradedItems([1.0, 1.7, 0.8], [[-1.0, 0.0, 1.0], [-0.5, 0.7, np.inf], [0.0, 1.5, 2.0]])
    patterns = np.array([[2, 1, 0], [3, 2, 3], [0, np.nan, 1]])
    estimates = estimate_eap(patterns, items)
    for row, pattern in enumerate(patterns):
        expected_mean, expected_sd = _quad_eap(items, pattern, 0.0, 1.0)
        assert estimates.theta[row] == pytest.approx(expected_mean, abs=1e-5)
        assert estimates.se[row] == pytest.approx(expected_sd, abs=1e-5)


def test_it_matches_map_found_by_a_scalar_optimiser() -> None:
    estimates = estimate_map(PATTERNS, ITEMS)
    for row, pattern in enumerate(PATTERNS):
        best = optimize.minimize_scalar(
            lambda t, p=pattern: -np.log(_likelihood(ITEMS, p, t)) + 0.5 * t * t,
            bounds=(-4, 4),
            method="bounded",
            options={"xatol": 1e-9},
        )
        assert estimates.theta[row] == pytest.approx(best.x, abs=1e-4)


def test_it_matches_mle_found_by_a_scalar_optimiser() -> None:
    estimates = estimate_mle(PATTERNS[:2], ITEMS)
    for row, pattern in enumerate(PATTERNS[:2]):
        best = optimize.minimize_scalar(
            lambda t, p=pattern: -np.log(_likelihood(ITEMS, p, t)),
            bounds=(-4, 4),
            method="bounded",
            options={"xatol": 1e-9},
        )
        assert estimates.theta[row] == pytest.approx(best.x, abs=1e-4)
        information = ITEMS.information(best.x).sum()
        assert estimates.se[row] == pytest.approx(1 / np.sqrt(information), rel=1e-3)


def test_it_bounds_mle_for_all_correct_and_all_wrong_patterns() -> None:
    patterns = np.array([np.ones(8), np.zeros(8), [1, 1, np.nan, 1, 1, 1, 1, 1]])

    estimates = estimate_mle(patterns, ITEMS, bounds=(-3.5, 3.5))

    assert estimates.theta.tolist() == [3.5, -3.5, 3.5]
    assert estimates.at_bound.tolist() == [True, True, True]
    assert np.all(np.isfinite(estimates.se))


def test_it_never_returns_nan_for_an_empty_pattern() -> None:
    empty = np.full((1, 8), np.nan)

    mle = estimate_mle(empty, ITEMS)
    eap = estimate_eap(empty, ITEMS, prior_mean=0.3)

    assert mle.theta[0] == 0.0 and mle.se[0] == np.inf
    assert eap.theta[0] == pytest.approx(0.3, abs=1e-6)
    assert eap.se[0] == pytest.approx(1.0, abs=1e-3)
    assert eap.n_responses[0] == 0


def test_it_ignores_missing_cells_when_scoring() -> None:
    pattern = PATTERNS[3]
    seen = np.flatnonzero(~np.isnan(pattern))
    full = estimate_eap(pattern[None, :], ITEMS)
    reduced = estimate_eap(pattern[None, seen], ITEMS.subset(seen))
    assert full.theta[0] == pytest.approx(reduced.theta[0])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=8, max_size=8), st.integers(0, 7))
def test_it_raises_the_2pl_eap_when_a_wrong_answer_becomes_right(
    answers: list[bool], flip: int
) -> None:
    items = ItemParameters(ITEMS.a, ITEMS.b)
    before = np.array(answers, dtype=float)
    before[flip] = 0
    after = before.copy()
    after[flip] = 1
    estimates = estimate_eap(np.vstack([before, after]), items)
    assert estimates.theta[1] > estimates.theta[0]


def test_it_rejects_patterns_that_do_not_match_the_bank() -> None:
    with pytest.raises(IrtInputError):
        estimate_eap(np.ones((2, 3)), ITEMS)


def test_it_converts_theta_to_scale_and_back() -> None:
    scale = ScoreScale(slope=50, intercept=300, minimum=100, maximum=500)
    assert scale.to_scale([-1.0, 0.0, 1.234]).tolist() == [250.0, 300.0, 362.0]
    assert scale.to_scale([-9.0, 9.0]).tolist() == [100.0, 500.0]
    assert scale.to_theta(350.0)[0] == pytest.approx(1.0)


def test_it_inverts_the_test_characteristic_curve() -> None:
    theta = np.array([-2.0, -0.3, 0.0, 1.1, 2.5])
    raw = expected_raw_score(theta, ITEMS)
    np.testing.assert_allclose(theta_for_raw_score(raw, ITEMS), theta, atol=1e-8)


def test_it_maps_raw_scores_below_the_guessing_floor_to_the_lower_bound() -> None:
    floor = float(ITEMS.c.sum())
    assert theta_for_raw_score(floor * 0.5, ITEMS, bounds=(-6, 6))[0] == pytest.approx(-6)


def test_it_carries_a_cut_score_between_raw_theta_and_scale() -> None:
    scale = ScoreScale(slope=40, intercept=250)
    from_raw = convert_cut_score(5.0, "raw", ITEMS, scale)
    from_theta = convert_cut_score(from_raw.theta, "theta", ITEMS, scale)
    from_scale = convert_cut_score(from_raw.scale, "scale", ITEMS, scale)

    assert from_raw.raw == pytest.approx(5.0, abs=1e-8)
    assert from_theta.raw == pytest.approx(5.0, abs=1e-8)
    assert from_scale.theta == pytest.approx(from_raw.theta)
    assert from_raw.scale == pytest.approx(250 + 40 * from_raw.theta)
