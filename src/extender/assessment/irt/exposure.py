"""Sympson-Hetter exposure parameters, found the classical way: by repeated simulation.

Maximum-information selection gives the few most discriminating items to nearly everyone, so
they leak. Sympson and Hetter put the selected item to a lottery it wins with probability
``K_i``; an item that loses is passed over for the rest of that test, and when every eligible
item of the domain has been passed over the best of them is given anyway (the usual
"Sympson-Hetter with a fallback", so that the lottery never ends a test early; see
:mod:`.selection`). The rate at which item i is given is then
``P(selected_i) * K_i + P(fallback_i)``. Starting from ``K = 1``, each round simulates the
adaptive test on a sample from the target population, through the same
:class:`~.procedure.AdaptiveProcedure` live delivery uses, and sets
``K_i = min(1, (r_max - P(fallback_i)) / P(selected_i))`` (the classical ``r_max / P(S_i)``
when no fallback happens). Rounds repeat until no item's observed exposure exceeds ``r_max``
by more than ``tolerance`` (or ``rounds`` runs out, which is reported).

The exposure rates of one simulated sample sum to its mean test length, so no item set can
keep every rate below ``mean length / pool size``. A target below that is refused, before the
first round against the minimum length and then against each round's mean length, instead of
being "tuned" to parameters that cannot work. The same holds within a content domain: its
rates sum to the items per test the blueprint takes from it, so a target below that over the
domain's size is refused too.

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

__all__ = [
    "FORM_TUNING_EXAMINEES",
    "FORM_TUNING_ROUNDS",
    "ExposureCalibration",
    "InfeasibleExposureTarget",
    "check_exposure_target",
    "sympson_hetter_parameters",
]


FORM_TUNING_EXAMINEES = 400
FORM_TUNING_ROUNDS = 8
"""How a live adaptive form is tuned; ``extender exams simulate --sympson-hetter`` does the same."""


class InfeasibleExposureTarget(IrtInputError):
    """An exposure target no exposure control can meet: below mean test length / pool size (or,
    for one domain, below the items per test the blueprint takes from it / its size)."""

    def __init__(self, r_max: float, floor: float, detail: str) -> None:
        super().__init__(
            f"a maximum exposure rate of {r_max:g} cannot be met: {detail}, so the average "
            f"such item is given to {floor:.2f} of candidates; set the exposure target well "
            f"above {floor:.2f}, shorten the test, or enlarge the pool"
        )
        self.r_max = r_max
        self.floor = floor


def check_exposure_target(r_max: float, length: float, pool: int, *, minimum: bool) -> None:
    """Refuse ``r_max`` below ``length / pool`` (the mean of the exposure rates)."""
    if pool > 0 and r_max < length / pool - 1e-12:
        detail = (
            f"with a minimum test length of {length:g} items from a pool of {pool}"
            if minimum
            else f"with a mean test length in simulation of {length:.1f} items from a pool of "
            f"{pool}"
        )
        raise InfeasibleExposureTarget(r_max, length / pool, detail)


def _check_domains(r_max: float, selector: AdaptiveSelector, exposure: FloatArray) -> None:
    """Within a domain the rates sum to the items per test the blueprint takes from it."""
    domain_of = selector.domain_of
    for d, name in enumerate(selector.domain_names):
        members = domain_of == d
        size = int(members.sum())
        per_test = float(exposure[members].sum())
        if size and r_max < per_test / size - 1e-12:
            detail = (
                f"tests take {per_test:.1f} items on average from the {size} items of domain {name}"
            )
            raise InfeasibleExposureTarget(r_max, per_test / size, detail)


@dataclass(frozen=True)
class ExposureCalibration:
    """The K parameters and how exposure developed over the simulation rounds.

    ``mean_length`` and ``fallback_rate`` (the share of administrations made by the fallback
    rule) describe the last round's simulation."""

    parameters: FloatArray
    exposure_rates: FloatArray
    max_exposure_by_round: tuple[float, ...]
    converged: bool
    mean_length: float = 0.0
    fallback_rate: float = 0.0


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
    """Find K_i so that no item is given to more than about ``r_max`` of examinees.

    Raises :class:`InfeasibleExposureTarget` when ``r_max`` is below mean test length / pool
    size."""
    if not 0 < r_max <= 1:
        raise IrtInputError("r_max must lie in (0, 1]")
    if rounds < 1:
        raise IrtInputError("Sympson-Hetter tuning needs at least one round")
    n_items = selector.items.n_items
    check_exposure_target(r_max, stopping.min_items, n_items, minimum=True)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    thetas = (
        generator.normal(0.0, 1.0, n_examinees)
        if theta is None
        else np.asarray(theta, dtype=np.float64).reshape(-1)
    )
    allowance = 3.0 * np.sqrt(r_max * (1.0 - r_max) / max(thetas.shape[0], 1))
    slack = float(allowance) if tolerance is None else float(tolerance)
    parameters = np.ones(n_items)
    history: list[float] = []
    for round_ in range(rounds):
        report = simulation_study(
            selector.items,
            theta=thetas,
            selector=selector.with_exposure(parameters),
            stopping=stopping,
            rng=generator,
        )
        check_exposure_target(r_max, report.mean_length, n_items, minimum=False)
        exposure = report.exposure_rates
        _check_domains(r_max, selector, exposure)
        history.append(float(exposure.max(initial=0.0)))
        given = float(exposure.sum())
        fallback_share = float(report.fallback_rates.sum()) / given if given else 0.0
        converged = history[-1] <= r_max + slack
        if converged or round_ == rounds - 1:
            return ExposureCalibration(
                parameters, exposure, tuple(history), converged, report.mean_length, fallback_share
            )
        selected = report.selection_rates
        room = np.maximum(r_max - report.fallback_rates, 0.0)
        parameters = np.where(selected > room, room / np.maximum(selected, 1e-12), 1.0)
    raise AssertionError("unreachable: the last round returns")
