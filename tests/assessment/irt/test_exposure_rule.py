"""Sympson-Hetter with a fallback: the selection rule simulations, tuning and live delivery share.

The properties are checked against an independent oracle at every step, for a test run in one
piece (as a simulation runs it) and for one rebuilt from its record before every step (as live
delivery runs it): no item is given twice, no two enemies are given, each item comes from the
domain the blueprint says is furthest behind (the lottery never changes that), the fallback is
used only when every eligible item of that domain has lost its lottery, and a test ends for lack
of items only when no item is eligible by the content and enemy rules, so never before the
minimum length while eligible items remain.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment.irt import (
    SPRT,
    AdaptiveProcedure,
    AdaptiveSelector,
    AdaptiveTest,
    InfeasibleExposureTarget,
    ItemParameters,
    StoppingRule,
    simulation_study,
    sprt_log_likelihood_ratio,
    sympson_hetter_parameters,
)

PROPERTY = settings(max_examples=60, deadline=None)


def _bank(rng: np.random.Generator, n_items: int) -> ItemParameters:
    return ItemParameters(
        rng.uniform(0.5, 2.5, n_items), rng.normal(0, 1.2, n_items), rng.uniform(0, 0.25, n_items)
    )


class Oracle:
    """The rules restated from the documentation, sharing no code with the selector."""

    def __init__(
        self, domains: list[str], shares: dict[str, float], groups: list[list[int]]
    ) -> None:
        self.domains = domains
        total = sum(shares.values())
        self.targets = {d: shares.get(d, 0.0) / total for d in dict.fromkeys(domains)}
        self.enemies: dict[int, set[int]] = {}
        for group in groups:
            for item in group:
                self.enemies.setdefault(item, set()).update(set(group) - {item})

    def eligible(self, administered: list[int]) -> set[int]:
        blocked = set(administered)
        for item in administered:
            blocked |= self.enemies.get(item, set())
        return set(range(len(self.domains))) - blocked

    def check_choice(
        self, administered: list[int], passed: set[int], item: int, fell_back: bool
    ) -> None:
        eligible = self.eligible(administered)
        assert item in eligible, "an administered item or an enemy of one was chosen"
        n_next = len(administered) + 1
        counts = {d: sum(self.domains[i] == d for i in administered) for d in self.targets}
        gaps = {
            d: self.targets[d] * n_next - counts[d]
            for d in self.targets
            if any(self.domains[i] == d for i in eligible)
        }
        chosen = self.domains[item]
        assert gaps[chosen] >= max(gaps.values()) - 1e-9, "the blueprint's domain was skipped"
        in_domain = {i for i in eligible if self.domains[i] == chosen}
        if fell_back:
            assert in_domain <= passed, "fell back while an item of the domain had no lottery"
        else:
            assert item not in passed, "an item that lost its lottery came back by lottery"


@st.composite
def designs(draw: st.DrawFn) -> dict[str, object]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_items = draw(st.integers(4, 36))
    n_domains = draw(st.integers(1, 4))
    domains = [f"d{int(k)}" for k in rng.integers(0, n_domains, n_items)]
    in_blueprint = sorted(set(domains))[: max(1, len(set(domains)) - draw(st.integers(0, 1)))]
    shares = {d: float(rng.uniform(0.1, 1.0)) for d in in_blueprint}
    groups = [
        [int(i) for i in rng.choice(n_items, size=int(rng.integers(2, 4)), replace=False)]
        for _ in range(draw(st.integers(0, 4)))
    ]
    # Many zeros and small K: lotteries are lost all the time, so the fallback is exercised.
    exposure = rng.choice([0.0, 0.05, 0.3, 0.7, 1.0], size=n_items)
    max_items = draw(st.integers(1, n_items + 3))
    return {
        "seed": seed,
        "bank": _bank(rng, n_items),
        "domains": domains,
        "shares": shares,
        "groups": groups,
        "exposure": exposure,
        "randomesque": draw(st.integers(1, 3)),
        "max_items": max_items,
        "min_items": draw(st.integers(0, max_items)),
        "se_target": draw(st.sampled_from([None, 0.5, 0.7])),
        "sprt": draw(st.booleans()),
        "theta": draw(st.floats(-3, 3)),
        "live": draw(st.booleans()),
    }


@PROPERTY
@given(designs())
def test_every_step_follows_the_rule_in_one_piece_and_rebuilt_from_the_record(
    design: dict[str, object],
) -> None:
    bank = design["bank"]
    assert isinstance(bank, ItemParameters)
    domains: list[str] = design["domains"]  # type: ignore[assignment]
    shares: dict[str, float] = design["shares"]  # type: ignore[assignment]
    groups: list[list[int]] = design["groups"]  # type: ignore[assignment]
    selector = AdaptiveSelector(
        bank,
        domains=domains,
        blueprint=shares,
        enemies=groups,
        randomesque=int(design["randomesque"]),  # type: ignore[call-overload]
        exposure=design["exposure"],  # type: ignore[arg-type]
    )
    stopping = StoppingRule(
        max_items=int(design["max_items"]),  # type: ignore[call-overload]
        min_items=int(design["min_items"]),  # type: ignore[call-overload]
        se_target=design["se_target"],  # type: ignore[arg-type]
        sprt=SPRT(cut=0.0) if design["sprt"] else None,
    )
    procedure = AdaptiveProcedure(selector, stopping)
    oracle = Oracle(domains, shares, groups)
    seed = int(design["seed"])  # type: ignore[call-overload]
    rng = np.random.default_rng(seed)
    p_right = bank.probability(float(design["theta"]))[0]  # type: ignore[arg-type]
    test = procedure.resume([], [], rng=seed)
    while True:
        if design["live"]:  # rebuilt from the stored record, with a fresh stream, every step
            test = procedure.resume(
                test.administered,
                test.responses,
                rng=seed + len(test.administered),
                passed_over=test.passed_over,
            )
        passed_before = set(test.passed_over)
        fallbacks_before = len(test.fallbacks)
        decision = procedure.step(test)
        if decision.item is None:
            break
        fell_back = len(test.fallbacks) > fallbacks_before
        oracle.check_choice(test.administered, set(test.passed_over), decision.item, fell_back)
        assert passed_before <= set(test.passed_over)
        selector.record(test, decision.item, int(rng.random() < p_right[decision.item]))

    administered = test.administered
    assert len(administered) == len(set(administered))
    for group in groups:
        assert len(set(group) & set(administered)) <= 1
    assert len(test.passed_over) == len(set(test.passed_over))
    if decision.stop == "exhausted":
        assert not oracle.eligible(administered), "ended with eligible items left"
    else:
        assert len(administered) >= stopping.min_items


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 20))
def test_a_test_rebuilt_from_its_record_is_the_test_it_was(seed: int, steps: int) -> None:
    rng = np.random.default_rng(seed)
    n_items = 30
    domains = [f"d{i % 3}" for i in range(n_items)]
    selector = AdaptiveSelector(
        _bank(rng, n_items),
        domains=domains,
        blueprint={"d0": 0.5, "d1": 0.3, "d2": 0.2},
        enemies=[[0, 1], [2, 3, 4]],
        exposure=rng.uniform(0.0, 1.0, n_items),
    )
    live = selector.start(rng)
    for _ in range(steps):
        item = selector.next_item(live)
        if item is None:
            break
        selector.record(live, item, int(rng.random() < 0.5))

    rebuilt = selector.resume(
        live.administered, live.responses, rng=seed, passed_over=live.passed_over
    )

    assert np.array_equal(rebuilt.available, live.available)
    assert np.array_equal(rebuilt.passed, live.passed)
    assert rebuilt.remaining == live.remaining and rebuilt.counts == live.counts
    assert rebuilt.theta == pytest.approx(live.theta) and rebuilt.se == pytest.approx(live.se)
    # The same stream from the same record gives the same next item (a retried request).
    again = selector.resume(
        live.administered, live.responses, rng=seed, passed_over=live.passed_over
    )
    assert selector.next_item(rebuilt) == selector.next_item(again)
    assert rebuilt.passed_over == again.passed_over


def test_the_fallback_gives_the_best_passed_over_item_of_the_domain() -> None:
    bank = ItemParameters([0.8, 2.0, 1.2, 1.5, 2.5], [0.0, 0.1, -0.2, 0.3, 0.0])
    selector = AdaptiveSelector(
        bank, domains=["a", "a", "a", "b", "b"], blueprint={"a": 1.0, "b": 1.0}, exposure=[0.0] * 5
    )
    test = selector.start(0)

    first = selector.next_item(test)

    assert first == 1  # domain a first (ties go to the first domain); item 1 informs most there
    assert sorted(test.selected) == [0, 1, 2] and sorted(test.passed_over) == [0, 1, 2]
    assert test.fallbacks == [1]
    selector.record(test, 1, 1)
    assert selector.next_item(test) == 4  # domain b: both lose, the better one is given
    assert test.fallbacks == [1, 4]


def test_a_passed_over_item_stays_out_after_a_resume() -> None:
    bank = ItemParameters([2.5, 1.0, 1.0], [0.0, 0.0, 0.5])
    selector = AdaptiveSelector(bank, exposure=[0.5, 1.0, 1.0])

    forgotten = {selector.next_item(selector.resume([], [], rng=s)) for s in range(40)}
    remembered = {
        selector.next_item(selector.resume([], [], rng=s, passed_over=[0])) for s in range(40)
    }

    assert 0 in forgotten and 0 not in remembered


def test_the_procedure_uses_the_sprt_statistic_of_the_record() -> None:
    rng = np.random.default_rng(12)
    bank = _bank(rng, 40)
    sprt = SPRT(cut=0.3, half_width=0.25)
    procedure = AdaptiveProcedure(AdaptiveSelector(bank), StoppingRule(max_items=30, sprt=sprt))
    test: AdaptiveTest = procedure.resume([3, 7, 11, 2], [1, 0, 1, 1])
    expected = sprt_log_likelihood_ratio(bank, [3, 7, 11, 2], [1, 0, 1, 1], sprt)
    assert procedure.log_ratio(test) == pytest.approx(expected)
    decided = procedure.resume(list(range(30)), [1] * 30)
    assert procedure.step(decided).stop == "max_length"


def test_tuning_refuses_a_target_below_mean_length_over_pool_size() -> None:
    rng = np.random.default_rng(13)
    selector = AdaptiveSelector(_bank(rng, 40))
    # Ten items each from 40: every candidate takes a quarter of the pool.
    with pytest.raises(InfeasibleExposureTarget, match=r"minimum test length of 10") as low:
        sympson_hetter_parameters(selector, StoppingRule(max_items=20, min_items=10), r_max=0.2)
    assert low.value.floor == pytest.approx(0.25)
    # No minimum, but tests that run to 20 items: the floor is found in the first round.
    with pytest.raises(InfeasibleExposureTarget, match=r"mean test length in simulation of 20"):
        sympson_hetter_parameters(
            selector, StoppingRule(max_items=20), r_max=0.45, n_examinees=50, rng=1
        )


def test_tuning_refuses_a_blueprint_that_needs_more_of_a_domain_than_the_cap_allows() -> None:
    rng = np.random.default_rng(14)
    domains = ["small"] * 3 + ["large"] * 45
    selector = AdaptiveSelector(
        _bank(rng, 48), domains=domains, blueprint={"small": 0.25, "large": 0.75}
    )
    # Eight items, two of them from a domain of three: those three average 0.67 whatever K is,
    # although the pool as a whole (8 / 48 = 0.17) would allow 0.4.
    rule = StoppingRule(max_items=8, min_items=8)
    with pytest.raises(InfeasibleExposureTarget, match=r"2\.0 items .* 3 items of domain small"):
        sympson_hetter_parameters(selector, rule, r_max=0.4, n_examinees=100, rng=16)


def test_tuning_meets_the_cap_with_small_domains_under_the_shared_rule() -> None:
    rng = np.random.default_rng(14)
    domains = ["small"] * 6 + ["large"] * 42
    selector = AdaptiveSelector(
        _bank(rng, 48), domains=domains, blueprint={"small": 0.25, "large": 0.75}
    )
    rule = StoppingRule(max_items=8, min_items=8)
    thetas = np.random.default_rng(15).normal(0, 1, 400)

    result = sympson_hetter_parameters(selector, rule, r_max=0.4, theta=thetas, rng=16)

    slack = 3 * np.sqrt(0.4 * 0.6 / 400)
    assert result.converged and result.max_exposure_by_round[-1] <= 0.4 + slack
    assert result.mean_length == 8.0 and 0.0 <= result.fallback_rate < 1.0
    # On fresh candidates the cap holds within the same allowance plus their own sampling error.
    check = simulation_study(
        selector.items,
        theta=np.random.default_rng(17).normal(0, 1, 400),
        selector=selector.with_exposure(result.parameters),
        stopping=rule,
        rng=18,
    )
    assert check.max_exposure <= 0.4 + 2 * slack
    assert set(check.lengths.tolist()) == {8}
