"""Adaptive item selection: maximum information under content, exposure and enemy constraints.

Everything that depends only on the bank is computed once when an :class:`AdaptiveSelector` is
built: item information on a fine theta grid (step 0.01), log-probabilities on the EAP grid,
per-domain masks and enemy lists. Choosing the next item is then a grid lookup, one masked
``argmax`` over the bank and a few scalar operations — tens of microseconds for a 1,000-item
bank, so a delivery server can afford it on every request.

Rules, in the order they are applied:

1. An item already administered, or an enemy of one already administered, is never offered
   again. The others are *eligible*.
2. Content balancing (when a blueprint is given): the next item comes from the domain whose
   count lags its target share the most, ``target_d * (n + 1) - count_d``, among domains with
   eligible items left. Domains missing from the blueprint have target 0 and are used only when
   every blueprint domain is exhausted. The exposure lottery never changes this choice.
3. Within the domain, the most informative eligible item at the current theta that has not lost
   a lottery in this test, or one drawn uniformly from the ``randomesque`` most informative.
4. Sympson-Hetter: the chosen item is administered with probability ``K_i``; otherwise it is
   *passed over* for the rest of this test (recorded in ``AdaptiveTest.passed_over``) and step
   3 runs again.
5. Fallback ("Sympson-Hetter with a fallback"): when every eligible item of the domain has been
   passed over, the most informative of them is administered without a lottery. A test
   therefore ends for lack of items (``next_item`` returns None) only when no item is eligible
   by the content and enemy rules, never because the lottery ran out of candidates.

A test is a pure function of its stored record: ``resume`` replays the administered items,
their responses *and the items passed over*, so a test rebuilt step by step (as live delivery
does) follows the same rules the exposure parameters were tuned under in simulation.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import (
    PROBABILITY_FLOOR,
    BoolArray,
    FloatArray,
    IntArray,
    IrtInputError,
    ItemSet,
)

__all__ = ["AdaptiveSelector", "AdaptiveTest"]

_GRID_STEP = 0.01
_GRID_BOUND = 5.0


@dataclass(eq=False)
class AdaptiveTest:
    """One examinee's adaptive test in progress; cheap to create, owned by one session.

    ``theta`` and ``se`` are the EAP and posterior SD after the responses so far. ``available``
    marks the eligible items (neither administered nor an enemy of one administered) and
    ``remaining`` counts them per domain; ``passed`` marks items that lost their exposure lottery
    in this test, listed in order in ``passed_over``. ``selected`` logs every item put to the
    lottery (or, without exposure control, every pick; a repeat if ``next_item`` is asked twice
    before ``record``) and ``fallbacks`` the passed-over items administered by the fallback
    rule; simulations use both to tune Sympson-Hetter parameters.
    """

    rng: np.random.Generator
    available: BoolArray
    passed: BoolArray
    remaining: list[int]
    counts: list[int]
    log_posterior: FloatArray
    theta: float
    se: float
    administered: list[int] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    passed_over: list[int] = field(default_factory=list)
    selected: list[int] = field(default_factory=list)
    fallbacks: list[int] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.administered)


class AdaptiveSelector:
    """Chooses items for adaptive tests from one bank; share one instance across examinees."""

    def __init__(
        self,
        items: ItemSet,
        *,
        domains: Sequence[Hashable] | None = None,
        blueprint: Mapping[Hashable, float] | None = None,
        enemies: Iterable[Iterable[int]] = (),
        randomesque: int = 1,
        exposure: ArrayLike | None = None,
        prior_mean: float = 0.0,
        prior_sd: float = 1.0,
        eap_points: int = 81,
    ) -> None:
        self.items = items
        n_items = items.n_items
        if randomesque < 1:
            raise IrtInputError("randomesque must be at least 1")
        self.randomesque = int(randomesque)
        self._grid_low = -_GRID_BOUND
        self._grid_last = round(2 * _GRID_BOUND / _GRID_STEP)
        grid = np.linspace(-_GRID_BOUND, _GRID_BOUND, self._grid_last + 1)
        self._info = np.ascontiguousarray(items.information(grid))
        self._domain_names, self._domain_of, self._targets = _blueprint(domains, blueprint, n_items)
        n_domains = len(self._domain_names)
        self._domain_masks = [self._domain_of == d for d in range(n_domains)]
        self._domain_sizes = [int(v) for v in np.bincount(self._domain_of, minlength=n_domains)]
        self._domain_list = [int(v) for v in self._domain_of]
        self._balanced = blueprint is not None
        self._enemies = _enemy_lists(enemies, n_items)
        self.exposure = _exposure(exposure, n_items)
        self._eap_grid = prior_mean + prior_sd * np.linspace(-5.0, 5.0, eap_points)
        self._log_prior = -0.5 * np.linspace(-5.0, 5.0, eap_points) ** 2
        probs = items.category_probabilities(self._eap_grid)
        self._log_probs = np.log(np.maximum(probs, PROBABILITY_FLOOR)).transpose(1, 2, 0).copy()
        self._n_categories = items.n_categories

    @property
    def domain_names(self) -> tuple[Hashable, ...]:
        return self._domain_names

    @property
    def domain_of(self) -> IntArray:
        return self._domain_of

    def with_exposure(self, exposure: ArrayLike | None) -> AdaptiveSelector:
        """A copy sharing every precomputed table but with other Sympson-Hetter parameters."""
        clone = object.__new__(AdaptiveSelector)
        clone.__dict__.update(self.__dict__)
        clone.exposure = _exposure(exposure, self.items.n_items)
        return clone

    def start(self, rng: np.random.Generator | int | None = None) -> AdaptiveTest:
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        log_post = self._log_prior.copy()
        theta, se = self._eap(log_post)
        return AdaptiveTest(
            rng=generator,
            available=np.ones(self.items.n_items, dtype=bool),
            passed=np.zeros(self.items.n_items, dtype=bool),
            remaining=list(self._domain_sizes),
            counts=[0] * len(self._domain_names),
            log_posterior=log_post,
            theta=theta,
            se=se,
        )

    def resume(
        self,
        administered: Sequence[int],
        responses: Sequence[int],
        rng: np.random.Generator | int | None = None,
        *,
        passed_over: Iterable[int] = (),
    ) -> AdaptiveTest:
        """Rebuild a test from its stored record (e.g. at every step of live delivery).

        ``passed_over`` lists the items that lost their Sympson-Hetter lottery earlier in this
        test; they stay passed over, exactly as in an uninterrupted (simulated) test, so the
        exposure parameters mean the same thing live as where they were tuned.
        """
        if len(administered) != len(responses):
            raise IrtInputError("administered items and responses differ in length")
        test = self.start(rng)
        for item, response in zip(administered, responses, strict=True):
            self._apply(test, item, response)
        test.theta, test.se = self._eap(test.log_posterior)
        for item in passed_over:
            self._pass_over(test, self._check_item(item))
        return test

    def next_item(self, test: AdaptiveTest, theta: float | None = None) -> int | None:
        """The item to give next at ``theta`` (default: the test's EAP), or None when no item is
        eligible by the content and enemy rules (see the module docstring for the rules)."""
        position = ((test.theta if theta is None else theta) - self._grid_low) / _GRID_STEP
        info = self._info[min(max(int(position + 0.5), 0), self._grid_last)]
        eligible = self._candidates(test)
        if eligible is None:
            return None
        while True:
            candidates = eligible & ~test.passed
            if not candidates.any():
                # Every eligible item of the domain lost its lottery: the best of them is given.
                item = int(np.where(eligible, info, -1.0).argmax())
                test.fallbacks.append(item)
                return item
            item = self._most_informative(candidates, info, test.rng)
            test.selected.append(item)
            if self.exposure is None or test.rng.random() < self.exposure[item]:
                return item
            self._pass_over(test, item)

    def record(self, test: AdaptiveTest, item: int, response: int) -> None:
        """Score one response: update availability, content counts and the EAP."""
        self._apply(test, item, response)
        test.theta, test.se = self._eap(test.log_posterior)

    def _apply(self, test: AdaptiveTest, item: int, response: int) -> None:
        item = self._check_item(item)
        if item in test.administered:
            raise IrtInputError(f"item {item} was already administered")
        if any(int(enemy) in test.administered for enemy in self._enemies[item]):
            raise IrtInputError(f"item {item} is an enemy of an item already administered")
        if not 0 <= int(response) < self._n_categories[item]:
            raise IrtInputError(f"response {response} is not a category of item {item}")
        test.administered.append(item)
        test.responses.append(int(response))
        test.counts[self._domain_list[item]] += 1
        self._retire(test, item)
        for enemy in self._enemies[item]:
            self._retire(test, int(enemy))
        test.log_posterior += self._log_probs[item, int(response)]

    def _check_item(self, item: int) -> int:
        item = int(item)
        if not 0 <= item < self.items.n_items:
            raise IrtInputError(f"item {item} is not in the bank")
        return item

    def _pass_over(self, test: AdaptiveTest, item: int) -> None:
        if not test.passed[item]:
            test.passed[item] = True
            test.passed_over.append(item)

    def _retire(self, test: AdaptiveTest, item: int) -> None:
        if test.available[item]:
            test.available[item] = False
            test.remaining[self._domain_list[item]] -= 1

    def _candidates(self, test: AdaptiveTest) -> BoolArray | None:
        if not self._balanced:
            return test.available if sum(test.remaining) > 0 else None
        n_next = len(test.administered) + 1
        best, best_gap = -1, -np.inf
        for d, target in enumerate(self._targets):
            if test.remaining[d] > 0:
                gap = target * n_next - test.counts[d]
                if gap > best_gap:
                    best, best_gap = d, gap
        if best < 0:
            return None
        candidates: BoolArray = test.available & self._domain_masks[best]
        return candidates

    def _most_informative(
        self, candidates: BoolArray, info: FloatArray, rng: np.random.Generator
    ) -> int:
        scores = np.where(candidates, info, -1.0)
        if self.randomesque == 1:
            return int(scores.argmax())
        k = min(self.randomesque, int(candidates.sum()))
        top = np.argpartition(scores, -k)[-k:]
        return int(top[rng.integers(k)])

    def _eap(self, log_posterior: FloatArray) -> tuple[float, float]:
        weights = np.exp(log_posterior - log_posterior.max())
        weights /= weights.sum()
        mean = float(weights @ self._eap_grid)
        spread = float(weights @ (self._eap_grid - mean) ** 2)
        return mean, spread**0.5


def _blueprint(
    domains: Sequence[Hashable] | None,
    blueprint: Mapping[Hashable, float] | None,
    n_items: int,
) -> tuple[tuple[Hashable, ...], IntArray, tuple[float, ...]]:
    labels: list[Hashable] = ["all"] * n_items if domains is None else list(domains)
    if len(labels) != n_items:
        raise IrtInputError(f"{len(labels)} domain labels for {n_items} items")
    if blueprint is not None and domains is None:
        raise IrtInputError("a blueprint needs the domain of every item")
    names = tuple(dict.fromkeys([*(blueprint or {}), *labels]))
    index = {name: position for position, name in enumerate(names)}
    domain_of = np.array([index[label] for label in labels], dtype=np.int64)
    shares = dict(blueprint or {})
    if any(value < 0 for value in shares.values()) or (shares and sum(shares.values()) <= 0):
        raise IrtInputError("blueprint targets must be non-negative and not all zero")
    total = sum(shares.values()) or 1.0
    targets = tuple(float(shares.get(name, 0.0)) / total for name in names)
    return names, domain_of, targets


def _enemy_lists(groups: Iterable[Iterable[int]], n_items: int) -> list[IntArray]:
    linked: list[set[int]] = [set() for _ in range(n_items)]
    for group in groups:
        members = [int(item) for item in group]
        if any(not 0 <= item < n_items for item in members):
            raise IrtInputError("an enemy group names an item outside the bank")
        for item in members:
            linked[item].update(other for other in members if other != item)
    return [np.array(sorted(others), dtype=np.int64) for others in linked]


def _exposure(exposure: ArrayLike | None, n_items: int) -> FloatArray | None:
    if exposure is None:
        return None
    values = np.asarray(exposure, dtype=np.float64).reshape(-1)
    if values.shape[0] != n_items or np.any((values < 0) | (values > 1)):
        raise IrtInputError("Sympson-Hetter parameters must be one probability per item")
    return values
