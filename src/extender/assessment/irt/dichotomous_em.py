"""M-step for dichotomous items: every free item's Fisher-scoring update at once.

Items are estimated in slope-intercept form, ``z = a theta + d`` (so ``b = -d / a``), with the
3PL guessing parameter on the logit scale (``c = expit(g)``). The intercept form makes the
2PL's expected and observed information coincide (the logit is its canonical link), and the
logit keeps ``c`` inside (0, 1) without constrained optimisation.

Each Newton step solves a stack of tiny (p x p) systems with one ``numpy.linalg.solve`` call,
then backtracks item by item: a step that lowers an item's expected complete-data
log-likelihood is halved, so the EM never goes downhill (a generalised EM).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit

from extender.assessment.irt.models import PROBABILITY_FLOOR, BoolArray, D, FloatArray

__all__ = ["DichotomousModel", "ModelKind"]

ModelKind = str  # "rasch" | "1pl" | "2pl" | "3pl"
SLOPE_BOUNDS = (0.01, 10.0)
INTERCEPT_BOUNDS = (-40.0, 40.0)
GUESS_LOGIT_BOUNDS = (float(logit(1e-4)), float(logit(0.6)))
_PARAMS = {"rasch": (1,), "1pl": (1,), "2pl": (0, 1), "3pl": (0, 1, 2)}
_NEWTON_STEPS = 6
_HALVINGS = 8


@dataclass
class DichotomousModel:
    """Current estimates for the items of one calibration plus the rules for moving them.

    ``free`` marks the items the M-step may change; anchors and nothing else are held fixed
    (excluded items have already been dropped from the data by the caller).
    """

    kind: ModelKind
    a: FloatArray
    d: FloatArray
    c: FloatArray
    free: BoolArray
    guessing_prior: tuple[float, float] | None = None
    slope_prior: tuple[float, float] | None = None
    _cols: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self._cols = _PARAMS[self.kind]

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    @property
    def n_params(self) -> int:
        return len(self._cols)

    @property
    def has_shared_slope(self) -> bool:
        return self.kind == "1pl"

    def log_probs(self, nodes: FloatArray) -> FloatArray:
        """(J, 2, Q) log P(category | node), floored so a log is never -inf."""
        p = _probability(self.a, self.d, self.c, nodes)
        return np.log(np.stack([1.0 - p, p], axis=1))

    def reported(self) -> FloatArray:
        """(J, 3) a, b, c — the scale on which convergence is judged and results reported."""
        return np.column_stack([self.a, -self.d / self.a, self.c])

    def state(self) -> FloatArray:
        """Free items' (a, d[, logit c]) as one vector, for EM extrapolation."""
        free = self.free
        parts = [self.a[free], self.d[free]]
        if self.kind == "3pl":
            parts.append(_guess_logit(self.c[free]))
        return np.concatenate(parts)

    def set_state(self, state: FloatArray) -> None:
        """Inverse of :meth:`state`, clipped to the parameter bounds; anchors are untouched."""
        free = self.free
        n = int(free.sum())
        self.a[free] = np.clip(state[:n], *SLOPE_BOUNDS) if self.kind != "rasch" else 1.0
        self.d[free] = np.clip(state[n : 2 * n], *INTERCEPT_BOUNDS)
        if self.kind == "3pl":
            self.c[free] = expit(np.clip(state[2 * n : 3 * n], *GUESS_LOGIT_BOUNDS))

    def m_step(self, counts: FloatArray, nodes: FloatArray) -> None:
        r1 = counts[:, 1, :]
        n = counts[:, 0, :] + r1
        free = np.flatnonzero(self.free)
        if free.size == 0:
            return
        for _ in range(_NEWTON_STEPS):
            moved = self._newton_step(free, r1[free], n[free], nodes)
            if self.has_shared_slope:
                moved = max(moved, self._shared_slope_step(free, r1[free], n[free], nodes))
            if moved < 1e-7:
                break

    def _newton_step(
        self, free: np.ndarray, r1: FloatArray, n: FloatArray, nodes: FloatArray
    ) -> float:
        eta = self._eta(free)
        p, dp = _derivatives(eta, self.c[free], self.a[free], nodes, self._cols)
        weight = r1 / p - (n - r1) / (1.0 - p)
        grad = np.einsum("jq,jqr->jr", weight, dp)
        info = np.einsum("jq,jqr,jqs->jrs", n / (p * (1.0 - p)), dp, dp)
        prior_grad, prior_info = self._prior_terms(eta)
        grad += prior_grad
        info += prior_info
        info += 1e-9 * np.eye(self.n_params)[None, :, :]
        step = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
        step /= np.maximum(1.0, np.abs(step).max(axis=1, keepdims=True))
        base = self._objective(eta, free, r1, n, nodes)
        accepted = np.zeros_like(eta)
        pending = np.ones(free.shape[0], dtype=bool)
        scale = 1.0
        for _ in range(_HALVINGS):
            trial = self._clip(eta + scale * step)
            better = self._objective(trial, free, r1, n, nodes) >= base - 1e-12
            take = pending & better
            accepted[take] = trial[take] - eta[take]
            pending &= ~better
            if not pending.any():
                break
            scale *= 0.5
        self._store(free, eta + accepted)
        return float(np.abs(accepted).max(initial=0.0))

    def _shared_slope_step(
        self, free: np.ndarray, r1: FloatArray, n: FloatArray, nodes: FloatArray
    ) -> float:
        """One Fisher step on the slope that all free 1PL items share."""
        a, d, c = self.a[free], self.d[free], self.c[free]
        s = expit(D * (a[:, None] * nodes[None, :] + d[:, None]))
        p = np.clip(s, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        dp = D * s * (1.0 - s) * nodes[None, :]
        grad = float(((r1 / p - (n - r1) / (1.0 - p)) * dp).sum())
        info = float((n / (p * (1.0 - p)) * dp**2).sum()) + 1e-9
        step = float(np.clip(grad / info, -0.5, 0.5))
        base = _loglik(r1, n, p).sum()
        for _ in range(_HALVINGS):
            trial = float(np.clip(a[0] + step, *SLOPE_BOUNDS))
            p_trial = _probability(np.full_like(a, trial), d, c, nodes)
            if _loglik(r1, n, p_trial).sum() >= base - 1e-12:
                self.a[free] = trial
                return abs(trial - float(a[0]))
            step *= 0.5
        return 0.0

    def _eta(self, free: np.ndarray) -> FloatArray:
        full = np.column_stack([self.a[free], self.d[free], _guess_logit(self.c[free])])
        return np.asarray(full[:, list(self._cols)], dtype=np.float64)

    def _store(self, free: np.ndarray, eta: FloatArray) -> None:
        for position, col in enumerate(self._cols):
            if col == 0:
                self.a[free] = eta[:, position]
            elif col == 1:
                self.d[free] = eta[:, position]
            else:
                self.c[free] = expit(eta[:, position])

    def _clip(self, eta: FloatArray) -> FloatArray:
        bounds = (SLOPE_BOUNDS, INTERCEPT_BOUNDS, GUESS_LOGIT_BOUNDS)
        out = eta.copy()
        for position, col in enumerate(self._cols):
            out[:, position] = np.clip(out[:, position], *bounds[col])
        return out

    def _unpack(self, eta: FloatArray, free: np.ndarray) -> tuple[FloatArray, ...]:
        a, d, c = self.a[free].copy(), self.d[free].copy(), self.c[free].copy()
        for position, col in enumerate(self._cols):
            if col == 0:
                a = eta[:, position]
            elif col == 1:
                d = eta[:, position]
            else:
                c = expit(eta[:, position])
        return a, d, c

    def _objective(
        self, eta: FloatArray, free: np.ndarray, r1: FloatArray, n: FloatArray, nodes: FloatArray
    ) -> FloatArray:
        a, d, c = self._unpack(eta, free)
        value = _loglik(r1, n, _probability(a, d, c, nodes))
        return value + self._log_prior(a, c)

    def _log_prior(self, a: FloatArray, c: FloatArray) -> FloatArray:
        total = np.zeros_like(a)
        if self.guessing_prior is not None and 2 in self._cols:
            alpha, beta = self.guessing_prior
            total += (alpha - 1.0) * np.log(c) + (beta - 1.0) * np.log1p(-c)
        if self.slope_prior is not None and 0 in self._cols:
            mu, sigma = self.slope_prior
            total += -0.5 * ((np.log(a) - mu) / sigma) ** 2 - np.log(a)
        return total

    def _prior_terms(self, eta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Gradient and information (negative Hessian) of the log-priors in eta coordinates."""
        n_items, n_params = eta.shape
        grad = np.zeros((n_items, n_params))
        info = np.zeros((n_items, n_params, n_params))
        if self.guessing_prior is not None and 2 in self._cols:
            k = self._cols.index(2)
            alpha, beta = self.guessing_prior
            c = expit(eta[:, k])
            grad[:, k] = (alpha - 1.0) * (1.0 - c) - (beta - 1.0) * c
            info[:, k, k] = max(alpha + beta - 2.0, 0.0) * c * (1.0 - c)
        if self.slope_prior is not None and 0 in self._cols:
            k = self._cols.index(0)
            mu, sigma = self.slope_prior
            a = eta[:, k]
            grad[:, k] = -(np.log(a) - mu) / (sigma**2 * a) - 1.0 / a
            info[:, k, k] = 1.0 / (sigma * a) ** 2
        return grad, info

    # --- pieces the standard-error computation needs -------------------------------------

    def log_prob_gradients(self, nodes: FloatArray) -> FloatArray:
        """(J_free, 2, Q, p): d log P(category) / d eta for each free item."""
        free = np.flatnonzero(self.free)
        p, dp = _derivatives(self._eta(free), self.c[free], self.a[free], nodes, self._cols)
        return np.stack([-dp / (1.0 - p)[:, :, None], dp / p[:, :, None]], axis=1)

    def shared_gradients(self, nodes: FloatArray) -> FloatArray | None:
        """(J_free, 2, Q) d log P / d (shared slope) for 1PL, else None."""
        if not self.has_shared_slope:
            return None
        free = np.flatnonzero(self.free)
        a, d = self.a[free], self.d[free]
        s = expit(D * (a[:, None] * nodes[None, :] + d[:, None]))
        dp = D * s * (1.0 - s) * nodes[None, :]
        p = np.clip(s, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        return np.stack([-dp / (1.0 - p), dp / p], axis=1)

    def parameter_mask(self) -> BoolArray:
        return np.ones((int(self.free.sum()), self.n_params), dtype=bool)

    def prior_information(self) -> FloatArray:
        return self._prior_terms(self._eta(np.flatnonzero(self.free)))[1]

    def reporting_jacobian(self) -> tuple[FloatArray, FloatArray | None]:
        """d(a, b, c)/d eta per free item (J_free, 3, p) and d/d shared slope (J_free, 3)."""
        free = np.flatnonzero(self.free)
        a, d, c = self.a[free], self.d[free], self.c[free]
        full = np.zeros((free.shape[0], 3, 3))
        full[:, 0, 0] = 1.0
        full[:, 1, 0] = d / a**2
        full[:, 1, 1] = -1.0 / a
        full[:, 2, 2] = c * (1.0 - c)
        jac = full[:, :, list(self._cols)]
        shared = None
        if self.has_shared_slope:
            shared = np.column_stack([np.ones_like(a), d / a**2, np.zeros_like(a)])
        return jac, shared


def _guess_logit(c: FloatArray) -> FloatArray:
    return np.asarray(logit(np.clip(c, 1e-12, 1.0 - 1e-12)), dtype=np.float64)


def _probability(a: FloatArray, d: FloatArray, c: FloatArray, nodes: FloatArray) -> FloatArray:
    s = expit(D * (a[:, None] * nodes[None, :] + d[:, None]))
    p = c[:, None] + (1.0 - c[:, None]) * s
    return np.asarray(np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR), dtype=np.float64)


def _loglik(r1: FloatArray, n: FloatArray, p: FloatArray) -> FloatArray:
    return np.asarray((r1 * np.log(p) + (n - r1) * np.log1p(-p)).sum(axis=1), dtype=np.float64)


def _derivatives(
    eta: FloatArray,
    c_fixed: FloatArray,
    a_fixed: FloatArray,
    nodes: FloatArray,
    cols: tuple[int, ...],
) -> tuple[FloatArray, FloatArray]:
    """P (J, Q) and dP/d eta (J, Q, p) for the parameter columns ``cols`` of (a, d, g)."""
    a, d, c = a_fixed, None, c_fixed
    for position, col in enumerate(cols):
        if col == 0:
            a = eta[:, position]
        elif col == 1:
            d = eta[:, position]
        else:
            c = expit(eta[:, position])
    assert d is not None
    s = expit(D * (a[:, None] * nodes[None, :] + d[:, None]))
    core = D * (1.0 - c[:, None]) * s * (1.0 - s)
    columns = {
        0: core * nodes[None, :],
        1: core,
        2: (1.0 - s) * (c * (1.0 - c))[:, None],
    }
    p = np.clip(c[:, None] + (1.0 - c[:, None]) * s, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return p, np.stack([columns[col] for col in cols], axis=2)
