"""Simulation studies: generate examinees with known theta, test them, and see how well it went.

A committee deciding between a 60-item fixed form and an adaptive test needs the same numbers
for both: bias and RMSE of the ability estimates, test length, how often each item is seen
(exposure, a security risk), and how often the pass/fail decision is right. ``simulation_study``
produces exactly those for either design from one call, with every random draw taken from the
``rng`` it is given, so a report can be regenerated bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import FloatArray, IntArray, IrtInputError, ItemSet
from extender.assessment.irt.procedure import AdaptiveProcedure
from extender.assessment.irt.scoring import estimate_eap
from extender.assessment.irt.selection import AdaptiveSelector, AdaptiveTest
from extender.assessment.irt.stopping import StoppingRule, StopReason

__all__ = [
    "AdaptiveOutcome",
    "SimulationReport",
    "run_adaptive_test",
    "run_procedure",
    "simulate_responses",
    "simulation_study",
]

_CHUNK = 4096


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def simulate_responses(
    theta: ArrayLike,
    items: ItemSet,
    rng: np.random.Generator | int | None = None,
    *,
    observed: ArrayLike | None = None,
) -> FloatArray:
    """Category scores (N, J) drawn from the model; NaN where ``observed`` is False."""
    generator = _generator(rng)
    thetas = np.asarray(theta, dtype=np.float64).reshape(-1)
    out = np.empty((thetas.shape[0], items.n_items))
    for start in range(0, thetas.shape[0], _CHUNK):
        block = slice(start, start + _CHUNK)
        cumulative = np.cumsum(items.category_probabilities(thetas[block]), axis=2)
        draws = generator.random((cumulative.shape[0], items.n_items, 1))
        out[block] = (draws > cumulative[:, :, :-1]).sum(axis=2)
    if observed is not None:
        out[~np.asarray(observed, dtype=bool)] = np.nan
    return out


@dataclass(frozen=True)
class AdaptiveOutcome:
    """One simulated adaptive test: what was given, the final estimate, and why it stopped.

    ``selected`` lists the items put to the exposure lottery, ``passed_over`` those that lost
    it and ``fallbacks`` the passed-over items given anyway by the fallback rule."""

    administered: tuple[int, ...]
    responses: tuple[int, ...]
    selected: tuple[int, ...]
    theta: float
    se: float
    stop_reason: StopReason
    passed: bool | None
    passed_over: tuple[int, ...] = ()
    fallbacks: tuple[int, ...] = ()


def run_adaptive_test(
    selector: AdaptiveSelector,
    true_theta: float,
    stopping: StoppingRule,
    rng: np.random.Generator | int | None = None,
    *,
    cut: float | None = None,
) -> AdaptiveOutcome:
    """Give one simulated examinee an adaptive test; ``passed`` uses the SPRT or ``cut``."""
    return run_procedure(AdaptiveProcedure(selector, stopping), true_theta, rng, cut=cut)


def run_procedure(
    procedure: AdaptiveProcedure,
    true_theta: float,
    rng: np.random.Generator | int | None = None,
    *,
    cut: float | None = None,
) -> AdaptiveOutcome:
    """:func:`run_adaptive_test` with a prebuilt procedure (reused across examinees).

    Every decision is :meth:`AdaptiveProcedure.step`, the function live delivery calls."""
    generator = _generator(rng)
    selector = procedure.selector
    test = selector.start(generator)
    cumulative = np.cumsum(selector.items.category_probabilities(true_theta)[0], axis=1)
    while True:
        decision = procedure.step(test)
        if decision.item is None:
            break
        response = int((generator.random() > cumulative[decision.item, :-1]).sum())
        selector.record(test, decision.item, response)
    assert decision.stop is not None
    return _outcome(test, decision.stop, procedure.stopping, cut)


def _outcome(
    test: AdaptiveTest, reason: StopReason, stopping: StoppingRule, cut: float | None
) -> AdaptiveOutcome:
    passed: bool | None = None
    if reason in ("classified_pass", "classified_fail"):
        passed = reason == "classified_pass"
    elif cut is not None or stopping.sprt is not None:
        threshold = cut if cut is not None else stopping.sprt.cut  # type: ignore[union-attr]
        passed = test.theta >= threshold
    return AdaptiveOutcome(
        administered=tuple(test.administered),
        responses=tuple(test.responses),
        selected=tuple(test.selected),
        theta=test.theta,
        se=test.se,
        stop_reason=reason,
        passed=passed,
        passed_over=tuple(test.passed_over),
        fallbacks=tuple(test.fallbacks),
    )


@dataclass(frozen=True)
class SimulationReport:
    """Recovery and operating characteristics of one test design on simulated examinees.

    ``exposure_rates`` is the share of examinees given each item, ``selection_rates`` the share
    whose test put it to the exposure lottery, ``fallback_rates`` the share given it by the
    fallback rule after it had lost the lottery."""

    true_theta: FloatArray
    estimated_theta: FloatArray
    lengths: IntArray
    bias: float
    rmse: float
    mean_length: float
    exposure_rates: FloatArray
    selection_rates: FloatArray
    max_exposure: float
    classification_accuracy: float | None
    stop_reasons: dict[str, int]
    fallback_rates: FloatArray


def simulation_study(
    items: ItemSet,
    *,
    theta: ArrayLike | None = None,
    n_examinees: int = 1000,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    form: Sequence[int] | None = None,
    selector: AdaptiveSelector | None = None,
    stopping: StoppingRule | None = None,
    cut: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> SimulationReport:
    """Simulate a fixed ``form`` (item indices) or an adaptive test through ``selector``.

    True abilities are ``theta`` if given, else ``n_examinees`` draws from
    N(``theta_mean``, ``theta_sd``). The fixed form is scored by EAP; the adaptive test by the
    selector's running EAP. Classification accuracy compares ``theta_hat >= cut`` (or the
    SPRT decision) with ``theta_true >= cut``.
    """
    generator = _generator(rng)
    if theta is None:
        thetas = generator.normal(theta_mean, theta_sd, n_examinees)
    else:
        thetas = np.asarray(theta, dtype=np.float64).reshape(-1)
    if (form is None) == (selector is None):
        raise IrtInputError("give exactly one of form (fixed test) or selector (adaptive test)")
    if form is not None:
        return _fixed_form_study(items, list(form), thetas, cut, generator)
    assert selector is not None
    rule = stopping or StoppingRule()
    effective_cut = cut if cut is not None else (rule.sprt.cut if rule.sprt else None)
    procedure = AdaptiveProcedure(selector, rule)
    outcomes = [run_procedure(procedure, float(t), generator, cut=cut) for t in thetas]
    n_items = selector.items.n_items
    given = np.zeros(n_items)
    chosen = np.zeros(n_items)
    fallen_back = np.zeros(n_items)
    for outcome in outcomes:
        given[list(outcome.administered)] += 1
        np.add.at(chosen, list(outcome.selected), 1)
        fallen_back[list(outcome.fallbacks)] += 1
    estimates = np.array([outcome.theta for outcome in outcomes])
    passed = [outcome.passed for outcome in outcomes]
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        reasons[outcome.stop_reason] = reasons.get(outcome.stop_reason, 0) + 1
    return _report(
        thetas,
        estimates,
        np.array([len(outcome.administered) for outcome in outcomes], dtype=np.int64),
        given / max(len(outcomes), 1),
        chosen / max(len(outcomes), 1),
        _accuracy(thetas, passed, effective_cut),
        reasons,
        fallen_back / max(len(outcomes), 1),
    )


def _fixed_form_study(
    items: ItemSet, form: list[int], thetas: FloatArray, cut: float | None, rng: np.random.Generator
) -> SimulationReport:
    if not form or len(set(form)) != len(form):
        raise IrtInputError("a fixed form needs distinct item indices")
    sub = items.subset(form)
    responses = simulate_responses(thetas, sub, rng)
    estimates = estimate_eap(responses, sub).theta
    exposure = np.zeros(items.n_items)
    exposure[form] = 1.0
    passed: list[bool | None] = [bool(v) for v in estimates >= cut] if cut is not None else []
    return _report(
        thetas,
        estimates,
        np.full(thetas.shape[0], len(form), dtype=np.int64),
        exposure,
        exposure.copy(),
        _accuracy(thetas, passed, cut),
        {"max_length": int(thetas.shape[0])},
        np.zeros(items.n_items),
    )


def _accuracy(thetas: FloatArray, passed: list[bool | None], cut: float | None) -> float | None:
    if cut is None or not passed or any(value is None for value in passed):
        return None
    decided = np.array(passed, dtype=bool)
    return float(np.mean(decided == (thetas >= cut)))


def _report(
    thetas: FloatArray,
    estimates: FloatArray,
    lengths: IntArray,
    exposure: FloatArray,
    selection: FloatArray,
    accuracy: float | None,
    reasons: dict[str, int],
    fallbacks: FloatArray,
) -> SimulationReport:
    error = estimates - thetas
    return SimulationReport(
        true_theta=thetas,
        estimated_theta=estimates,
        lengths=lengths,
        bias=float(error.mean()) if error.size else 0.0,
        rmse=float(np.sqrt(np.mean(error**2))) if error.size else 0.0,
        mean_length=float(lengths.mean()) if lengths.size else 0.0,
        exposure_rates=exposure,
        selection_rates=selection,
        max_exposure=float(exposure.max(initial=0.0)),
        classification_accuracy=accuracy,
        stop_reasons=reasons,
        fallback_rates=fallbacks,
    )
