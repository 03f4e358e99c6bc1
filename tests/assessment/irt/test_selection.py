"""Adaptive selection: the rules that must hold for every examinee, checked as properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment.irt import (
    SPRT,
    AdaptiveSelector,
    AdaptiveTest,
    IrtInputError,
    ItemParameters,
    StoppingRule,
    run_adaptive_test,
    sprt_log_likelihood_ratio,
)

PROPERTY = settings(max_examples=25, deadline=None)


def _bank(rng: np.random.Generator, n_items: int) -> ItemParameters:
    return ItemParameters(
        rng.uniform(0.5, 2.5, n_items), rng.normal(0, 1.2, n_items), rng.uniform(0, 0.25, n_items)
    )


def _run(selector: AdaptiveSelector, test: AdaptiveTest, length: int, true_theta: float) -> None:
    rng = np.random.default_rng(len(test.administered) + 7)
    for _ in range(length):
        item = selector.next_item(test)
        if item is None:
            return
        p = float(selector.items.category_probabilities(true_theta)[0, item, 1])
        selector.record(test, item, int(rng.random() < p))


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(10, 60),
    length=st.integers(1, 70),
    randomesque=st.integers(1, 4),
    true_theta=st.floats(-3, 3),
)
def test_it_never_repeats_an_item_or_administers_two_enemies(
    seed: int, n_items: int, length: int, randomesque: int, true_theta: float
) -> None:
    rng = np.random.default_rng(seed)
    groups = [rng.choice(n_items, size=int(rng.integers(2, 4)), replace=False) for _ in range(5)]
    selector = AdaptiveSelector(
        _bank(rng, n_items),
        enemies=groups,
        randomesque=randomesque,
        exposure=rng.uniform(0.3, 1.0, n_items),
    )
    test = selector.start(rng)

    _run(selector, test, length, true_theta)

    given_items = test.administered
    assert len(given_items) == len(set(given_items))
    for group in groups:
        assert len(set(group.tolist()) & set(given_items)) <= 1


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    weights=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=5),
    length=st.integers(1, 30),
    true_theta=st.floats(-3, 3),
)
def test_it_keeps_every_domain_within_one_item_of_its_blueprint_share(
    seed: int, weights: list[float], length: int, true_theta: float
) -> None:
    """Largest-deficit balancing keeps |count_d - target_d * n| < 1 after every item, as long
    as every domain has items left."""
    rng = np.random.default_rng(seed)
    names = [f"d{k}" for k in range(len(weights))]
    domains = [names[k % len(names)] for k in range(30 * len(names))]
    targets = np.array(weights) / sum(weights)
    selector = AdaptiveSelector(
        _bank(rng, len(domains)), domains=domains, blueprint=dict(zip(names, weights, strict=True))
    )
    test = selector.start(rng)

    for n in range(1, length + 1):
        _run(selector, test, 1, true_theta)
        counts = np.array([sum(domains[i] == name for i in test.administered) for name in names])
        assert np.all(np.abs(counts - targets * n) < 1.0)


def test_it_uses_domains_outside_the_blueprint_only_when_the_blueprint_runs_dry() -> None:
    rng = np.random.default_rng(3)
    domains = ["core"] * 5 + ["extra"] * 10
    selector = AdaptiveSelector(_bank(rng, 15), domains=domains, blueprint={"core": 1.0})
    test = selector.start(0)

    _run(selector, test, 8, 0.0)

    assert [domains[i] for i in test.administered] == ["core"] * 5 + ["extra"] * 3


def test_it_picks_the_most_informative_item_at_the_current_theta() -> None:
    rng = np.random.default_rng(4)
    bank = _bank(rng, 200)
    selector = AdaptiveSelector(bank)
    test = selector.start(0)
    for theta in (-2.0, -0.37, 0.0, 1.234, 2.9):
        item = selector.next_item(test, theta)
        assert item is not None
        info = bank.information(theta)[0]
        assert info[item] >= info.max() * (1 - 1e-3)


def test_it_draws_randomesque_items_from_the_top_k() -> None:
    rng = np.random.default_rng(5)
    bank = _bank(rng, 100)
    selector = AdaptiveSelector(bank, randomesque=4)
    top4 = set(np.argsort(bank.information(0.0)[0])[-4:].tolist())

    firsts = {selector.next_item(selector.start(seed), 0.0) for seed in range(200)}

    assert firsts == top4


def test_it_never_administers_an_item_whose_exposure_parameter_is_zero() -> None:
    rng = np.random.default_rng(6)
    bank = _bank(rng, 30)
    exposure = np.ones(30)
    blocked = np.argsort(bank.information(0.0)[0])[-10:]
    exposure[blocked] = 0.0
    selector = AdaptiveSelector(bank, exposure=exposure)

    for seed in range(20):
        test = selector.start(seed)
        _run(selector, test, 15, float(rng.normal()))
        assert not set(test.administered) & set(blocked.tolist())
        assert set(test.selected) - set(test.administered) <= set(blocked.tolist())


def test_it_returns_none_when_the_bank_is_exhausted() -> None:
    selector = AdaptiveSelector(ItemParameters([1.0, 1.0, 1.0], [0.0, 1.0, -1.0]))
    test = selector.start(0)
    _run(selector, test, 10, 0.0)
    assert sorted(test.administered) == [0, 1, 2]
    assert selector.next_item(test) is None


def test_it_refuses_to_record_a_repeat_or_an_enemy() -> None:
    selector = AdaptiveSelector(ItemParameters([1.0] * 4, [0.0] * 4), enemies=[[0, 3]])
    test = selector.start(0)
    selector.record(test, 0, 1)
    with pytest.raises(IrtInputError, match="already"):
        selector.record(test, 0, 1)
    with pytest.raises(IrtInputError, match="enemy"):
        selector.record(test, 3, 0)
    with pytest.raises(IrtInputError, match="category"):
        selector.record(test, 1, 2)


def test_it_resumes_a_test_from_stored_responses() -> None:
    rng = np.random.default_rng(8)
    selector = AdaptiveSelector(_bank(rng, 50), enemies=[[1, 2]])
    live = selector.start(1)
    _run(selector, live, 12, 0.5)

    resumed = selector.resume(live.administered, live.responses)

    assert resumed.theta == pytest.approx(live.theta)
    assert resumed.se == pytest.approx(live.se)
    assert np.array_equal(resumed.available, live.available)
    assert selector.next_item(resumed) == selector.next_item(live)


def test_it_tracks_the_eap_with_shrinking_standard_error() -> None:
    rng = np.random.default_rng(9)
    selector = AdaptiveSelector(_bank(rng, 300))
    test = selector.start(2)
    ses = [test.se]
    for _ in range(25):
        _run(selector, test, 1, 1.5)
        ses.append(test.se)
    assert ses[0] == pytest.approx(1.0, abs=1e-3)
    assert ses[-1] < 0.4
    assert test.theta == pytest.approx(1.5, abs=0.9)


def test_it_computes_the_sprt_statistic_from_the_two_edge_likelihoods() -> None:
    bank = ItemParameters([1.0, 1.5, 0.8], [0.0, 0.5, -0.5], [0.0, 0.2, 0.1])
    sprt = SPRT(cut=0.2, half_width=0.3)
    high, low = bank.probability(0.5)[0], bank.probability(-0.1)[0]
    responses = [1, 0, 1]
    expected = sum(
        np.log(h if x else 1 - h) - np.log(lo if x else 1 - lo)
        for h, lo, x in zip(high, low, responses, strict=True)
    )
    assert sprt_log_likelihood_ratio(bank, [0, 1, 2], responses, sprt) == pytest.approx(expected)
    assert sprt.decide(sprt.upper + 1e-9) == "pass"
    assert sprt.decide(sprt.lower - 1e-9) == "fail"
    assert sprt.decide(0.0) is None


def test_it_stops_for_each_reason() -> None:
    rule = StoppingRule(max_items=10, min_items=3, se_target=0.3, sprt=SPRT(cut=0.0))
    assert rule.reason(10, 0.9) == "max_length"
    assert rule.reason(2, 0.1, log_ratio=50.0) is None
    assert rule.reason(5, 0.29) == "se_target"
    assert rule.reason(5, 0.9, log_ratio=50.0) == "classified_pass"
    assert rule.reason(5, 0.9, log_ratio=-50.0) == "classified_fail"
    assert rule.reason(5, 0.9) is None


def test_it_classifies_clear_cases_quickly_with_the_sprt() -> None:
    rng = np.random.default_rng(10)
    selector = AdaptiveSelector(_bank(rng, 300))
    rule = StoppingRule(max_items=60, sprt=SPRT(cut=0.0, half_width=0.25))
    outcomes = [
        run_adaptive_test(selector, theta, rule, seed)
        for seed, theta in itertools.product(range(10), (-2.0, 2.0))
    ]
    for outcome in outcomes:
        assert outcome.stop_reason in ("classified_pass", "classified_fail")
        assert outcome.passed == (outcome.stop_reason == "classified_pass")
        assert len(outcome.administered) < 25
    assert np.mean([o.passed == (o.theta > 0) for o in outcomes]) > 0.9


def test_it_rejects_a_blueprint_without_domains() -> None:
    with pytest.raises(IrtInputError):
        AdaptiveSelector(ItemParameters([1.0], [0.0]), blueprint={"a": 1.0})
