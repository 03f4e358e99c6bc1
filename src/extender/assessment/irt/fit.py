"""Item and person fit: residual mean squares (infit/outfit) and the standardized lz index.

Why these: they need only each examinee's ability estimate and the observed cells, so they work
unchanged when examinees sat different forms (S-X2 needs complete summed-score groups). For
every observed cell, ``E = sum_k k P_k`` and ``W = sum_k (k - E)^2 P_k``:

* outfit = mean of squared standardized residuals ``(x - E)^2 / W`` — sensitive to surprising
  responses far from the item (lucky guesses, careless slips);
* infit = ``sum (x - E)^2 / sum W`` — information-weighted, sensitive to misfit near theta.

Both are about 1 under the model; values above ~1.3 are usually worth a look. lz (Drasgow,
Levine & Williams) standardizes the log-likelihood of a response pattern; large negative
values (below about -2) flag aberrant examinees. All use a plug-in theta (EAP by default),
whose shrinkage makes them slightly conservative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import (
    PROBABILITY_FLOOR,
    FloatArray,
    IntArray,
    IrtInputError,
    ItemSet,
)
from extender.assessment.irt.responses import ResponseMatrix, prepare_responses

__all__ = ["ItemFit", "PersonFit", "fit_statistics", "item_fit", "person_fit"]

_CHUNK = 8192


@dataclass(frozen=True)
class ItemFit:
    """Per item: infit and outfit mean squares and how many examinees answered it."""

    infit: FloatArray
    outfit: FloatArray
    n_responses: IntArray


@dataclass(frozen=True)
class PersonFit:
    """Per examinee: infit, outfit, lz and how many items they answered.

    With no answered items the statistics are the neutral values (1, 1, 0), never NaN.
    """

    infit: FloatArray
    outfit: FloatArray
    lz: FloatArray
    n_responses: IntArray


def item_fit(responses: ArrayLike, items: ItemSet, theta: ArrayLike) -> ItemFit:
    """Infit/outfit per item given each examinee's ability estimate."""
    return fit_statistics(_coded(responses, items), items, theta)[0]


def person_fit(responses: ArrayLike, items: ItemSet, theta: ArrayLike) -> PersonFit:
    """Infit/outfit and lz per examinee given their ability estimates."""
    return fit_statistics(_coded(responses, items), items, theta)[1]


def fit_statistics(
    data: ResponseMatrix, items: ItemSet, theta: ArrayLike
) -> tuple[ItemFit, PersonFit]:
    """Item and person fit from one pass over the cells (calibration needs both)."""
    thetas = np.asarray(theta, dtype=np.float64).reshape(-1)
    if thetas.shape[0] != data.n_persons or data.n_items != items.n_items:
        raise IrtInputError("responses, items and theta disagree in size")
    by_item = {name: np.zeros(data.n_items) for name in _TERMS}
    by_person = {name: np.zeros(data.n_persons) for name in _TERMS}
    for start in range(0, data.n_persons, _CHUNK):
        block = slice(start, start + _CHUNK)
        for name, values in _cell_terms(items, thetas[block], data.categories[block]).items():
            by_item[name] += values.sum(axis=0)
            by_person[name][block] = values.sum(axis=1)
    item_count = data.observed.sum(axis=0).astype(np.int64)
    person_count = data.observed.sum(axis=1).astype(np.int64)
    spread = np.sqrt(np.maximum(by_person["loglik_variance"], 0.0))
    lz = np.divide(
        by_person["loglik"] - by_person["expected_loglik"],
        spread,
        out=np.zeros_like(spread),
        where=spread > 1e-12,
    )
    return (
        ItemFit(
            infit=_ratio(by_item["squared_residual"], by_item["variance"]),
            outfit=_ratio(by_item["standardized"], item_count.astype(np.float64)),
            n_responses=item_count,
        ),
        PersonFit(
            infit=_ratio(by_person["squared_residual"], by_person["variance"]),
            outfit=_ratio(by_person["standardized"], person_count.astype(np.float64)),
            lz=lz,
            n_responses=person_count,
        ),
    )


_TERMS = (
    "squared_residual",
    "variance",
    "standardized",
    "loglik",
    "expected_loglik",
    "loglik_variance",
)


def _coded(responses: ArrayLike, items: ItemSet) -> ResponseMatrix:
    return prepare_responses(responses, n_categories=items.n_categories)


def _ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
    return np.divide(top, bottom, out=np.ones_like(top), where=bottom > 1e-12)


def _cell_terms(items: ItemSet, theta: FloatArray, categories: IntArray) -> dict[str, FloatArray]:
    """Per-cell residual and likelihood terms, zeroed where the cell is missing."""
    probs = np.maximum(items.category_probabilities(theta), 0.0)
    log_p = np.log(np.maximum(probs, PROBABILITY_FLOOR))
    scores = np.arange(probs.shape[2], dtype=np.float64)
    expected = probs @ scores
    variance = np.maximum(probs @ scores**2 - expected**2, 1e-12)
    seen = categories >= 0
    x = np.where(seen, categories, 0)
    residual2 = np.where(seen, (x - expected) ** 2, 0.0)
    mean_log = (probs * log_p).sum(axis=2)
    observed_log = np.take_along_axis(log_p, x[:, :, None], axis=2)[:, :, 0]
    return {
        "squared_residual": residual2,
        "variance": np.where(seen, variance, 0.0),
        "standardized": np.where(seen, residual2 / variance, 0.0),
        "loglik": np.where(seen, observed_log, 0.0),
        "expected_loglik": np.where(seen, mean_log, 0.0),
        "loglik_variance": np.where(seen, (probs * log_p**2).sum(axis=2) - mean_log**2, 0.0),
    }
