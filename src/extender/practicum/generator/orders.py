"""Which laboratory tests a clinician orders at a visit.

Screening at check-ups (glucose and kidney function for adults, lipids from 40 or when
indicated, an A1c for those at risk) and monitoring at follow-ups (A1c every diabetes visit,
kidney function for hypertension and CKD, TSH for thyroid replacement), so every result in the
chart has a reason a learner can find.
"""

from __future__ import annotations

import random

from extender.practicum.generator.observations import BASIC_PANEL, CBC, LIPID_PANEL
from extender.practicum.generator.timeline import Visit

STATIN_CONDITIONS = ("hyperlipidemia", "cad")
MONITORING = (
    ("diabetes_t2", ("hba1c", "glucose"), 0.9),
    ("hyperlipidemia", LIPID_PANEL, 0.35),
    ("hypothyroidism", ("tsh",), 0.6),
    ("ckd3", ("creatinine", "egfr", "potassium"), 0.8),
    ("hypertension", ("creatinine", "egfr", "potassium"), 0.3),
    ("iron_deficiency_anemia", ("hemoglobin", "hematocrit"), 0.6),
    ("vitamin_d_deficiency", ("vitamin_d",), 0.5),
    ("prediabetes", ("hba1c",), 0.5),
)


def lab_orders(rng: random.Random, age: int, have: set[str], visit: Visit) -> list[str]:
    """Tests ordered at ``visit`` for an adult with problems ``have`` (children get none)."""
    if age < 18 or (visit.sick and not visit.reasons):
        return []
    tests = _screening(rng, age, have) if visit.kind == "checkup" else []
    for condition, panel, chance in MONITORING:
        if condition in visit.reasons and rng.random() < chance:
            tests += panel
    return list(dict.fromkeys(tests))


def _screening(rng: random.Random, age: int, have: set[str]) -> list[str]:
    tests = ["glucose", "creatinine", "egfr"]
    if rng.random() < 0.35:
        tests += BASIC_PANEL
    lipids_indicated = bool(have & {"hyperlipidemia", "diabetes_t2", "cad"})
    if lipids_indicated or (age >= 40 and rng.random() < 0.7) or rng.random() < 0.2:
        tests += LIPID_PANEL
    if "iron_deficiency_anemia" in have or rng.random() < 0.25:
        tests += CBC
    if have & {"diabetes_t2", "prediabetes"} or (age >= 45 and rng.random() < 0.35):
        tests.append("hba1c")
    if "hypothyroidism" in have or rng.random() < 0.08:
        tests.append("tsh")
    if have & set(STATIN_CONDITIONS) and rng.random() < 0.4:
        tests += ["alt", "ast"]
    if "diabetes_t2" in have and rng.random() < 0.7:
        tests.append("microalbumin_ratio")
    if "vitamin_d_deficiency" in have and rng.random() < 0.8:
        tests.append("vitamin_d")
    return tests
