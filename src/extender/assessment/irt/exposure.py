"""Sympson-Hetter exposure parameters, found the classical way: by repeated simulation.

Maximum-information selection gives the few most discriminating items to nearly everyone, so
they leak. Sympson and Hetter administer a selected item only with probability ``K_i``; the
rate at which item i is then *given* is ``P(selected) * K_i``. Starting from ``K = 1``, each
round simulates the adaptive test on a sample from the target population, and sets
``K_i = min(1, r_max / P(selected_i))``. Rounds repeat until no item's observed exposure
exceeds ``r_max`` by more than ``tolerance`` (or ``rounds`` runs out, which is reported).

The default tolerance is three binomial standard errors of a rate of ``r_max`` in the
simulated sample: the largest of hundreds of noisy exposure estimates overshoots its true
value, and demanding more than the sample can resolve would only make the loop oscillate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import FloatArray, IrtInputError
from extender.assessment.irt.selection import AdaptiveSelector
from extender.assessment.irt.simulation import simulation_study
from extender.assessment.irt.stopping import StoppingRule

__all__ = ["ExposureCalibration", "sympson_hetter_parameters"]


@dataclass(frozen=True)
class ExposureCalibration:
    """The K parameters and how exposure developed over the simulation rounds."""

    parameters: FloatArray
    exposure_rates: FloatArray
    max_exposure_by_round: tuple[float, ...]
    converged: bool


def sympson_hetter_parameters(
    selector: AdaptiveSelector,
    stopping: StoppingRule,
    *,
    r_max: float = 0.25,
    theta: ArrayLike | None = None,
    n_examinees: int = 1000,
    rounds: int = 20,
    tolerance: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> ExposureCalibration:
    """Find K_i so that no item is given to more than about ``r_max`` of examinees."""
    if not 0 < r_max <= 1:
        raise IrtInputError("r_max must lie in (0, 1]")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    thetas = (
        generator.normal(0.0, 1.0, n_examinees)
        if theta is None
        else np.asarray(theta, dtype=np.float64).reshape(-1)
    )
    allowance = 3.0 * np.sqrt(r_max * (1.0 - r_max) / max(thetas.shape[0], 1))
    slack = float(allowance) if tolerance is None else float(tolerance)
    parameters = np.ones(selector.items.n_items)
    history: list[float] = []
    exposure = np.zeros_like(parameters)
    for _ in range(rounds):
        report = simulation_study(
            selector.items,
            theta=thetas,
            selector=selector.with_exposure(parameters),
            stopping=stopping,
            rng=generator,
        )
        exposure = report.exposure_rates
        history.append(float(exposure.max(initial=0.0)))
        if history[-1] <= r_max + slack:
            return ExposureCalibration(parameters, exposure, tuple(history), True)
        selected = report.selection_rates
        parameters = np.where(selected > r_max, r_max / np.maximum(selected, 1e-12), 1.0)
    return ExposureCalibration(parameters, exposure, tuple(history), False)
