"""The Bock-Aitkin EM loop, independent of the item model, with SQUAREM acceleration.

One EM step: tabulate each examinee's likelihood at every quadrature node (one or two matrix
products, see :mod:`responses`), normalise to posteriors, collapse them to expected counts per
item, category and node (one or two more products), and hand those counts to the model's
M-step. Nothing in the loop is per examinee or per item in Python, which is what lets
20,000 x 100 calibrate in seconds.

EM creeps towards the maximum along flat ridges (slopes and guessing trade off in the 3PL), so
the loop extrapolates with SQUAREM (Varadhan & Roland, 2008): after two EM steps
``theta0 -> theta1 -> theta2`` it jumps to ``theta0 - 2 alpha r + alpha^2 v`` with
``r = theta1 - theta0``, ``v = theta2 - 2 theta1 + theta0`` and ``alpha = -|r| / |v|``, then
takes one EM step from there. A jump whose log-likelihood falls below that of ``theta1`` is
pulled back towards ``theta2`` (``alpha = -1`` *is* ``theta2``), so the recorded
log-likelihood never decreases, exactly as in plain EM. It typically halves the E-steps.

Convergence is judged on the largest change of any reported parameter (a, b, c or thresholds)
in one EM step, the quantity a psychometrician can read, and the loop says so honestly when
it stops at ``max_iter`` E-steps instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from extender.assessment.irt.models import FloatArray
from extender.assessment.irt.quadrature import Quadrature, posterior_table
from extender.assessment.irt.responses import ResponseMatrix, expected_counts, log_likelihood_table

__all__ = ["EMModel", "EMOutcome", "run_em"]

_BACKTRACKS = 4


class EMModel(Protocol):
    @property
    def n_items(self) -> int: ...

    def log_probs(self, nodes: FloatArray) -> FloatArray: ...

    def m_step(self, counts: FloatArray, nodes: FloatArray) -> None: ...

    def reported(self) -> FloatArray: ...

    def state(self) -> FloatArray: ...

    def set_state(self, state: FloatArray) -> None: ...


@dataclass(frozen=True)
class EMOutcome:
    """Where the loop stopped and the posterior at the final parameters (for SEs and fit)."""

    iterations: int
    max_change: float
    converged: bool
    log_likelihood: float
    history: tuple[float, ...]
    posterior: FloatArray
    quadrature: Quadrature


class _Loop:
    """The mutable state of one calibration: model, quadrature and bookkeeping."""

    def __init__(
        self, data: ResponseMatrix, model: EMModel, quadrature: Quadrature, move: bool
    ) -> None:
        self.data, self.model, self.quadrature, self.move = data, model, quadrature, move
        self.k_max = int(data.n_categories.max())
        self.history: list[float] = []
        self.steps = 0
        self.change = float("inf")

    def state(self) -> FloatArray:
        population = [self.quadrature.mean, np.log(self.quadrature.sd)] if self.move else []
        return np.concatenate([self.model.state(), population])

    def set_state(self, state: FloatArray) -> None:
        if self.move:
            self.model.set_state(state[:-2])
            sd = float(np.exp(np.clip(state[-1], -3.0, 3.0)))
            self.quadrature = self.quadrature.moved(float(state[-2]), sd)
        else:
            self.model.set_state(state)

    def step(self) -> float:
        """E-step at the current parameters, then M-step; return the E-step log-likelihood."""
        self.steps += 1
        posterior, marginal = _e_step(self.data, self.model, self.quadrature)
        log_likelihood = float(marginal.sum())
        before = self.model.reported()
        counts = expected_counts(self.data, posterior, self.k_max)
        self.model.m_step(counts, self.quadrature.nodes)
        change = float(np.abs(self.model.reported() - before).max(initial=0.0))
        if self.move:
            previous = self.quadrature
            self.quadrature = _moved_population(previous, posterior)
            shift = max(
                abs(self.quadrature.mean - previous.mean), abs(self.quadrature.sd - previous.sd)
            )
            change = max(change, shift)
        self.change = change
        return log_likelihood


def run_em(
    data: ResponseMatrix,
    model: EMModel,
    quadrature: Quadrature,
    *,
    max_iter: int,
    tol: float,
    estimate_population: bool,
    accelerate: bool = True,
) -> EMOutcome:
    """Iterate until one EM step moves no reported parameter by ``tol`` or more."""
    loop = _Loop(data, model, quadrature, estimate_population)
    converged = _iterate(loop, max_iter, tol, accelerate)
    posterior, marginal = _e_step(data, model, loop.quadrature)
    log_likelihood = float(marginal.sum())
    return EMOutcome(
        iterations=loop.steps,
        max_change=loop.change,
        converged=converged and bool(np.isfinite(log_likelihood)),
        log_likelihood=log_likelihood,
        history=tuple(loop.history),
        posterior=posterior,
        quadrature=loop.quadrature,
    )


def _iterate(loop: _Loop, max_iter: int, tol: float, accelerate: bool) -> bool:
    """Run plain or accelerated EM; True when the convergence criterion was met."""
    while loop.steps < max_iter:
        start = loop.state()
        loop.history.append(loop.step())
        if not np.isfinite(loop.history[-1]):
            return False
        if loop.change < tol:
            return True
        if not accelerate or loop.steps >= max_iter:
            continue
        first = loop.state()
        reference = loop.step()
        loop.history.append(reference)
        if loop.change < tol:
            return True
        if loop.steps >= max_iter:
            return False
        if _extrapolate(loop, start, first, loop.state(), reference, max_iter) and (
            loop.change < tol
        ):
            return True
    return False


def _extrapolate(
    loop: _Loop,
    start: FloatArray,
    first: FloatArray,
    second: FloatArray,
    reference: float,
    max_iter: int,
) -> bool:
    """Jump along the SQUAREM direction, backtracking until the likelihood holds up.

    Returns True after an accepted step (which leaves the loop one EM step past the jump).
    """
    r = first - start
    v = second - first - r
    norm_v = float(np.linalg.norm(v))
    if norm_v == 0.0:
        return False
    alpha = min(-float(np.linalg.norm(r)) / norm_v, -1.0)
    for attempt in range(_BACKTRACKS + 1):
        if attempt == _BACKTRACKS:
            alpha = -1.0
        if loop.steps >= max_iter:
            loop.set_state(second)
            return False
        loop.set_state(start - 2.0 * alpha * r + alpha**2 * v)
        value = loop.step()
        if value >= reference - 1e-9 * abs(reference) or alpha == -1.0:
            loop.history.append(value)
            return True
        alpha = (alpha - 1.0) / 2.0 if alpha < -2.0 else -1.0
    return False


def _e_step(
    data: ResponseMatrix, model: EMModel, quadrature: Quadrature
) -> tuple[FloatArray, FloatArray]:
    table = log_likelihood_table(data, model.log_probs(quadrature.nodes))
    return posterior_table(table, quadrature.log_weights)


def _moved_population(quadrature: Quadrature, posterior: FloatArray) -> Quadrature:
    """Re-estimate the ability distribution's mean and SD from the posterior mass."""
    mass = posterior.sum(axis=0)
    mass /= mass.sum()
    nodes = quadrature.nodes
    mean = float(mass @ nodes)
    sd = float(np.sqrt(max(mass @ (nodes - mean) ** 2, 1e-4)))
    return quadrature.moved(mean, sd)
