"""Ability estimates for scored response patterns: EAP, MAP and bounded MLE.

Which to use: EAP (the default for reporting and for adaptive testing) is defined for every
pattern, including all-correct and all-wrong, and its posterior SD is a ready-made SE. MAP is
its mode-based cousin. MLE carries no prior, so it is unbiased in the middle of the scale, but
it does not exist for all-correct or all-wrong patterns: there we return the nearer bound of
``bounds`` (default -4..4), set ``at_bound``, and report the SE at that bound, rather than
let an optimiser run off to infinity. Examinees with no responses get theta 0 from MLE (with
an infinite SE) and the prior from EAP/MAP.

All estimators are vectorised over examinees; missing cells (NaN or negative) are skipped, so
examinees who sat different forms are scored in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from extender.assessment.irt.quadrature import Quadrature, normal_quadrature, posterior_table
from extender.assessment.irt.responses import (
    ResponseMatrix,
    log_likelihood_table,
    prepare_responses,
)

__all__ = ["AbilityEstimates", "estimate_eap", "estimate_map", "estimate_mle"]

DEFAULT_BOUNDS = (-4.0, 4.0)
_CHUNK = 8192
_MAX_NEWTON = 60


@dataclass(frozen=True)
class AbilityEstimates:
    """Theta, its standard error, and where the estimator had to fall back on a bound."""

    theta: FloatArray
    se: FloatArray
    method: str
    at_bound: BoolArray
    n_responses: IntArray


def estimate_eap(
    responses: ArrayLike,
    items: ItemSet,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    quadrature: Quadrature | None = None,
) -> AbilityEstimates:
    """Posterior mean and SD under a normal prior, by quadrature (61 nodes over +/-6 SD)."""
    data = _coded(responses, items)
    quad = (quadrature or normal_quadrature(61, 6.0)).moved(prior_mean, prior_sd)
    nodes = quad.nodes
    log_probs = _log_category_probs(items, nodes)
    theta = np.empty(data.n_persons)
    psd = np.empty(data.n_persons)
    for start in range(0, data.n_persons, _CHUNK):
        rows = slice(start, start + _CHUNK)
        part = _rows(data, rows)
        posterior, _ = posterior_table(log_likelihood_table(part, log_probs), quad.log_weights)
        mean = posterior @ nodes
        theta[rows] = mean
        psd[rows] = np.sqrt(np.maximum(posterior @ nodes**2 - mean**2, 0.0))
    at_bound = np.zeros(data.n_persons, dtype=bool)
    return AbilityEstimates(theta, psd, "EAP", at_bound, data.observed.sum(axis=1))


def estimate_map(
    responses: ArrayLike,
    items: ItemSet,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
) -> AbilityEstimates:
    """Posterior mode under a normal prior, by Fisher scoring started at the EAP."""
    start = estimate_eap(responses, items, prior_mean=prior_mean, prior_sd=prior_sd).theta
    return _newton(responses, items, start, bounds, (prior_mean, prior_sd), "MAP")


def estimate_mle(
    responses: ArrayLike,
    items: ItemSet,
    *,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
) -> AbilityEstimates:
    """Maximum likelihood theta, bounded to ``bounds`` (see the module docstring for why)."""
    start = estimate_eap(responses, items).theta
    return _newton(responses, items, start, bounds, None, "MLE")


def _coded(responses: ArrayLike, items: ItemSet) -> ResponseMatrix:
    data = prepare_responses(responses, n_categories=items.n_categories)
    if data.n_items != items.n_items:
        raise IrtInputError(f"responses have {data.n_items} items but the bank has {items.n_items}")
    return data


def _log_category_probs(items: ItemSet, nodes: FloatArray) -> FloatArray:
    probs = items.category_probabilities(nodes).transpose(1, 2, 0)
    return np.asarray(np.log(np.maximum(probs, PROBABILITY_FLOOR)), dtype=np.float64)


def _rows(data: ResponseMatrix, rows: slice) -> ResponseMatrix:
    observed = data.observed[rows]
    return ResponseMatrix(
        categories=data.categories[rows],
        observed=observed,
        n_categories=data.n_categories,
        indicator=data.indicator[rows],
        column_item=data.column_item,
        column_category=data.column_category,
        complete=bool(observed.all()),
    )


def _newton(
    responses: ArrayLike,
    items: ItemSet,
    start: FloatArray,
    bounds: tuple[float, float],
    prior: tuple[float, float] | None,
    method: str,
) -> AbilityEstimates:
    low, high = bounds
    if not low < high:
        raise IrtInputError("bounds must be (lower, upper) with lower < upper")
    data = _coded(responses, items)
    theta = np.clip(start, low, high)
    se = np.empty(data.n_persons)
    for begin in range(0, data.n_persons, _CHUNK):
        rows = slice(begin, begin + _CHUNK)
        theta[rows], se[rows] = _newton_rows(
            items, data.categories[rows], theta[rows], bounds, prior
        )
    n_seen = data.observed.sum(axis=1)
    at_bound = np.zeros(data.n_persons, dtype=bool)
    if prior is None:
        theta, se, at_bound = _mle_edges(data, items, theta, se, bounds)
    at_bound |= (theta <= low + 1e-9) | (theta >= high - 1e-9)
    return AbilityEstimates(theta, se, method, at_bound, n_seen)


def _pattern_loglik(items: ItemSet, theta: FloatArray, categories: IntArray) -> FloatArray:
    probs = items.category_probabilities(theta)
    seen = categories >= 0
    picked = np.take_along_axis(probs, np.where(seen, categories, 0)[:, :, None], axis=2)[:, :, 0]
    return np.asarray(np.where(seen, np.log(np.maximum(picked, PROBABILITY_FLOOR)), 0.0).sum(1))


def _newton_rows(
    items: ItemSet,
    categories: IntArray,
    theta: FloatArray,
    bounds: tuple[float, float],
    prior: tuple[float, float] | None,
) -> tuple[FloatArray, FloatArray]:
    """Fisher scoring with step halving, vectorised over a block of examinees."""
    seen = categories >= 0
    x = np.where(seen, categories, 0)[:, :, None]

    def objective(t: FloatArray) -> FloatArray:
        value = _pattern_loglik(items, t, categories)
        if prior is not None:
            value -= 0.5 * ((t - prior[0]) / prior[1]) ** 2
        return value

    def score_and_info(t: FloatArray) -> tuple[FloatArray, FloatArray]:
        probs = np.maximum(items.category_probabilities(t), PROBABILITY_FLOOR)
        slopes = items.category_slopes(t)
        p_x = np.take_along_axis(probs, x, axis=2)[:, :, 0]
        dp_x = np.take_along_axis(slopes, x, axis=2)[:, :, 0]
        score = np.where(seen, dp_x / p_x, 0.0).sum(axis=1)
        info = np.where(seen, (slopes**2 / probs).sum(axis=2), 0.0).sum(axis=1)
        if prior is not None:
            score -= (t - prior[0]) / prior[1] ** 2
            info += 1.0 / prior[1] ** 2
        return score, info

    active = np.ones(theta.shape[0], dtype=bool)
    for _ in range(_MAX_NEWTON):
        if not active.any():
            break
        score, info = score_and_info(theta)
        step = np.clip(score / np.maximum(info, 1e-10), -1.0, 1.0)
        step[~active] = 0.0
        base = objective(theta)
        scale = np.ones_like(theta)
        for _ in range(10):
            trial = np.clip(theta + scale * step, *bounds)
            worse = objective(trial) < base - 1e-12
            if not worse.any():
                break
            scale[worse] *= 0.5
        moved = np.clip(theta + scale * step, *bounds) - theta
        theta = theta + moved
        active &= np.abs(moved) > 1e-7
    _, info = score_and_info(theta)
    se = np.divide(1.0, np.sqrt(info), out=np.full_like(info, np.inf), where=info > 0)
    return theta, se


def _mle_edges(
    data: ResponseMatrix,
    items: ItemSet,
    theta: FloatArray,
    se: FloatArray,
    bounds: tuple[float, float],
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Send all-top / all-bottom patterns to the bounds and empty patterns to 0, SE infinite."""
    seen = data.observed
    n_seen = seen.sum(axis=1)
    top = (items.n_categories - 1)[None, :]
    all_top = (n_seen > 0) & np.all(~seen | (data.categories == top), axis=1)
    all_bottom = (n_seen > 0) & np.all(~seen | (data.categories == 0), axis=1)
    empty = n_seen == 0
    theta = np.where(all_top, bounds[1], np.where(all_bottom, bounds[0], theta))
    theta = np.where(empty, 0.0, theta)
    edge = all_top | all_bottom
    if edge.any():
        info = (items.information(theta[edge]) * seen[edge]).sum(axis=1)
        se[edge] = np.divide(1.0, np.sqrt(info), out=np.full_like(info, np.inf), where=info > 0)
    se = np.where(empty, np.inf, se)
    return theta, se, edge
