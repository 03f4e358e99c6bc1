"""Fixed quadrature over the ability distribution, shared by calibration and EAP scoring.

Bock-Aitkin EM and EAP both replace the integral over theta by a weighted sum over fixed nodes.
Equally spaced nodes weighted by the normal density (rather than Gauss-Hermite) keep posterior
tables interpretable as a histogram and let the population mean and SD be re-estimated by
simply moving the nodes (``nodes = mean + sd * z``) while the weights stay put.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from extender.assessment.irt.models import FloatArray, IrtInputError

__all__ = ["Quadrature", "normal_quadrature", "posterior_table"]


@dataclass(frozen=True)
class Quadrature:
    """Standard-normal nodes ``z`` and weights (summing to 1) plus the population's location.

    ``nodes`` are on the theta scale: ``mean + sd * z``.
    """

    z: FloatArray
    weights: FloatArray
    mean: float = 0.0
    sd: float = 1.0

    @property
    def nodes(self) -> FloatArray:
        return np.asarray(self.mean + self.sd * self.z, dtype=np.float64)

    @property
    def log_weights(self) -> FloatArray:
        return np.asarray(np.log(self.weights), dtype=np.float64)

    def moved(self, mean: float, sd: float) -> Quadrature:
        return Quadrature(self.z, self.weights, float(mean), float(sd))


def normal_quadrature(
    n_points: int = 41, bound: float = 5.0, mean: float = 0.0, sd: float = 1.0
) -> Quadrature:
    """Equally spaced nodes on [-bound, bound] in z units, N(0, 1) weights.

    41 points over +/-5 SD gives a spacing of 0.25, fine enough that EAPs move by well under
    0.01 when the grid is refined, yet keeps the E-step's matrix products small.
    """
    if n_points < 5:
        raise IrtInputError("use at least 5 quadrature points")
    if bound <= 0 or sd <= 0:
        raise IrtInputError("quadrature bound and SD must be positive")
    z = np.linspace(-bound, bound, n_points)
    density = np.exp(-0.5 * z**2)
    return Quadrature(z, density / density.sum(), float(mean), float(sd))


def posterior_table(
    log_likelihood: FloatArray, log_weights: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Normalise ``log L + log w`` row by row; return (posterior (N, Q), log marginal (N,)).

    Works in place on a copy-free path because the table can be the largest array in a
    calibration (examinees x nodes).
    """
    table = log_likelihood + log_weights[None, :]
    row_max = table.max(axis=1, keepdims=True)
    table -= row_max
    np.exp(table, out=table)
    totals = table.sum(axis=1, keepdims=True)
    table /= totals
    marginal = (row_max + np.log(totals))[:, 0]
    return table, np.asarray(marginal, dtype=np.float64)


def log_marginal(log_likelihood: FloatArray, log_weights: FloatArray) -> FloatArray:
    """log sum_q L(x | theta_q) w_q for each row, without forming the posterior."""
    return np.asarray(logsumexp(log_likelihood + log_weights[None, :], axis=1), dtype=np.float64)
