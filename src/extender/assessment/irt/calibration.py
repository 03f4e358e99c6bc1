"""Marginal maximum likelihood calibration (Bock-Aitkin EM) of dichotomous and graded items.

What a caller can rely on:

* Items nobody answered, or that everyone answered the same way, carry no information about
  their parameters. They are excluded before estimation, listed in ``excluded`` with a reason
  in ``warnings``, and returned with ``a = 0`` (no information anywhere) and infinite standard
  errors, so nothing downstream meets a NaN.
* ``convergence.converged`` is true only if the largest change of any reported parameter fell
  below ``tol``; a run stopped by ``max_iter`` says ``False`` and adds a warning.
* Fixed-parameter calibration: ``anchors`` maps column index to known parameters. Anchors are
  never moved, and the ability distribution's mean and SD are then estimated (they are no
  longer needed to fix the scale), so pretest items land on the bank's scale even when the new
  sample is abler or weaker than the calibration sample was.
* Without anchors the ability distribution is N(0, 1), which sets the scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.dichotomous_em import SLOPE_BOUNDS, DichotomousModel
from extender.assessment.irt.em import EMOutcome, run_em
from extender.assessment.irt.fit import ItemFit, PersonFit, fit_statistics
from extender.assessment.irt.graded_em import GradedModel
from extender.assessment.irt.models import (
    FloatArray,
    GradedItems,
    IntArray,
    IrtInputError,
    ItemParameters,
    ItemSet,
)
from extender.assessment.irt.quadrature import Quadrature, normal_quadrature
from extender.assessment.irt.responses import ResponseMatrix, prepare_responses
from extender.assessment.irt.screening import (
    dichotomous_anchors,
    graded_anchors,
    restrict,
    screen,
)
from extender.assessment.irt.standard_errors import parameter_standard_errors
from extender.assessment.irt.starting_values import dichotomous_start, graded_start

__all__ = [
    "DEFAULT_GUESSING_PRIOR",
    "CalibrationResult",
    "Convergence",
    "StandardErrors",
    "calibrate",
    "calibrate_1pl",
    "calibrate_2pl",
    "calibrate_3pl",
    "calibrate_grm",
    "calibrate_rasch",
]

ModelName = Literal["rasch", "1pl", "2pl", "3pl"]
DEFAULT_GUESSING_PRIOR = (5.0, 17.0)
ItemsT = TypeVar("ItemsT", ItemParameters, GradedItems)


@dataclass(frozen=True)
class Convergence:
    """How the EM ended; ``history`` is the marginal log-likelihood at each iteration."""

    converged: bool
    iterations: int
    max_change: float
    log_likelihood: float
    history: tuple[float, ...]


@dataclass(frozen=True)
class StandardErrors:
    """SEs on the reported metric: ``b`` is (J,) for dichotomous, (J, K-1) thresholds for GRM.

    Anchors have SE 0 (they were not estimated); excluded items and absent thresholds have +inf;
    graded items have no guessing parameter, so their ``c`` is 0.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray


@dataclass(frozen=True)
class CalibrationResult(Generic[ItemsT]):
    """Everything a calibration run established, for reports and for the item bank."""

    model: str
    items: ItemsT
    standard_errors: StandardErrors
    convergence: Convergence
    excluded: tuple[int, ...]
    exclusion_reasons: Mapping[int, str]
    anchors: tuple[int, ...]
    warnings: tuple[str, ...]
    population_mean: float
    population_sd: float
    theta: FloatArray
    theta_se: FloatArray
    item_fit: ItemFit
    person_fit: PersonFit


def calibrate(
    responses: ArrayLike,
    model: ModelName = "2pl",
    *,
    observed: ArrayLike | None = None,
    anchors: Mapping[int, Sequence[float]] | None = None,
    guessing_prior: tuple[float, float] | None = DEFAULT_GUESSING_PRIOR,
    slope_prior: tuple[float, float] | None = None,
    quadrature: Quadrature | None = None,
    max_iter: int = 500,
    tol: float = 1e-4,
    estimate_population: bool | None = None,
    standard_errors: bool = True,
) -> CalibrationResult[ItemParameters]:
    """Calibrate dichotomous items (0/1; NaN or negative = not administered).

    ``anchors`` values are ``(a, b)`` or ``(a, b, c)``. ``guessing_prior`` is Beta(alpha, beta)
    on the 3PL ``c`` (default Beta(5, 17), mode 0.2; ``None`` for pure ML); ``slope_prior``
    is (mean, sd) of log a, off by default. ``standard_errors=False`` skips the SE computation
    (about a third of the run time on large data); the SEs are then reported as +inf.
    """
    if model not in ("rasch", "1pl", "2pl", "3pl"):
        raise IrtInputError(f"unknown model {model!r}; use rasch, 1pl, 2pl or 3pl")
    data = prepare_responses(responses, observed=observed)
    if np.any(data.n_categories > 2):
        raise IrtInputError("dichotomous models need 0/1 responses; use calibrate_grm")
    fixed = dichotomous_anchors(anchors, data.n_items)
    reasons = screen(data, fixed.keys())
    sub, rows, cols = restrict(data, reasons)
    if sub.n_items == 0:
        nothing = ItemParameters(np.zeros(data.n_items), np.zeros(data.n_items))
        errors = _expand_errors(np.zeros((0, 3)), cols, data.n_items, None)
        return _nothing_calibrated(model, nothing, errors, data, reasons)
    a, d, c = dichotomous_start(sub, model, guessing_prior)
    free = np.ones(sub.n_items, dtype=bool)
    for position, column in enumerate(cols):
        if column in fixed:
            a_j, b_j, c_j = fixed[column]
            a[position], d[position], c[position] = a_j, -a_j * b_j, c_j
            free[position] = False
    prior = guessing_prior if model == "3pl" else None
    em_model = DichotomousModel(model, a, d, c, free, prior, slope_prior)
    outcome, notes = _estimate(sub, em_model, quadrature, max_iter, tol, estimate_population, fixed)
    items_sub = ItemParameters(em_model.a, -em_model.d / em_model.a, em_model.c)
    se_sub = np.zeros((sub.n_items, 3))
    se_sub[free] = np.inf
    if standard_errors and free.any():
        se_free, se_notes = parameter_standard_errors(
            em_model, sub, outcome.posterior, outcome.quadrature.nodes
        )
        se_sub[free] = se_free
        notes += se_notes
    notes += _bound_warnings(cols, em_model.a, free)
    full_items = _expand_dichotomous(items_sub, cols, data.n_items)
    errors = _expand_errors(se_sub, cols, data.n_items, None)
    return _result(model, full_items, errors, data, sub, rows, cols, outcome, reasons, fixed, notes)


def calibrate_rasch(responses: ArrayLike, **options: Any) -> CalibrationResult[ItemParameters]:
    """Rasch model: every slope 1 and ability ~ N(0, 1); use ``calibrate_1pl`` for a free SD."""
    return calibrate(responses, "rasch", **options)


def calibrate_1pl(responses: ArrayLike, **options: Any) -> CalibrationResult[ItemParameters]:
    """One common slope estimated for all free items (Rasch with a free ability SD)."""
    return calibrate(responses, "1pl", **options)


def calibrate_2pl(responses: ArrayLike, **options: Any) -> CalibrationResult[ItemParameters]:
    """The default for banks without guessing: slope and difficulty per item."""
    return calibrate(responses, "2pl", **options)


def calibrate_3pl(responses: ArrayLike, **options: Any) -> CalibrationResult[ItemParameters]:
    """For multiple-choice items that can be guessed; keep the Beta prior unless N is large."""
    return calibrate(responses, "3pl", **options)


def calibrate_grm(
    responses: ArrayLike,
    *,
    observed: ArrayLike | None = None,
    anchors: Mapping[int, tuple[float, Sequence[float]]] | None = None,
    quadrature: Quadrature | None = None,
    max_iter: int = 500,
    tol: float = 1e-4,
    estimate_population: bool | None = None,
    standard_errors: bool = True,
) -> CalibrationResult[GradedItems]:
    """Calibrate graded-response items scored 0..K-1 (two-category items become 2PL items).

    An item with a category nobody used is excluded: its threshold is not estimable, and
    collapsing categories is a content decision for the exam committee, not for the optimiser.
    ``anchors`` values are ``(a, [b_1, ..., b_{K-1}])``.
    """
    data = prepare_responses(responses, observed=observed)
    fixed = graded_anchors(anchors, data)
    reasons = screen(data, fixed.keys())
    sub, rows, cols = restrict(data, reasons)
    if sub.n_items == 0:
        empty = GradedItems(np.zeros(0), np.zeros((0, 1)))
        placeholders = _expand_graded(empty, cols, data)
        k_max = int(data.n_categories.max())
        errors = _expand_errors(np.zeros((0, k_max)), cols, data.n_items, k_max - 1)
        return _nothing_calibrated("grm", placeholders, errors, data, reasons)
    a, d = graded_start(sub)
    free = np.ones(sub.n_items, dtype=bool)
    for position, column in enumerate(cols):
        if column in fixed:
            a_j, b_j = fixed[column]
            a[position] = a_j
            d[position, : len(b_j)] = -a_j * np.asarray(b_j)
            free[position] = False
    em_model = GradedModel(a, d, sub.n_categories.copy(), free)
    outcome, notes = _estimate(sub, em_model, quadrature, max_iter, tol, estimate_population, fixed)
    k_max = int(data.n_categories.max())
    used = np.arange(k_max - 1)[None, :] < (sub.n_categories - 1)[:, None]
    intercepts = np.zeros((sub.n_items, k_max - 1))
    intercepts[:, : em_model.d.shape[1]] = em_model.d
    thresholds = np.where(used, -intercepts / em_model.a[:, None], np.inf)
    items_sub = GradedItems(em_model.a, thresholds)
    se_sub = np.zeros((sub.n_items, k_max))
    se_sub[free] = np.inf
    if standard_errors and free.any():
        se_free, se_notes = parameter_standard_errors(
            em_model, sub, outcome.posterior, outcome.quadrature.nodes
        )
        se_sub[free, : se_free.shape[1]] = se_free
        notes += se_notes
    se_sub[:, 1:] = np.where(used, se_sub[:, 1:], np.inf)
    notes += _bound_warnings(cols, em_model.a, free)
    full_items = _expand_graded(items_sub, cols, data)
    errors = _expand_errors(se_sub, cols, data.n_items, k_max - 1)
    return _result("grm", full_items, errors, data, sub, rows, cols, outcome, reasons, fixed, notes)


def _estimate(
    sub: ResponseMatrix,
    em_model: DichotomousModel | GradedModel,
    quadrature: Quadrature | None,
    max_iter: int,
    tol: float,
    estimate_population: bool | None,
    fixed: Mapping[int, object],
) -> tuple[EMOutcome, list[str]]:
    if max_iter < 1 or tol <= 0:
        raise IrtInputError("max_iter must be at least 1 and tol positive")
    move = bool(fixed) if estimate_population is None else estimate_population
    quad = quadrature or normal_quadrature()
    outcome = run_em(sub, em_model, quad, max_iter=max_iter, tol=tol, estimate_population=move)
    notes: list[str] = []
    if not outcome.converged:
        notes.append(
            f"EM did not converge in {outcome.iterations} iterations "
            f"(last change {outcome.max_change:.2g}, tolerance {tol:.2g})"
        )
    return outcome, notes


def _bound_warnings(cols: IntArray, a: FloatArray, free: np.ndarray) -> list[str]:
    notes = []
    for position in np.flatnonzero(free & (a <= SLOPE_BOUNDS[0] * 1.0001)):
        notes.append(f"item {int(cols[position])}: slope at its lower bound (check the key)")
    for position in np.flatnonzero(free & (a >= SLOPE_BOUNDS[1] * 0.9999)):
        notes.append(f"item {int(cols[position])}: slope at its upper bound (poorly determined)")
    return notes


def _expand_dichotomous(items: ItemParameters, cols: IntArray, n_items: int) -> ItemParameters:
    a, b, c = np.zeros(n_items), np.zeros(n_items), np.zeros(n_items)
    a[cols], b[cols], c[cols] = items.a, items.b, items.c
    return ItemParameters(a, b, c)


def _expand_graded(items: GradedItems, cols: IntArray, data: ResponseMatrix) -> GradedItems:
    """Excluded items get a = 0 and placeholder thresholds 0, 1, ... (irrelevant when a = 0)."""
    k_max = int(data.n_categories.max())
    a = np.zeros(data.n_items)
    steps = np.arange(k_max - 1, dtype=np.float64)[None, :]
    thresholds = np.where(steps < (data.n_categories - 1)[:, None], steps, np.inf)
    a[cols] = items.a
    thresholds[cols, : items.thresholds.shape[1]] = items.thresholds
    thresholds[cols, items.thresholds.shape[1] :] = np.inf
    return GradedItems(a, thresholds)


def _expand_errors(
    se: FloatArray, cols: IntArray, n_items: int, thresholds: int | None
) -> StandardErrors:
    """Full-length SEs; ``thresholds`` is None for dichotomous items (then ``b`` is 1-D)."""
    a = np.full(n_items, np.inf)
    a[cols] = se[:, 0]
    if thresholds is None:
        b, c = np.full(n_items, np.inf), np.full(n_items, np.inf)
        b[cols], c[cols] = se[:, 1], se[:, 2]
        return StandardErrors(a, b, c)
    b = np.full((n_items, thresholds), np.inf)
    b[cols] = se[:, 1 : 1 + thresholds]
    return StandardErrors(a, b, np.zeros(n_items))


def _result(
    model: str,
    items: ItemsT,
    errors: StandardErrors,
    data: ResponseMatrix,
    sub: ResponseMatrix,
    rows: IntArray,
    cols: IntArray,
    outcome: EMOutcome,
    reasons: Mapping[int, str],
    fixed: Mapping[int, object],
    notes: list[str],
) -> CalibrationResult[ItemsT]:
    quad = outcome.quadrature
    nodes = quad.nodes
    theta = np.full(data.n_persons, quad.mean)
    theta_se = np.full(data.n_persons, quad.sd)
    mean = outcome.posterior @ nodes
    theta[rows] = mean
    theta_se[rows] = np.sqrt(np.maximum(outcome.posterior @ nodes**2 - mean**2, 0.0))
    items_sub: ItemSet = items.subset(cols)
    i_fit, p_fit = fit_statistics(sub, items_sub, theta[rows])
    warnings = [f"item {j} excluded: {reason}" for j, reason in sorted(reasons.items())]
    dropped = data.n_persons - rows.shape[0]
    if dropped:
        warnings.append(f"{dropped} examinees had no calibratable responses and were skipped")
    return CalibrationResult(
        model=model,
        items=items,
        standard_errors=errors,
        convergence=Convergence(
            converged=outcome.converged,
            iterations=outcome.iterations,
            max_change=outcome.max_change,
            log_likelihood=outcome.log_likelihood,
            history=outcome.history,
        ),
        excluded=tuple(sorted(reasons)),
        exclusion_reasons=dict(reasons),
        anchors=tuple(sorted(fixed)),
        warnings=tuple(warnings + notes),
        population_mean=quad.mean,
        population_sd=quad.sd,
        theta=theta,
        theta_se=theta_se,
        item_fit=_expand_item_fit(i_fit, cols, data),
        person_fit=_expand_person_fit(p_fit, rows, data.n_persons),
    )


def _nothing_calibrated(
    model: str,
    items: ItemsT,
    errors: StandardErrors,
    data: ResponseMatrix,
    reasons: Mapping[int, str],
) -> CalibrationResult[ItemsT]:
    """The result when every item was excluded: all placeholders, flagged, never NaN."""
    n_persons, n_items = data.n_persons, data.n_items
    warnings = [f"item {j} excluded: {reason}" for j, reason in sorted(reasons.items())]
    warnings.append("no item could be calibrated")
    return CalibrationResult(
        model=model,
        items=items,
        standard_errors=errors,
        convergence=Convergence(False, 0, 0.0, 0.0, ()),
        excluded=tuple(sorted(reasons)),
        exclusion_reasons=dict(reasons),
        anchors=(),
        warnings=tuple(warnings),
        population_mean=0.0,
        population_sd=1.0,
        theta=np.zeros(n_persons),
        theta_se=np.ones(n_persons),
        item_fit=ItemFit(np.ones(n_items), np.ones(n_items), data.observed.sum(axis=0)),
        person_fit=PersonFit(
            np.ones(n_persons), np.ones(n_persons), np.zeros(n_persons), np.zeros(n_persons, int)
        ),
    )


def _expand_item_fit(fit: ItemFit, cols: IntArray, data: ResponseMatrix) -> ItemFit:
    infit, outfit = np.ones(data.n_items), np.ones(data.n_items)
    infit[cols], outfit[cols] = fit.infit, fit.outfit
    return ItemFit(infit, outfit, data.observed.sum(axis=0).astype(np.int64))


def _expand_person_fit(fit: PersonFit, rows: IntArray, n_persons: int) -> PersonFit:
    infit, outfit, lz = np.ones(n_persons), np.ones(n_persons), np.zeros(n_persons)
    n = np.zeros(n_persons, dtype=np.int64)
    infit[rows], outfit[rows], lz[rows], n[rows] = fit.infit, fit.outfit, fit.lz, fit.n_responses
    return PersonFit(infit, outfit, lz, n)
