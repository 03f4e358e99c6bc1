"""Who has what: problem prevalence, prescribing and allergies for one patient.

Prevalences are rough US primary-care figures by age band and sex (CDC/NHANES-style orders of
magnitude), with the correlations a clinician would expect: diabetes and hypertension cluster
with obesity, CKD with both, COPD with smoking. The point is a panel whose problem list,
medication list and results tell one consistent story per patient.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Risk = Callable[[int, bool, set[str], float], float]
"""(age, is_female, conditions so far, BMI) -> probability of having the condition."""


def _band(age: int, *bands: tuple[int, float]) -> float:
    """Piecewise-constant probability: the last band whose lower age bound <= age."""
    result = 0.0
    for lower, probability in bands:
        if age >= lower:
            result = probability
    return result


def _obese(bmi: float) -> float:
    return 1.7 if bmi >= 30 else 0.7


# Order matters: later risks may depend on earlier conditions.
# fmt: off
CHRONIC_RISKS: tuple[tuple[str, Risk], ...] = (
    ("nicotine_dependence", lambda a, f, c, b: _band(a, (18, 0.13), (65, 0.08))),
    ("asthma", lambda a, f, c, b: 0.07 if a < 18 else 0.085 if f else 0.06),
    ("allergic_rhinitis", lambda a, f, c, b: _band(a, (3, 0.10), (18, 0.12))),
    ("hypertension", lambda a, f, c, b:
        _band(a, (18, 0.08), (40, 0.30), (60, 0.62)) * (1.3 if b >= 30 else 0.8)),
    ("hyperlipidemia", lambda a, f, c, b: _band(a, (20, 0.10), (40, 0.30), (60, 0.48))),
    ("diabetes_t2", lambda a, f, c, b: _band(a, (18, 0.025), (45, 0.10), (65, 0.18)) * _obese(b)),
    ("prediabetes", lambda a, f, c, b:
        0.0 if "diabetes_t2" in c else _band(a, (18, 0.06), (45, 0.14))),
    ("depression", lambda a, f, c, b: _band(a, (12, 0.05), (18, 0.11 if f else 0.06))),
    ("anxiety", lambda a, f, c, b: _band(a, (12, 0.05), (18, 0.09 if f else 0.05))),
    ("gerd", lambda a, f, c, b: _band(a, (18, 0.06), (40, 0.12)) * (1.2 if b >= 30 else 1.0)),
    ("hypothyroidism", lambda a, f, c, b:
        _band(a, (18, 0.06 if f else 0.015), (60, 0.12 if f else 0.03))),
    ("osteoarthritis_knee", lambda a, f, c, b: _band(a, (45, 0.06), (60, 0.15)) * _obese(b)),
    ("low_back_pain", lambda a, f, c, b: _band(a, (18, 0.07))),
    ("migraine", lambda a, f, c, b:
        _band(a, (12, 0.10 if f else 0.04), (55, 0.04 if f else 0.01))),
    ("insomnia", lambda a, f, c, b: _band(a, (18, 0.05), (60, 0.08))),
    ("vitamin_d_deficiency", lambda a, f, c, b: _band(a, (18, 0.05))),
    ("iron_deficiency_anemia", lambda a, f, c, b: _band(a, (14, 0.06 if f else 0.01), (55, 0.02))),
    ("gout", lambda a, f, c, b: 0.0 if f else _band(a, (35, 0.04), (60, 0.07))),
    ("bph", lambda a, f, c, b: 0.0 if f else _band(a, (50, 0.20), (70, 0.35))),
    ("osteoporosis", lambda a, f, c, b:
        _band(a, (60, 0.12 if f else 0.02), (75, 0.25 if f else 0.05))),
    ("sleep_apnea", lambda a, f, c, b: _band(a, (35, 0.05)) * (2.0 if b >= 30 else 0.4)),
    ("ckd3", lambda a, f, c, b:
        _band(a, (45, 0.03), (65, 0.10)) * (1.8 if c & {"diabetes_t2", "hypertension"} else 0.6)),
    ("copd", lambda a, f, c, b:
        _band(a, (45, 0.03), (65, 0.07)) * (3.0 if "nicotine_dependence" in c else 0.6)),
    ("cad", lambda a, f, c, b:
        _band(a, (50, 0.03 if f else 0.05), (70, 0.08 if f else 0.12))),
    ("atrial_fibrillation", lambda a, f, c, b: _band(a, (60, 0.04), (75, 0.10))),
    ("heart_failure", lambda a, f, c, b:
        _band(a, (60, 0.025), (75, 0.06)) * (1.5 if "cad" in c else 1.0)),
)
# fmt: on

MINIMUM_ONSET_AGE = {
    "asthma": 2,
    "allergic_rhinitis": 3,
    "depression": 12,
    "anxiety": 12,
    "migraine": 12,
    "obesity": 2,
}

# (drug key, probability) options per condition; the first option that applies is "first line".
REGIMENS: dict[str, tuple[tuple[tuple[str, float], ...], ...]] = {
    "diabetes_t2": (
        (("metformin", 0.9),),
        (
            ("glipizide", 0.2),
            ("empagliflozin", 0.15),
            ("semaglutide", 0.12),
            ("insulin_glargine", 0.08),
        ),
    ),
    "hypertension": (
        (
            ("lisinopril", 0.45),
            ("amlodipine", 0.25),
            ("losartan", 0.2),
            ("hydrochlorothiazide", 0.1),
        ),
        (("hydrochlorothiazide", 0.15), ("amlodipine", 0.1)),
    ),
    "hyperlipidemia": ((("atorvastatin", 0.55), ("rosuvastatin", 0.2), ("simvastatin", 0.15)),),
    "asthma": ((("albuterol", 0.95),), (("fluticasone", 0.45), ("montelukast", 0.15))),
    "depression": (
        (
            ("sertraline", 0.35),
            ("escitalopram", 0.25),
            ("fluoxetine", 0.15),
            ("bupropion", 0.1),
            ("citalopram", 0.1),
        ),
    ),
    "anxiety": ((("escitalopram", 0.3), ("sertraline", 0.25), ("buspirone", 0.25)),),
    "hypothyroidism": ((("levothyroxine", 0.97),),),
    "gerd": ((("omeprazole", 0.5), ("pantoprazole", 0.3)),),
    "osteoarthritis_knee": ((("meloxicam", 0.35), ("acetaminophen", 0.3), ("naproxen", 0.15)),),
    "low_back_pain": ((("cyclobenzaprine", 0.3), ("ibuprofen", 0.3)),),
    "atrial_fibrillation": ((("apixaban", 0.7), ("warfarin", 0.2)), (("metoprolol", 0.7),)),
    "copd": ((("tiotropium", 0.7),), (("albuterol", 0.9),)),
    "allergic_rhinitis": ((("cetirizine", 0.4), ("loratadine", 0.3)),),
    "migraine": ((("sumatriptan", 0.6),),),
    "gout": ((("allopurinol", 0.6),),),
    "insomnia": ((("trazodone", 0.4),),),
    "bph": ((("tamsulosin", 0.7),),),
    "osteoporosis": ((("alendronate", 0.7),),),
    "cad": ((("aspirin", 0.8),), (("atorvastatin", 0.7),), (("metoprolol", 0.4),)),
    "heart_failure": ((("furosemide", 0.8),), (("carvedilol", 0.6),)),
    "nicotine_dependence": ((("nicotine", 0.25), ("bupropion", 0.1)),),
    "pharyngitis": ((("amoxicillin", 0.5), ("penicillin_v", 0.2), ("azithromycin", 0.1)),),
    "uti": ((("nitrofurantoin", 0.65), ("cephalexin", 0.25)),),
    "bronchitis": ((("azithromycin", 0.2),),),
}

ALTERNATIVES = {
    "amoxicillin": "azithromycin",
    "penicillin_v": "azithromycin",
    "cephalexin": "nitrofurantoin",
    "ibuprofen": "acetaminophen",
    "naproxen": "acetaminophen",
    "meloxicam": "acetaminophen",
    "lisinopril": "amlodipine",
    "aspirin": "atorvastatin",
}

ACUTE_WEIGHTS = (("uri", 45), ("pharyngitis", 20), ("bronchitis", 15), ("uti", 20))


def sample_chronic(rng: random.Random, age: int, female: bool, bmi: float) -> list[str]:
    """Chronic problems present on the as-of date, in dependency order."""
    have: set[str] = set()
    ordered: list[str] = []
    for key, risk in CHRONIC_RISKS:
        if age < MINIMUM_ONSET_AGE.get(key, 18):
            continue
        if rng.random() < min(0.95, risk(age, female, have, bmi)):
            have.add(key)
            ordered.append(key)
    return ordered


def sample_acute(rng: random.Random, female: bool, age: int) -> str:
    key = rng.choices([k for k, _ in ACUTE_WEIGHTS], weights=[w for _, w in ACUTE_WEIGHTS])[0]
    if key == "uti" and (not female or age < 12) and rng.random() < 0.85:
        return "uri"
    return key


def choose_drugs(rng: random.Random, condition: str, avoid: set[str]) -> list[str]:
    """One pick per regimen step; drugs the patient is allergic to are swapped for a safe one."""
    chosen: list[str] = []
    for step in REGIMENS.get(condition, ()):
        roll = rng.random()
        for drug, probability in step:
            if roll < probability:
                while drug in avoid and drug in ALTERNATIVES:
                    drug = ALTERNATIVES[drug]
                if drug not in avoid and drug not in chosen:
                    chosen.append(drug)
                break
            roll -= probability
    return chosen


@dataclass(frozen=True)
class AllergyPlan:
    allergen: str
    reaction: str
    severity: str
    criticality: str


_DRUG_ALLERGIES = (
    ("penicillin_v", 45),
    ("sulfamethoxazole", 20),
    ("codeine", 10),
    ("amoxicillin", 8),
    ("aspirin", 5),
    ("ibuprofen", 5),
    ("lisinopril", 4),
    ("morphine", 3),
)
_FOOD_ALLERGIES = (("peanut", 40), ("egg", 25), ("cow_milk", 35))
_ENVIRONMENT_ALLERGIES = (
    ("pollen", 30),
    ("dust_mite", 20),
    ("animal_dander", 20),
    ("mold", 10),
    ("latex", 10),
    ("bee_venom", 10),
)
_REACTIONS = {
    "medication": (
        ("urticaria", 35),
        ("rash", 35),
        ("nausea", 10),
        ("itching", 10),
        ("angioedema", 5),
        ("anaphylaxis", 5),
    ),
    "food": (
        ("urticaria", 40),
        ("vomiting", 15),
        ("diarrhea", 10),
        ("angioedema", 15),
        ("anaphylaxis", 20),
    ),
    "environment": (
        ("sneezing", 35),
        ("itching", 20),
        ("wheezing", 20),
        ("cough", 15),
        ("anaphylaxis", 10),
    ),
}


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in options], weights=[w for _, w in options])[0]


def sample_allergies(rng: random.Random, age: int) -> list[AllergyPlan]:
    plans: list[AllergyPlan] = []
    chances = (
        ("medication", 0.04 if age < 18 else 0.17),
        ("food", 0.07 if age < 18 else 0.04),
        ("environment", 0.09),
    )
    pools = {
        "medication": _DRUG_ALLERGIES,
        "food": _FOOD_ALLERGIES,
        "environment": _ENVIRONMENT_ALLERGIES,
    }
    for category, chance in chances:
        if rng.random() < chance:
            reaction = _weighted(rng, _REACTIONS[category])
            severe = reaction in ("anaphylaxis", "angioedema")
            plans.append(
                AllergyPlan(
                    allergen=_weighted(rng, pools[category]),
                    reaction=reaction,
                    severity="severe" if severe else rng.choice(("mild", "moderate")),
                    criticality="high" if severe else "low",
                )
            )
    return plans
