"""M-step for graded-response items, vectorised over all free items with the same category count.

Items are estimated as ``P(X >= k) = expit(a theta + d_k)`` with intercepts ``d_1 > ... > d_m``
(``b_k = -d_k / a``). Fisher scoring uses the expected information
``sum_q n_q sum_k dP_k dP_k^T / P_k``, which is positive definite whenever the item has
respondents in every category, so the solve never meets an indefinite Hessian; a trial step
that breaks the intercept ordering or lowers the objective is halved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from extender.assessment.irt.models import PROBABILITY_FLOOR, BoolArray, D, FloatArray, IntArray

__all__ = ["GradedModel"]

SLOPE_BOUNDS = (0.01, 10.0)
INTERCEPT_BOUNDS = (-40.0, 40.0)
_NEWTON_STEPS = 6
_HALVINGS = 8


@dataclass
class GradedModel:
    """Slopes (J,), intercepts (J, K_max - 1; unused entries ignored) and category counts."""

    a: FloatArray
    d: FloatArray
    n_categories: IntArray
    free: BoolArray

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    @property
    def k_max(self) -> int:
        return int(self.n_categories.max())

    @property
    def has_shared_slope(self) -> bool:
        return False

    def log_probs(self, nodes: FloatArray) -> FloatArray:
        probs = np.zeros((self.n_items, self.k_max, nodes.shape[0]))
        for k, items in self._groups(np.arange(self.n_items)):
            probs[items, :k, :] = _category_probs(self.a[items], self.d[items, : k - 1], nodes)
        return np.log(np.maximum(probs, PROBABILITY_FLOOR))

    def reported(self) -> FloatArray:
        """(J, K_max) slope then thresholds ``-d/a``; unused thresholds reported as 0."""
        out = np.zeros((self.n_items, self.k_max))
        out[:, 0] = self.a
        used = np.arange(self.k_max - 1)[None, :] < (self.n_categories - 1)[:, None]
        out[:, 1:] = np.where(used, -self.d / self.a[:, None], 0.0)
        return out

    def state(self) -> FloatArray:
        """Free items' slopes and intercepts as one vector, for EM extrapolation."""
        return np.concatenate([self.a[self.free], self.d[self.free].ravel()])

    def set_state(self, state: FloatArray) -> None:
        """Inverse of :meth:`state`: clipped, and intercepts forced back into order."""
        free = np.flatnonzero(self.free)
        n = free.shape[0]
        self.a[free] = np.clip(state[:n], *SLOPE_BOUNDS)
        d = np.clip(state[n:].reshape(n, -1), *INTERCEPT_BOUNDS)
        used = np.arange(d.shape[1])[None, :] < (self.n_categories[free] - 1)[:, None]
        for k in range(1, d.shape[1]):
            d[:, k] = np.where(used[:, k], np.minimum(d[:, k], d[:, k - 1] - 1e-3), d[:, k])
        self.d[free] = d

    def m_step(self, counts: FloatArray, nodes: FloatArray) -> None:
        for k, items in self._groups(np.flatnonzero(self.free)):
            eta = np.column_stack([self.a[items], self.d[items, : k - 1]])
            r = counts[items, :k, :]
            for _ in range(_NEWTON_STEPS):
                eta, moved = _newton_step(eta, r, nodes)
                if moved < 1e-7:
                    break
            self.a[items] = eta[:, 0]
            self.d[items, : k - 1] = eta[:, 1:]

    def _groups(self, items: IntArray) -> list[tuple[int, IntArray]]:
        cats = self.n_categories[items]
        return [(int(k), items[cats == k]) for k in np.unique(cats)]

    # --- pieces the standard-error computation needs -------------------------------------

    def log_prob_gradients(self, nodes: FloatArray) -> FloatArray:
        """(J_free, K_max, Q, K_max): d log P_k / d (a, d_1..d_m); unused columns are 0."""
        free = np.flatnonzero(self.free)
        out = np.zeros((free.shape[0], self.k_max, nodes.shape[0], self.k_max))
        position = {int(item): row for row, item in enumerate(free)}
        for k, items in self._groups(free):
            eta = np.column_stack([self.a[items], self.d[items, : k - 1]])
            probs, dprobs = _probs_and_derivatives(eta, nodes)
            rows = [position[int(i)] for i in items]
            out[np.ix_(rows, range(k), range(nodes.shape[0]), range(k))] = (
                dprobs / np.maximum(probs, PROBABILITY_FLOOR)[..., None]
            )
        return out

    def parameter_mask(self) -> BoolArray:
        free = np.flatnonzero(self.free)
        return np.arange(self.k_max)[None, :] < self.n_categories[free][:, None]

    def shared_gradients(self, nodes: FloatArray) -> FloatArray | None:
        return None

    def prior_information(self) -> FloatArray:
        n_free = int(self.free.sum())
        return np.zeros((n_free, self.k_max, self.k_max))

    def reporting_jacobian(self) -> tuple[FloatArray, FloatArray | None]:
        free = np.flatnonzero(self.free)
        a, d = self.a[free], self.d[free]
        jac = np.zeros((free.shape[0], self.k_max, self.k_max))
        jac[:, 0, 0] = 1.0
        for k in range(1, self.k_max):
            jac[:, k, 0] = d[:, k - 1] / a**2
            jac[:, k, k] = -1.0 / a
        return jac, None


def _category_probs(a: FloatArray, d: FloatArray, nodes: FloatArray) -> FloatArray:
    s = expit(D * (a[:, None, None] * nodes[None, None, :] + d[:, :, None]))
    n_items, n_q = a.shape[0], nodes.shape[0]
    padded = np.concatenate([np.ones((n_items, 1, n_q)), s, np.zeros((n_items, 1, n_q))], axis=1)
    return np.asarray(-np.diff(padded, axis=1), dtype=np.float64)


def _probs_and_derivatives(eta: FloatArray, nodes: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P (J, K, Q) and dP/d(a, d_1..d_m) (J, K, Q, K)."""
    a, d = eta[:, 0], eta[:, 1:]
    n_items, m = d.shape
    n_q = nodes.shape[0]
    s = expit(D * (a[:, None, None] * nodes[None, None, :] + d[:, :, None]))
    w = D * s * (1.0 - s)
    zeros = np.zeros((n_items, 1, n_q))
    w_ext = np.concatenate([zeros, w, zeros], axis=1)
    probs = -np.diff(np.concatenate([np.ones((n_items, 1, n_q)), s, zeros], axis=1), axis=1)
    deriv = np.zeros((n_items, m + 1, n_q, m + 1))
    deriv[:, :, :, 0] = (w_ext[:, :-1, :] - w_ext[:, 1:, :]) * nodes[None, None, :]
    for k in range(1, m + 1):
        deriv[:, k, :, k] = w[:, k - 1, :]
        deriv[:, k - 1, :, k] = -w[:, k - 1, :]
    return probs, deriv


def _objective(eta: FloatArray, r: FloatArray, nodes: FloatArray) -> FloatArray:
    probs = np.maximum(_category_probs(eta[:, 0], eta[:, 1:], nodes), PROBABILITY_FLOOR)
    value = (r * np.log(probs)).sum(axis=(1, 2))
    ordered = np.all(np.diff(eta[:, 1:], axis=1) < -1e-6, axis=1)
    return np.where(ordered, value, -np.inf)


def _newton_step(eta: FloatArray, r: FloatArray, nodes: FloatArray) -> tuple[FloatArray, float]:
    probs, deriv = _probs_and_derivatives(eta, nodes)
    probs = np.maximum(probs, PROBABILITY_FLOOR)
    n = r.sum(axis=1)
    grad = np.einsum("jkq,jkqr->jr", r / probs, deriv)
    info = np.einsum("jq,jkq,jkqr,jkqs->jrs", n, 1.0 / probs, deriv, deriv)
    info += 1e-9 * np.eye(eta.shape[1])[None, :, :]
    step = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
    step /= np.maximum(1.0, np.abs(step).max(axis=1, keepdims=True))
    base = _objective(eta, r, nodes)
    accepted = np.zeros_like(eta)
    pending = np.ones(eta.shape[0], dtype=bool)
    scale = 1.0
    for _ in range(_HALVINGS):
        trial = eta + scale * step
        trial[:, 0] = np.clip(trial[:, 0], *SLOPE_BOUNDS)
        trial[:, 1:] = np.clip(trial[:, 1:], *INTERCEPT_BOUNDS)
        better = _objective(trial, r, nodes) >= base - 1e-12
        take = pending & better
        accepted[take] = trial[take] - eta[take]
        pending &= ~better
        if not pending.any():
            break
        scale *= 0.5
    return eta + accepted, float(np.abs(accepted).max(initial=0.0))
