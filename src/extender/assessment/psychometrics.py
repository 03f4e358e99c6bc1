"""Classical test theory for the exam report: one import for everything the report needs.

Pure numpy/scipy (no database, no web) so services, the CLI and benchmarks share one
implementation and it can be checked against hand-computed values. The work is split by
question the psychometrician asks:

* :mod:`.psychometrics_items` — is each item doing its job? (p-values, corrected
  point-biserials, distractor analysis, time, review flags)
* :mod:`.psychometrics_reliability` — how precise is the test? (KR-20 / alpha, SEM,
  conditional SEM, score distribution, pass rate)
* :mod:`.psychometrics_decision` — would pass/fail decisions repeat? (Subkoviak, Huynh)
* :mod:`.psychometrics_dif` — is any item unfair to a group? (Mantel-Haenszel, ETS A/B/C)
* :mod:`.psychometrics_angoff` — where should the cut be? (modified Angoff)

Every function validates its input and raises :class:`PsychometricsInputError` (a
``ValueError`` and an ``InvalidInput``) naming the problem. A statistic that does not exist
for valid data (an item everyone answered correctly has no point-biserial) is ``None`` with a
note saying why, never a silent NaN.
"""

from __future__ import annotations

from extender.assessment.psychometrics_angoff import (
    AngoffRound,
    AngoffStudy,
    angoff_study,
    modified_angoff,
)
from extender.assessment.psychometrics_common import Flag, PsychometricsInputError
from extender.assessment.psychometrics_decision import (
    DecisionConsistency,
    decision_consistency,
    huynh_consistency,
    kr21,
    subkoviak_consistency,
)
from extender.assessment.psychometrics_dif import (
    ETS_DELTA_SCALE,
    MantelHaenszelDif,
    ets_dif_category,
    mantel_haenszel,
    mantel_haenszel_dif,
    screen_dif,
)
from extender.assessment.psychometrics_items import (
    ItemAnalysis,
    ItemStatistics,
    OptionStatistics,
    analyze_items,
)
from extender.assessment.psychometrics_reliability import (
    TestSummary,
    coefficient_alpha,
    conditional_sem_binomial,
    kr20,
    score_distribution,
    standard_error_of_measurement,
    summarize_test,
)

__all__ = [
    "ETS_DELTA_SCALE",
    "AngoffRound",
    "AngoffStudy",
    "DecisionConsistency",
    "Flag",
    "ItemAnalysis",
    "ItemStatistics",
    "MantelHaenszelDif",
    "OptionStatistics",
    "PsychometricsInputError",
    "TestSummary",
    "analyze_items",
    "angoff_study",
    "coefficient_alpha",
    "conditional_sem_binomial",
    "decision_consistency",
    "ets_dif_category",
    "huynh_consistency",
    "kr20",
    "kr21",
    "mantel_haenszel",
    "mantel_haenszel_dif",
    "modified_angoff",
    "score_distribution",
    "screen_dif",
    "standard_error_of_measurement",
    "subkoviak_consistency",
    "summarize_test",
]
