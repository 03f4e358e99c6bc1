"""Probability and information functions against closed forms and numerical derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment.irt import models
from extender.assessment.irt.models import GradedItems, IrtInputError, ItemParameters

FAST = settings(max_examples=30, deadline=None)
slopes = st.floats(0.2, 3.0)
locations = st.floats(-3.0, 3.0)
guessing = st.floats(0.0, 0.4)


def _numerical_fisher_information(items: models.ItemSet, theta: float) -> np.ndarray:
    """sum_k (dP_k/dtheta)^2 / P_k with the derivative taken by central differences."""
    h = 1e-5
    probs = items.category_probabilities(theta)[0]
    slope = (
        items.category_probabilities(theta + h)[0] - items.category_probabilities(theta - h)[0]
    ) / (2 * h)
    safe = np.where(probs > 0, probs, 1.0)
    return np.where(probs > 0, slope**2 / safe, 0.0).sum(axis=1)


def test_it_uses_the_d_equals_one_logistic() -> None:
    p = models.probability(0.0, a=1.0, b=1.0)
    assert p[0, 0] == pytest.approx(1.0 / (1.0 + np.exp(1.0)))
    assert models.D == 1.0


def test_it_puts_the_3pl_midpoint_at_b() -> None:
    p = models.probability([0.7], a=[1.8], b=[0.7], c=[0.2])
    assert p[0, 0] == pytest.approx(0.6)


def test_it_matches_the_2pl_information_closed_form() -> None:
    theta = np.linspace(-3, 3, 13)
    a, b = np.array([0.5, 1.0, 2.2]), np.array([-1.0, 0.0, 1.5])
    p = 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
    np.testing.assert_allclose(models.item_information(theta, a, b), a**2 * p * (1 - p))


def test_it_matches_the_3pl_information_closed_form() -> None:
    theta = np.linspace(-3, 3, 13)[:, None]
    a, b, c = np.array([0.8, 1.7]), np.array([-0.5, 1.0]), np.array([0.15, 0.3])
    p = c + (1 - c) / (1 + np.exp(-a * (theta - b)))
    expected = a**2 * ((1 - p) / p) * ((p - c) / (1 - c)) ** 2
    np.testing.assert_allclose(models.item_information(theta[:, 0], a, b, c), expected)


def test_it_peaks_2pl_information_at_b_with_value_a_squared_over_four() -> None:
    items = ItemParameters([1.6], [0.4])
    grid = np.linspace(-2, 3, 5001)
    info = items.information(grid)[:, 0]
    assert grid[info.argmax()] == pytest.approx(0.4, abs=1e-3)
    assert info.max() == pytest.approx(1.6**2 / 4)


def test_it_sums_test_information_over_items() -> None:
    items = ItemParameters([1.0, 2.0], [0.0, 1.0], [0.0, 0.2])
    theta = np.array([-1.0, 0.5])
    np.testing.assert_allclose(
        models.test_information(theta, items), items.information(theta).sum(axis=1)
    )


@FAST
@given(a=slopes, b=locations, c=guessing, theta=st.floats(-4, 4))
def test_it_agrees_with_numerical_fisher_information_for_3pl(
    a: float, b: float, c: float, theta: float
) -> None:
    items = ItemParameters([a], [b], [c])
    numerical = _numerical_fisher_information(items, theta)
    np.testing.assert_allclose(items.information(theta)[0], numerical, rtol=1e-5, atol=1e-10)


@FAST
@given(
    a=slopes,
    steps=st.lists(st.floats(0.1, 1.5), min_size=1, max_size=4),
    start=locations,
    theta=st.floats(-4, 4),
)
def test_it_agrees_with_numerical_fisher_information_for_grm(
    a: float, steps: list[float], start: float, theta: float
) -> None:
    thresholds = start + np.concatenate([[0.0], np.cumsum(steps)])
    items = GradedItems([a], [thresholds])
    numerical = _numerical_fisher_information(items, theta)
    np.testing.assert_allclose(items.information(theta)[0], numerical, rtol=1e-5, atol=1e-10)


@FAST
@given(a=slopes, b=locations, c=guessing, thetas=st.lists(st.floats(-6, 6), min_size=2))
def test_it_keeps_iccs_monotone_and_inside_the_unit_interval(
    a: float, b: float, c: float, thetas: list[float]
) -> None:
    ordered = np.sort(np.array(thetas))
    p = models.probability(ordered, [a], [b], [c])[:, 0]
    assert np.all(np.diff(p) >= 0)
    assert np.all((p > 0) & (p < 1))
    assert np.all(p >= c)


@FAST
@given(
    a=slopes,
    steps=st.lists(st.floats(0.05, 2.0), min_size=1, max_size=5),
    start=locations,
    theta=st.floats(-6, 6),
)
def test_it_gives_grm_category_probabilities_that_sum_to_one(
    a: float, steps: list[float], start: float, theta: float
) -> None:
    thresholds = start + np.concatenate([[0.0], np.cumsum(steps)])
    probs = GradedItems([a], [thresholds]).category_probabilities(theta)[0, 0]
    assert probs.sum() == pytest.approx(1.0)
    assert np.all(probs >= 0)


def test_it_pads_graded_items_with_fewer_categories() -> None:
    items = GradedItems([1.0, 1.5], [[-1.0, 0.0, 1.0], [0.0, np.inf, np.inf]])
    assert items.n_categories.tolist() == [4, 2]
    probs = items.category_probabilities([0.3])[0]
    assert probs[1, 2:].tolist() == [0.0, 0.0]
    two_pl = ItemParameters([1.5], [0.0]).probability(0.3)[0, 0]
    assert probs[1, 1] == pytest.approx(two_pl)


def test_it_makes_grm_expected_scores_increase_with_theta() -> None:
    items = GradedItems([1.2], [[-1.0, 0.2, 1.4]])
    scores = items.expected_score(np.linspace(-4, 4, 50))[:, 0]
    assert np.all(np.diff(scores) > 0)
    assert 0 < scores[0] < scores[-1] < 3


def test_it_rejects_unordered_thresholds() -> None:
    with pytest.raises(IrtInputError, match="increase"):
        GradedItems([1.0], [[0.5, -0.5]])


def test_it_rejects_guessing_outside_the_unit_interval() -> None:
    with pytest.raises(IrtInputError):
        ItemParameters([1.0], [0.0], [1.2])


def test_it_freezes_item_arrays() -> None:
    items = ItemParameters([1.0, 1.2], [0.0, 0.5])
    with pytest.raises(ValueError):
        items.a[0] = 3.0
