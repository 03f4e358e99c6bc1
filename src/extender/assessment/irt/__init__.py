"""Item response theory engine: models, calibration, scoring, adaptive testing, simulation.

Pure numpy/scipy, with no database or web imports, so services, the CLI, tests and benchmarks
all share one implementation and it can be measured on its own. Logistic models use D = 1.0
(see :mod:`.models`). Every function that draws random numbers takes a seed or a
``numpy.random.Generator``.

Typical use::

    result = calibrate(responses, "2pl")            # MML/EM; NaN marks unadministered cells
    scores = estimate_eap(new_responses, result.items)
    selector = AdaptiveSelector(result.items, domains=domains, blueprint={"A": .6, "B": .4})
    test = selector.start(rng=seed)
    item = selector.next_item(test); selector.record(test, item, response)

Note for test authors: ``test_information`` and ``test_information_svg`` start with ``test_``;
import the module (``from extender.assessment.irt import models``) rather than the names, or
pytest will try to collect them.
"""

from extender.assessment.irt.calibration import (
    DEFAULT_GUESSING_PRIOR,
    CalibrationResult,
    Convergence,
    StandardErrors,
    calibrate,
    calibrate_1pl,
    calibrate_2pl,
    calibrate_3pl,
    calibrate_grm,
    calibrate_rasch,
)
from extender.assessment.irt.exposure import (
    ExposureCalibration,
    InfeasibleExposureTarget,
    check_exposure_target,
    sympson_hetter_parameters,
)
from extender.assessment.irt.fit import ItemFit, PersonFit, item_fit, person_fit
from extender.assessment.irt.models import (
    NORMAL_OGIVE_D,
    D,
    GradedItems,
    IrtInputError,
    ItemParameters,
    ItemSet,
    grm_category_probabilities,
    grm_item_information,
    item_information,
    probability,
    test_information,
)
from extender.assessment.irt.plots import exposure_histogram_svg, icc_svg, test_information_svg
from extender.assessment.irt.procedure import AdaptiveProcedure, Decision
from extender.assessment.irt.quadrature import Quadrature, normal_quadrature
from extender.assessment.irt.responses import ResponseMatrix, prepare_responses
from extender.assessment.irt.scales import (
    CutScore,
    ScoreScale,
    convert_cut_score,
    expected_raw_score,
    theta_for_raw_score,
)
from extender.assessment.irt.scoring import (
    AbilityEstimates,
    estimate_eap,
    estimate_map,
    estimate_mle,
)
from extender.assessment.irt.selection import AdaptiveSelector, AdaptiveTest
from extender.assessment.irt.simulation import (
    AdaptiveOutcome,
    SimulationReport,
    run_adaptive_test,
    run_procedure,
    simulate_responses,
    simulation_study,
)
from extender.assessment.irt.stopping import (
    SPRT,
    StoppingRule,
    StopReason,
    sprt_log_likelihood_ratio,
)

__all__ = [
    "DEFAULT_GUESSING_PRIOR",
    "NORMAL_OGIVE_D",
    "SPRT",
    "AbilityEstimates",
    "AdaptiveOutcome",
    "AdaptiveProcedure",
    "AdaptiveSelector",
    "AdaptiveTest",
    "CalibrationResult",
    "Convergence",
    "CutScore",
    "D",
    "Decision",
    "ExposureCalibration",
    "GradedItems",
    "InfeasibleExposureTarget",
    "IrtInputError",
    "ItemFit",
    "ItemParameters",
    "ItemSet",
    "PersonFit",
    "Quadrature",
    "ResponseMatrix",
    "ScoreScale",
    "SimulationReport",
    "StandardErrors",
    "StopReason",
    "StoppingRule",
    "calibrate",
    "calibrate_1pl",
    "calibrate_2pl",
    "calibrate_3pl",
    "calibrate_grm",
    "calibrate_rasch",
    "check_exposure_target",
    "convert_cut_score",
    "estimate_eap",
    "estimate_map",
    "estimate_mle",
    "expected_raw_score",
    "exposure_histogram_svg",
    "grm_category_probabilities",
    "grm_item_information",
    "icc_svg",
    "item_fit",
    "item_information",
    "normal_quadrature",
    "person_fit",
    "prepare_responses",
    "probability",
    "run_adaptive_test",
    "run_procedure",
    "simulate_responses",
    "simulation_study",
    "sprt_log_likelihood_ratio",
    "sympson_hetter_parameters",
    "test_information",
    "test_information_svg",
    "theta_for_raw_score",
]
