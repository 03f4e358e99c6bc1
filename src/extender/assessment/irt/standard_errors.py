"""Standard errors of item parameters from the empirical (cross-product) information.

Why cross-products: at the MML solution each examinee's score vector
``s_i = d log L(x_i) / d eta`` is an integral over that examinee's posterior, which the E-step
has already tabulated, so ``sum_i s_i s_i^T`` costs a few matrix products and no second
derivatives. It estimates the full information matrix, between-item covariances included,
because every item's score shares the same posterior. Prior terms (the 3PL Beta prior on c,
a slope prior) are added as their negative Hessians, matching the MAP estimate.

Limits, stated so nobody over-reads the numbers: the population mean/SD re-estimated during a
fixed-parameter calibration are treated as known, and above ``FULL_MATRIX_LIMIT`` parameters
only each item's own block is inverted (between-item covariance dropped), which is noted in
the calibration warnings.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from extender.assessment.irt.models import BoolArray, FloatArray
from extender.assessment.irt.responses import ResponseMatrix

__all__ = ["FULL_MATRIX_LIMIT", "parameter_standard_errors"]

FULL_MATRIX_LIMIT = 2500
_CHUNK = 16384


class ScoredModel(Protocol):
    free: BoolArray

    def log_prob_gradients(self, nodes: FloatArray) -> FloatArray: ...

    def parameter_mask(self) -> BoolArray: ...

    def shared_gradients(self, nodes: FloatArray) -> FloatArray | None: ...

    def prior_information(self) -> FloatArray: ...

    def reporting_jacobian(self) -> tuple[FloatArray, FloatArray | None]: ...


def parameter_standard_errors(
    model: ScoredModel, data: ResponseMatrix, posterior: FloatArray, nodes: FloatArray
) -> tuple[FloatArray, list[str]]:
    """SEs of the reported parameters of the free items, (J_free, R), plus any warnings."""
    free = np.flatnonzero(model.free)
    grads = model.log_prob_gradients(nodes)
    n_free, _, _, n_par = grads.shape
    if n_free == 0:
        return np.zeros((0, 0)), []
    shared = model.shared_gradients(nodes)
    kept = np.flatnonzero(model.parameter_mask().ravel())
    total = kept.shape[0] + (1 if shared is not None else 0)
    full = total <= FULL_MATRIX_LIMIT
    warnings: list[str] = []
    if not full:
        warnings.append(
            f"{total} free parameters: standard errors use each item's own information block"
        )
    info = _empirical_information(data.categories[:, free], posterior, grads, shared, kept, full)
    prior = model.prior_information()
    jac, shared_jac = model.reporting_jacobian()
    if full:
        cov, note = _invert(info + _block_diagonal(prior, kept, total))
        if note:
            warnings.append(note)
        variances = _reported_variances(cov, jac, shared_jac, n_free, n_par, kept)
    else:
        blocks = info + prior
        blocks += 1e-10 * np.eye(n_par)[None, :, :]
        cov_blocks = np.linalg.pinv(blocks, hermitian=True)
        variances = np.einsum("jrp,jpq,jrq->jr", jac, cov_blocks, jac)
    return np.sqrt(np.maximum(variances, 0.0)), warnings


def _empirical_information(
    categories: np.ndarray,
    posterior: FloatArray,
    grads: FloatArray,
    shared: FloatArray | None,
    kept: np.ndarray,
    full: bool,
) -> FloatArray:
    n_free, k_max, n_q, n_par = grads.shape
    stacked = grads.transpose(1, 2, 0, 3).reshape(k_max, n_q, n_free * n_par)
    total = kept.shape[0] + (1 if shared is not None else 0)
    info = np.zeros((total, total)) if full else np.zeros((n_free, n_par, n_par))
    for start in range(0, posterior.shape[0], _CHUNK):
        post = posterior[start : start + _CHUNK]
        x = categories[start : start + _CHUNK]
        scores = np.zeros((post.shape[0], n_free, n_par))
        shared_scores = np.zeros(post.shape[0])
        for k in range(k_max):
            hit = (x == k).astype(np.float64)
            if not hit.any():
                continue
            scores += hit[:, :, None] * (post @ stacked[k]).reshape(-1, n_free, n_par)
            if shared is not None:
                shared_scores += (hit * (post @ shared[:, k, :].T)).sum(axis=1)
        if full:
            flat = scores.reshape(post.shape[0], -1)[:, kept]
            if shared is not None:
                flat = np.column_stack([flat, shared_scores])
            info += flat.T @ flat
        else:
            info += np.einsum("nja,njb->jab", scores, scores)
    return info


def _block_diagonal(prior: FloatArray, kept: np.ndarray, total: int) -> FloatArray:
    n_free, n_par, _ = prior.shape
    dense = np.zeros((n_free * n_par, n_free * n_par))
    for j in range(n_free):
        block = slice(j * n_par, (j + 1) * n_par)
        dense[block, block] = prior[j]
    out = np.zeros((total, total))
    out[: kept.shape[0], : kept.shape[0]] = dense[np.ix_(kept, kept)]
    return out


def _invert(matrix: FloatArray) -> tuple[FloatArray, str | None]:
    try:
        cov = np.linalg.inv(matrix)
        if np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0):
            return np.asarray(cov, dtype=np.float64), None
    except np.linalg.LinAlgError:
        pass
    note = "information matrix is singular: standard errors use its pseudo-inverse"
    return np.asarray(np.linalg.pinv(matrix, hermitian=True), dtype=np.float64), note


def _reported_variances(
    cov: FloatArray,
    jac: FloatArray,
    shared_jac: FloatArray | None,
    n_free: int,
    n_par: int,
    kept: np.ndarray,
) -> FloatArray:
    size = n_free * n_par
    expanded = np.zeros((size, size))
    expanded[np.ix_(kept, kept)] = cov[: kept.shape[0], : kept.shape[0]]
    items = np.arange(n_free)
    blocks = expanded.reshape(n_free, n_par, n_free, n_par)[items, :, items, :]
    variances = np.einsum("jrp,jpq,jrq->jr", jac, blocks, jac)
    if shared_jac is not None:
        cross = np.zeros(size)
        cross[kept] = cov[: kept.shape[0], -1]
        cross_items = cross.reshape(n_free, n_par)
        variances += 2.0 * shared_jac * np.einsum("jrp,jp->jr", jac, cross_items)
        variances += shared_jac**2 * cov[-1, -1]
    return np.asarray(variances, dtype=np.float64)
