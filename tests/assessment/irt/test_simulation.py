"""Simulation studies, Sympson-Hetter parameters and the SVG chart helpers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from extender.assessment.irt import (
    SPRT,
    AdaptiveSelector,
    GradedItems,
    IrtInputError,
    ItemParameters,
    StoppingRule,
    plots,
    simulate_responses,
    simulation_study,
    sympson_hetter_parameters,
)

SVG = "{http://www.w3.org/2000/svg}"


def _bank(seed: int, n_items: int) -> ItemParameters:
    rng = np.random.default_rng(seed)
    return ItemParameters(rng.uniform(0.7, 2.2, n_items), rng.normal(0, 1, n_items))


def test_it_simulates_responses_with_the_model_probabilities() -> None:
    bank = ItemParameters([1.0, 2.0], [0.0, 1.0], [0.0, 0.2])
    responses = simulate_responses(np.full(40_000, 0.5), bank, rng=1)
    expected = bank.probability(0.5)[0]
    # binomial SE at n = 40,000 is at most 0.0025
    np.testing.assert_allclose(responses.mean(axis=0), expected, atol=0.01)


def test_it_simulates_graded_categories_and_missing_cells() -> None:
    bank = GradedItems([1.2], [[-1.0, 0.0, 1.0]])
    observed = np.ones((30_000, 1), dtype=bool)
    observed[::2] = False
    responses = simulate_responses(np.zeros(30_000), bank, rng=2, observed=observed)
    assert np.isnan(responses[::2]).all()
    shares = np.bincount(responses[1::2, 0].astype(int), minlength=4) / 15_000
    np.testing.assert_allclose(shares, bank.category_probabilities(0.0)[0, 0], atol=0.015)


def test_it_repeats_a_study_exactly_from_the_same_seed() -> None:
    bank = _bank(1, 120)
    selector = AdaptiveSelector(bank, randomesque=3)
    rule = StoppingRule(max_items=15)
    first = simulation_study(bank, selector=selector, stopping=rule, n_examinees=50, rng=9)
    second = simulation_study(bank, selector=selector, stopping=rule, n_examinees=50, rng=9)
    np.testing.assert_array_equal(first.estimated_theta, second.estimated_theta)
    np.testing.assert_array_equal(first.exposure_rates, second.exposure_rates)


def test_it_reports_recovery_of_a_fixed_form() -> None:
    """40 items with a in 0.7-2.2 give an SE near 0.3 in the middle, so RMSE ~0.3-0.35."""
    bank = _bank(2, 40)
    report = simulation_study(bank, form=range(40), n_examinees=2000, cut=0.5, rng=3)

    assert report.mean_length == 40
    assert abs(report.bias) < 0.05
    assert 0.2 < report.rmse < 0.45
    assert report.exposure_rates.tolist() == [1.0] * 40
    assert report.classification_accuracy is not None
    assert report.classification_accuracy > 0.85


def test_it_reports_an_adaptive_test_that_stops_at_its_precision_target() -> None:
    bank = _bank(3, 300)
    selector = AdaptiveSelector(bank)
    rule = StoppingRule(max_items=40, se_target=0.35)

    report = simulation_study(bank, selector=selector, stopping=rule, n_examinees=150, rng=4)

    assert report.stop_reasons.get("se_target", 0) > 140
    assert report.mean_length < 20
    assert report.rmse < 0.45
    assert report.exposure_rates.sum() == pytest.approx(report.lengths.mean())
    assert report.classification_accuracy is None


def test_it_reports_classification_accuracy_for_an_sprt_exam() -> None:
    bank = _bank(4, 300)
    rule = StoppingRule(max_items=50, min_items=5, sprt=SPRT(cut=0.3, half_width=0.25))
    report = simulation_study(
        bank, selector=AdaptiveSelector(bank), stopping=rule, n_examinees=200, rng=5
    )
    assert report.classification_accuracy is not None
    assert report.classification_accuracy > 0.85
    assert report.mean_length < 40


def test_it_needs_exactly_one_design() -> None:
    bank = _bank(5, 10)
    with pytest.raises(IrtInputError):
        simulation_study(bank)
    with pytest.raises(IrtInputError):
        simulation_study(bank, form=[0, 1], selector=AdaptiveSelector(bank))


def test_it_finds_sympson_hetter_parameters_that_cap_exposure() -> None:
    bank = _bank(6, 150)
    selector = AdaptiveSelector(bank)
    rule = StoppingRule(max_items=10)
    thetas = np.random.default_rng(7).normal(0, 1, 400)
    unconstrained = simulation_study(bank, theta=thetas, selector=selector, stopping=rule, rng=8)

    result = sympson_hetter_parameters(selector, rule, r_max=0.3, theta=thetas, rng=8)

    assert unconstrained.max_exposure > 0.6
    assert result.converged
    assert result.max_exposure_by_round[0] == pytest.approx(unconstrained.max_exposure, abs=0.1)
    assert result.max_exposure_by_round[-1] <= 0.3 + 3 * np.sqrt(0.3 * 0.7 / 400)
    assert np.all((result.parameters > 0) & (result.parameters <= 1))
    assert (result.parameters < 1).any()


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_it_draws_test_information_as_an_svg_polyline() -> None:
    root = _parse(plots.test_information_svg(_bank(7, 20), title="Form A <draft>"))
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1
    assert len(lines[0].get("points", "").split()) == 161
    assert any(t.text == "Form A <draft>" for t in root.iter(f"{SVG}text"))


def test_it_draws_one_icc_per_requested_item() -> None:
    root = _parse(plots.icc_svg(_bank(8, 10), [1, 4, 7]))
    assert len(root.findall(f"{SVG}polyline")) == 3


def test_it_draws_an_exposure_histogram_with_one_bar_per_nonempty_bin() -> None:
    root = _parse(plots.exposure_histogram_svg([0.01, 0.02, 0.5, 0.51, 0.99], bins=10))
    assert len(root.findall(f"{SVG}rect")) == 3
