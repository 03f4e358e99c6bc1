"""Calibration: parameter recovery, fixed-parameter calibration, degenerate data, convergence.

Tolerances come from the sample sizes. At N examinees the asymptotic SE of a 2PL difficulty
near the middle of the ability distribution is about 1 / (a sqrt(N * 0.2)), and of a slope
about 1.5 / sqrt(N * 0.2); for N = 3000 that is 0.03-0.06 for b and 0.04-0.06 for a, with
items at |b| = 2 roughly twice as uncertain. RMSE bounds are set at about twice the typical
SE so that a correct estimator fails them essentially never, while a biased or broken one
(errors of 0.3 and more) cannot pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment.irt import (
    GradedItems,
    IrtInputError,
    ItemParameters,
    calibrate,
    calibrate_1pl,
    calibrate_grm,
    calibrate_rasch,
    simulate_responses,
)


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - truth) ** 2)))


def _bank(rng: np.random.Generator, n_items: int, guessing: bool = False) -> ItemParameters:
    a = rng.uniform(0.8, 2.0, n_items)
    b = rng.uniform(-2.0, 2.0, n_items)
    c = rng.uniform(0.1, 0.25, n_items) if guessing else None
    return ItemParameters(a, b, c)


def test_it_recovers_2pl_parameters() -> None:
    rng = np.random.default_rng(11)
    truth = _bank(rng, 20)
    responses = simulate_responses(rng.normal(0, 1, 3000), truth, rng)

    result = calibrate(responses, "2pl")

    assert result.convergence.converged
    assert _rmse(result.items.a, truth.a) < 0.12
    assert _rmse(result.items.b, truth.b) < 0.12
    assert np.all(result.items.c == 0)


def test_it_reports_standard_errors_that_match_the_actual_errors() -> None:
    """Squared errors divided by squared SEs average about 1 if the SEs are honest.

    For 40 roughly independent estimates that mean has a 95% range of about 0.6-1.5; the
    bounds are wider to keep the test stable across seeds.
    """
    rng = np.random.default_rng(12)
    truth = _bank(rng, 20)
    responses = simulate_responses(rng.normal(0, 1, 3000), truth, rng)

    result = calibrate(responses, "2pl")

    z_a = (result.items.a - truth.a) / result.standard_errors.a
    z_b = (result.items.b - truth.b) / result.standard_errors.b
    assert 0.4 < float(np.mean(np.concatenate([z_a, z_b]) ** 2)) < 2.2
    assert np.all(result.standard_errors.a < 0.2)


def test_it_recovers_3pl_parameters_with_a_beta_prior_on_guessing() -> None:
    """The 3PL needs more examinees; c is pinned mostly by low-ability examinees."""
    rng = np.random.default_rng(13)
    truth = _bank(rng, 20, guessing=True)
    responses = simulate_responses(rng.normal(0, 1, 5000), truth, rng)

    result = calibrate(responses, "3pl", guessing_prior=(5.0, 17.0))

    assert result.convergence.converged
    assert _rmse(result.items.a, truth.a) < 0.3
    assert _rmse(result.items.b, truth.b) < 0.25
    assert _rmse(result.items.c, truth.c) < 0.07
    assert np.all(np.isfinite(result.standard_errors.c))


def test_it_recovers_rasch_difficulties() -> None:
    rng = np.random.default_rng(14)
    b = rng.uniform(-2, 2, 15)
    responses = simulate_responses(rng.normal(0, 1, 2000), ItemParameters(1.0, b), rng)

    result = calibrate_rasch(responses)

    assert np.all(result.items.a == 1.0)
    assert _rmse(result.items.b, b) < 0.1


def test_it_estimates_one_common_slope_for_1pl() -> None:
    rng = np.random.default_rng(15)
    b = rng.uniform(-2, 2, 15)
    responses = simulate_responses(rng.normal(0, 1, 2000), ItemParameters(1.6, b), rng)

    result = calibrate_1pl(responses)

    assert np.ptp(result.items.a) == 0
    assert result.items.a[0] == pytest.approx(1.6, abs=0.12)
    assert _rmse(result.items.b, b) < 0.1
    assert result.standard_errors.a[0] > 0


def test_it_recovers_graded_response_parameters() -> None:
    rng = np.random.default_rng(16)
    a = rng.uniform(0.9, 2.0, 10)
    thresholds = np.sort(rng.uniform(-2, 2, (10, 3)), axis=1) + np.array([-0.4, 0.0, 0.4])
    truth = GradedItems(a, thresholds)
    responses = simulate_responses(rng.normal(0, 1, 2000), truth, rng)

    result = calibrate_grm(responses)

    assert result.convergence.converged
    assert _rmse(result.items.a, a) < 0.15
    assert _rmse(result.items.thresholds, thresholds) < 0.15
    assert result.standard_errors.b.shape == (10, 3)
    assert np.all(np.isfinite(result.standard_errors.b))


def test_it_calibrates_items_that_each_examinee_saw_only_on_their_own_form() -> None:
    """Two forms share 10 items; each examinee's other form is missing (NaN)."""
    rng = np.random.default_rng(17)
    truth = _bank(rng, 30)
    theta = rng.normal(0, 1, 4000)
    seen = np.zeros((4000, 30), dtype=bool)
    seen[:2000, :20] = True
    seen[2000:, 10:] = True
    responses = simulate_responses(theta, truth, rng, observed=seen)

    result = calibrate(responses, "2pl")

    assert result.convergence.converged
    assert _rmse(result.items.a, truth.a) < 0.15
    assert _rmse(result.items.b, truth.b) < 0.12
    assert result.item_fit.n_responses.tolist() == seen.sum(axis=0).tolist()


def test_it_puts_pretest_items_on_the_anchor_scale() -> None:
    """The new sample is abler (mean 0.6, SD 1.2): a free calibration would read the items as
    0.6 logits too easy, fixed-parameter calibration must not."""
    rng = np.random.default_rng(18)
    truth = _bank(rng, 35)
    responses = simulate_responses(rng.normal(0.6, 1.2, 4000), truth, rng)
    anchors = {j: (float(truth.a[j]), float(truth.b[j])) for j in range(25)}

    anchored = calibrate(responses, "2pl", anchors=anchors)
    free = calibrate(responses[:, 25:], "2pl")

    new = slice(25, 35)
    assert anchored.population_mean == pytest.approx(0.6, abs=0.1)
    assert anchored.population_sd == pytest.approx(1.2, abs=0.1)
    assert abs(float(np.mean(anchored.items.b[new] - truth.b[new]))) < 0.1
    assert _rmse(anchored.items.b[new], truth.b[new]) < 0.15
    assert float(np.mean(free.items.b - truth.b[new])) < -0.3
    np.testing.assert_array_equal(anchored.items.a[:25], truth.a[:25])
    np.testing.assert_allclose(anchored.items.b[:25], truth.b[:25])
    assert anchored.anchors == tuple(range(25))
    assert np.all(anchored.standard_errors.a[:25] == 0)


def test_it_excludes_items_nobody_could_calibrate_and_never_returns_nan() -> None:
    rng = np.random.default_rng(19)
    truth = _bank(rng, 10)
    responses = simulate_responses(rng.normal(0, 1, 800), truth, rng)
    responses[:, 2] = 1.0
    responses[:, 5] = 0.0
    responses[:, 7] = np.nan
    responses[3, :] = np.nan

    result = calibrate(responses, "2pl")

    assert result.excluded == (2, 5, 7)
    assert any("item 2" in w and "correctly" in w for w in result.warnings)
    assert any("item 5" in w and "incorrectly" in w for w in result.warnings)
    assert any("item 7" in w and "nobody" in w for w in result.warnings)
    assert result.items.a[[2, 5, 7]].tolist() == [0.0, 0.0, 0.0]
    for array in (
        result.items.a,
        result.items.b,
        result.standard_errors.a,
        result.standard_errors.b,
        result.theta,
        result.theta_se,
        result.item_fit.infit,
        result.person_fit.lz,
    ):
        assert not np.any(np.isnan(array))
    assert result.convergence.converged


def test_it_excludes_graded_items_with_an_unused_category() -> None:
    rng = np.random.default_rng(20)
    truth = GradedItems(rng.uniform(1, 2, 4), np.tile([-1.0, 0.0, 1.0], (4, 1)))
    responses = simulate_responses(rng.normal(0, 1, 600), truth, rng)
    responses[responses[:, 1] == 2, 1] = 1

    result = calibrate_grm(responses)

    assert result.excluded == (1,)
    assert "collapse" in result.exclusion_reasons[1]
    assert not np.any(np.isnan(result.items.thresholds))


def test_it_reports_non_convergence_honestly() -> None:
    rng = np.random.default_rng(21)
    responses = simulate_responses(rng.normal(0, 1, 500), _bank(rng, 10), rng)

    result = calibrate(responses, "2pl", max_iter=1)

    assert result.convergence.converged is False
    assert result.convergence.iterations == 1
    assert result.convergence.max_change > 1e-4
    assert any("did not converge" in w for w in result.warnings)


def test_it_never_lowers_the_marginal_likelihood_between_iterations() -> None:
    rng = np.random.default_rng(22)
    responses = simulate_responses(rng.normal(0, 1, 1500), _bank(rng, 12, guessing=True), rng)

    history = np.array(calibrate(responses, "3pl").convergence.history)

    assert np.all(np.diff(history) > -1e-6 * np.abs(history[1:]))


def test_it_flags_aberrant_examinees_with_low_lz() -> None:
    """Examinees who miss the easy items and get the hard ones right fit no ability level.

    With an estimated theta lz is known to sit slightly above 0 on average for fitting
    examinees (Snijders, 2001), so only its rough centring is checked for them.
    """
    rng = np.random.default_rng(23)
    truth = _bank(rng, 30)
    responses = simulate_responses(rng.normal(0, 1, 2000), truth, rng)
    easy_wrong = (truth.b > 0).astype(float)
    responses[:20] = easy_wrong

    fit = calibrate(responses, "2pl").person_fit

    assert np.mean(fit.lz[:20] < -2) > 0.9
    assert -0.3 < float(np.mean(fit.lz[20:])) < 0.6
    assert float(np.mean(fit.lz[20:] < -2)) < 0.05


def test_it_flags_a_low_discrimination_item_under_the_rasch_model() -> None:
    """Rasch assumes equal slopes; an item with a = 0.2 underfits (mean squares above 1)."""
    rng = np.random.default_rng(24)
    a = np.ones(30)
    a[4] = 0.2
    truth = ItemParameters(a, rng.uniform(-1.5, 1.5, 30))
    responses = simulate_responses(rng.normal(0, 1, 3000), truth, rng)

    fit = calibrate_rasch(responses).item_fit

    assert fit.outfit[4] > 1.1 and fit.infit[4] > 1.1
    assert int(np.argmax(fit.outfit)) == 4 and int(np.argmax(fit.infit)) == 4
    others = np.delete(np.arange(30), 4)
    assert np.all(np.abs(fit.infit[others] - 1) < 0.15)


def test_it_warns_when_a_slope_runs_into_its_lower_bound() -> None:
    """A miskeyed item (negative true slope) cannot be fitted by a positive slope."""
    rng = np.random.default_rng(25)
    a = np.ones(20)
    a[3] = -0.8
    responses = simulate_responses(rng.normal(0, 1, 2000), ItemParameters(a, np.zeros(20)), rng)

    result = calibrate(responses, "2pl")

    assert any(w.startswith("item 3: slope at its lower bound") for w in result.warnings)


def test_it_rejects_polytomous_scores_for_dichotomous_models() -> None:
    with pytest.raises(IrtInputError, match="calibrate_grm"):
        calibrate(np.array([[0, 1, 2], [1, 0, 1]]), "2pl")


def test_it_rejects_unknown_models_and_bad_anchors() -> None:
    data = np.array([[0, 1], [1, 0], [1, 1]])
    with pytest.raises(IrtInputError):
        calibrate(data, "4pl")  # type: ignore[arg-type]
    with pytest.raises(IrtInputError):
        calibrate(data, "2pl", anchors={5: (1.0, 0.0)})


def test_it_reports_rather_than_crashes_when_no_item_can_be_calibrated() -> None:
    result = calibrate(np.array([[1.0, np.nan], [1.0, np.nan], [1.0, np.nan]]), "2pl")

    assert result.excluded == (0, 1)
    assert result.convergence.converged is False
    assert result.warnings[-1] == "no item could be calibrated"
    assert not np.any(np.isnan(result.theta))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_persons=st.integers(3, 40),
    n_items=st.integers(1, 6),
    missing=st.floats(0.0, 0.9),
    model=st.sampled_from(["rasch", "1pl", "2pl", "3pl"]),
)
def test_it_never_crashes_or_returns_nan_on_small_ragged_data(
    seed: int, n_persons: int, n_items: int, missing: float, model: str
) -> None:
    rng = np.random.default_rng(seed)
    responses = (rng.random((n_persons, n_items)) < rng.uniform(0, 1, n_items)).astype(float)
    responses[rng.random(responses.shape) < missing] = np.nan

    result = calibrate(responses, model, max_iter=50)  # type: ignore[arg-type]

    for array in (
        result.items.a,
        result.items.b,
        result.items.c,
        result.standard_errors.a,
        result.standard_errors.b,
        result.theta,
        result.theta_se,
        result.item_fit.outfit,
        result.person_fit.lz,
    ):
        assert not np.any(np.isnan(array))
    assert np.isfinite(result.convergence.log_likelihood)
