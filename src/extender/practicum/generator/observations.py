"""Vital signs and laboratory results that agree with a patient's problems and treatment.

Each patient gets a fixed physiology (baselines drawn once), and every measurement is that
baseline plus visit-to-visit noise, shifted by treatment once a drug has had time to work.
That is what makes an exercise like "find the diabetics whose A1c is above 9%" have a real,
stable answer.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from extender.practicum.generator import codes
from extender.practicum.generator.fhir import Json, concept, quantity, ref, term

# (age in years, male median, female median): rounded CDC growth-chart medians.
_HEIGHT_CM = ((0, 50, 49), (0.5, 68, 66), (1, 76, 74), (2, 88, 86), (3, 96, 95), (4, 103, 102),
              (5, 110, 109), (6, 116, 115), (8, 128, 128), (10, 139, 138), (12, 149, 151),
              (14, 164, 160), (16, 173, 162), (18, 176, 163))  # fmt: skip
_CHILD_BMI = ((0, 13.5), (0.5, 17.0), (1, 17.0), (2, 16.3), (4, 15.6), (6, 15.4), (8, 15.8),
              (10, 16.6), (12, 17.8), (14, 19.0), (16, 20.2), (18, 21.3))  # fmt: skip

LIPID_PANEL = ("cholesterol", "ldl", "hdl", "triglycerides")
BASIC_PANEL = ("bun", "sodium", "potassium", "chloride", "co2", "calcium")
CBC = ("hemoglobin", "hematocrit", "wbc", "platelets")


def _interpolate(table: tuple[tuple[float, ...], ...], age: float, column: int) -> float:
    if age >= table[-1][0]:
        return table[-1][column]
    for (a0, *v0), (a1, *v1) in pairwise(table):
        if a0 <= age < a1:
            return v0[column - 1] + (v1[column - 1] - v0[column - 1]) * (age - a0) / (a1 - a0)
    return table[0][column]


@dataclass
class Physiology:
    """Per-patient baselines; ``treated_since`` maps a condition to when its drugs started."""

    female: bool
    birth_date: date
    height_z: float
    adult_bmi: float
    sbp: float
    heart_rate: float
    a1c: float
    a1c_response: float
    ldl: float
    hdl: float
    triglycerides: float
    egfr_target: float | None
    tsh: float
    hemoglobin: float
    vitamin_d: float
    normal_hemoglobin: float
    a1c_z: float
    conditions: set[str] = field(default_factory=set)
    onsets: dict[str, date] = field(default_factory=dict)
    treated_since: dict[str, date] = field(default_factory=dict)

    def age(self, day: date) -> float:
        return (day - self.birth_date).days / 365.25

    def has(self, condition: str, day: date) -> bool:
        """Whether the disease has begun by ``day`` (results before onset look healthy)."""
        onset = self.onsets.get(condition)
        return condition in self.conditions and (onset is None or day >= onset)

    def effect(self, condition: str, day: date, months_to_full: float = 4.0) -> float:
        """0 before treatment, rising to 1 once a drug has worked for ``months_to_full``."""
        start = self.treated_since.get(condition)
        if start is None or day <= start:
            return 0.0
        return min(1.0, (day - start).days / (30.4 * months_to_full))


def make_physiology(
    rng: random.Random, female: bool, birth_date: date, conditions: set[str], adult_bmi: float
) -> Physiology:
    diabetic = "diabetes_t2" in conditions
    poorly_controlled = rng.random() < 0.14
    return Physiology(
        female=female,
        birth_date=birth_date,
        height_z=rng.gauss(0, 1),
        adult_bmi=adult_bmi,
        sbp=rng.gauss(146, 10) if "hypertension" in conditions else rng.gauss(0, 7),
        heart_rate=rng.gauss(74, 8),
        a1c=_diabetic_a1c(rng, poorly_controlled) if diabetic else 0.0,
        a1c_response=max(0.0, rng.gauss(0.3, 0.2) if poorly_controlled else rng.gauss(0.8, 0.4)),
        ldl=rng.gauss(168, 24) if "hyperlipidemia" in conditions else rng.gauss(104, 22),
        hdl=rng.gauss(60 if female else 48, 10) - (5 if diabetic else 0),
        triglycerides=max(
            45.0, rng.gauss(185, 55) if "hyperlipidemia" in conditions else rng.gauss(112, 38)
        ),
        egfr_target=rng.uniform(32, 58) if "ckd3" in conditions else None,
        tsh=rng.gauss(8.5, 2.5)
        if "hypothyroidism" in conditions
        else math.exp(rng.gauss(0.5, 0.4)),
        hemoglobin=rng.gauss(10.7, 0.6)
        if "iron_deficiency_anemia" in conditions
        else rng.gauss(13.4 if female else 15.1, 0.9),
        vitamin_d=max(6.0, rng.gauss(17, 5))
        if "vitamin_d_deficiency" in conditions
        else max(20.0, rng.gauss(35, 8)),
        normal_hemoglobin=rng.gauss(13.4 if female else 15.1, 0.9),
        a1c_z=rng.gauss(0, 1),
        conditions=set(conditions),
    )


def _diabetic_a1c(rng: random.Random, poorly_controlled: bool) -> float:
    """Untreated A1c. About one diabetic in seven stays poorly controlled (A1c > 9%) despite
    treatment, which is the population a quality-measure exercise looks for."""
    if poorly_controlled:
        return min(13.5, rng.gauss(10.3, 0.8))
    return max(6.4, min(9.6, rng.gauss(7.5, 0.7)))


def height_cm(phys: Physiology, day: date) -> float:
    median = _interpolate(_HEIGHT_CM, phys.age(day), 2 if phys.female else 1)
    return median * (1 + 0.04 * phys.height_z)


def bmi(phys: Physiology, day: date) -> float:
    """Adults keep their own BMI; children follow the growth-chart median, scaled by how heavy
    they will be as adults, with a bridge across the teens so nobody jumps at 18."""
    age = phys.age(day)
    child = _interpolate(_CHILD_BMI, age, 1) * max(0.85, min(1.5, phys.adult_bmi / 26.0))
    if age >= 18:
        return phys.adult_bmi
    if age >= 14:
        return child + (phys.adult_bmi - child) * (age - 14) / 4
    return child


def is_obese(phys: Physiology, day: date) -> bool:
    if phys.age(day) >= 18:
        return phys.adult_bmi >= 30
    return bmi(phys, day) >= 1.3 * _interpolate(_CHILD_BMI, phys.age(day), 1)


class ObservationWriter:
    """Builds Observation resources for one patient's chart."""

    def __init__(self, patient_url: str, patient_display: str) -> None:
        self.patient_url = patient_url
        self.patient_display = patient_display

    def resource(self, key: str, when: str, encounter_url: str | None, value: float | None) -> Json:
        code = codes.observations()[key]
        resource: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                term("observation-category", code.category, _CATEGORY_DISPLAY[code.category])
            ],
            "code": concept(codes.LOINC, code.loinc, code.display),
            "subject": ref(self.patient_url, self.patient_display),
            "effectiveDateTime": when,
        }
        if encounter_url:
            resource["encounter"] = ref(encounter_url)
        if value is not None:
            resource["valueQuantity"] = quantity(_round(value, code.decimals), code.ucum)
        return resource

    def lab(
        self, key: str, when: str, issued: str, encounter_url: str | None, value: float
    ) -> Json:
        code = codes.observations()[key]
        resource = self.resource(key, when, encounter_url, value)
        resource["issued"] = issued
        shown = resource["valueQuantity"]["value"]
        bounds: Json = {}
        if code.low is not None:
            bounds["low"] = quantity(_round(code.low, code.decimals), code.ucum)
        if code.high is not None:
            bounds["high"] = quantity(_round(code.high, code.decimals), code.ucum)
        resource["referenceRange"] = [bounds]
        flag = (
            "L"
            if code.low is not None and shown < code.low
            else "H"
            if code.high is not None and shown > code.high
            else "N"
        )
        resource["interpretation"] = [
            term("v3-ObservationInterpretation", flag, _FLAG_DISPLAY[flag])
        ]
        return resource

    def blood_pressure(
        self, when: str, encounter_url: str | None, systolic: float, diastolic: float
    ) -> Json:
        resource = self.resource("bp_panel", when, encounter_url, None)
        table = codes.observations()
        resource["component"] = [
            {
                "code": concept(codes.LOINC, table[k].loinc, table[k].display),
                "valueQuantity": quantity(round(v), "mm[Hg]"),
            }
            for k, v in (("systolic_bp", systolic), ("diastolic_bp", diastolic))
        ]
        return resource


_CATEGORY_DISPLAY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory"}
_FLAG_DISPLAY = {"H": "High", "L": "Low", "N": "Normal"}


def _round(value: float, decimals: int) -> float:
    return round(value) if decimals == 0 else round(value, decimals)


def vital_signs(
    writer: ObservationWriter,
    rng: random.Random,
    phys: Physiology,
    start: datetime,
    encounter_url: str,
    stamp: str,
    sick: bool,
    measure_height: bool,
) -> list[Json]:
    """Weight, heart rate, BMI and (from age 3) blood pressure at every visit; height when
    ``measure_height`` (adults are measured yearly); temperature, respiratory rate and SpO2
    when the patient is sick."""
    day = start.date()
    age = phys.age(day)
    height = height_cm(phys, day) + rng.gauss(0, 0.4)
    body_mass_index = bmi(phys, day) + (rng.gauss(0, 0.35) if age >= 18 else 0.0)
    weight = body_mass_index * (height / 100) ** 2
    results = (
        [writer.resource("body_height", stamp, encounter_url, height)] if measure_height else []
    )
    results.append(writer.resource("body_weight", stamp, encounter_url, weight))
    results.append(
        writer.resource("heart_rate", stamp, encounter_url, _heart_rate(rng, phys, age, sick))
    )
    if age >= 2:
        results.append(writer.resource("bmi", stamp, encounter_url, weight / (height / 100) ** 2))
    if age >= 3:
        systolic, diastolic = _blood_pressure(rng, phys, day, age)
        results.append(writer.blood_pressure(stamp, encounter_url, systolic, diastolic))
    if sick:
        fever = rng.random() < 0.35
        results.append(
            writer.resource(
                "body_temperature", stamp, encounter_url, rng.gauss(38.3 if fever else 36.9, 0.25)
            )
        )
        results.append(
            writer.resource(
                "respiratory_rate", stamp, encounter_url, rng.gauss(18 if age >= 12 else 24, 2)
            )
        )
        results.append(
            writer.resource(
                "oxygen_saturation", stamp, encounter_url, min(100.0, rng.gauss(97, 1.2))
            )
        )
    return results


def _heart_rate(rng: random.Random, phys: Physiology, age: float, sick: bool) -> float:
    base = phys.heart_rate if age >= 12 else 125 - 4.5 * age
    return base + rng.gauss(0, 5) + (8 if sick else 0)


def _blood_pressure(
    rng: random.Random, phys: Physiology, day: date, age: float
) -> tuple[float, float]:
    if age < 18:
        systolic = 92 + 1.4 * age + rng.gauss(0, 7)
        return systolic, 0.62 * systolic + rng.gauss(0, 4)
    if phys.has("hypertension", day):
        systolic = phys.sbp - 13 * phys.effect("hypertension", day, 2) + rng.gauss(0, 7)
    elif "hypertension" in phys.conditions:
        systolic = 128 + rng.gauss(0, 6)  # elevated, not yet hypertensive
    else:
        systolic = 106 + 0.28 * age + phys.sbp + rng.gauss(0, 6)
    return systolic, 0.55 * systolic + 9 + rng.gauss(0, 4)


def lab_panel(rng: random.Random, phys: Physiology, keys: list[str], day: date) -> dict[str, float]:
    """Values for one blood draw. Tests computed from the same specimen agree with each
    other: total cholesterol is LDL + HDL + TG/5, eGFR is the MDRD value of the creatinine
    shown, hematocrit tracks hemoglobin, fasting glucose tracks the A1c."""
    draw: dict[str, float] = {}
    if "hba1c" in keys or "glucose" in keys:
        a1c = _a1c(rng, phys, day)
        draw["hba1c"] = a1c
        draw["glucose"] = _glucose(rng, phys, day, a1c)
    if any(k in LIPID_PANEL for k in keys):
        draw |= _lipids(rng, phys, day)
    if any(k in ("creatinine", "egfr") for k in keys):
        draw |= _kidney(rng, phys, day)
    if "hemoglobin" in keys or "hematocrit" in keys:
        fix = 1.8 * phys.effect("iron_deficiency_anemia", day, 4)
        anemic = phys.has("iron_deficiency_anemia", day)
        hemoglobin = (phys.hemoglobin if anemic else phys.normal_hemoglobin) + fix
        draw["hemoglobin"] = hemoglobin + rng.gauss(0, 0.3)
        draw["hematocrit"] = 3 * draw["hemoglobin"] + rng.gauss(0, 0.8)
    for key in keys:
        if key not in draw:
            draw[key] = _single(rng, phys, key, day)
    return {key: draw[key] for key in keys}


def _single(rng: random.Random, phys: Physiology, key: str, day: date) -> float:
    if key == "tsh":
        if phys.has("hypothyroidism", day):
            if phys.effect("hypothyroidism", day, 3) >= 1:
                return max(0.15, math.exp(rng.gauss(0.9, 0.45)))
            return max(0.15, phys.tsh * math.exp(rng.gauss(0, 0.12)))
        return math.exp(rng.gauss(0.5, 0.4))
    if key == "microalbumin_ratio":
        return math.exp(rng.gauss(math.log(18), 0.9))
    if key == "vitamin_d":
        deficient = phys.has("vitamin_d_deficiency", day)
        return max(5.0, (phys.vitamin_d if deficient else 34.0) + rng.gauss(0, 3))
    if key == "potassium":
        return rng.gauss(4.5 if phys.has("ckd3", day) else 4.2, 0.3)
    mean, sd, floor = _SIMPLE_LABS[key]
    return max(floor, rng.gauss(mean, sd))


_SIMPLE_LABS = {
    "bun": (15.0, 4.0, 4.0), "sodium": (139.0, 2.0, 128.0), "chloride": (102.0, 2.5, 92.0),
    "co2": (25.0, 2.0, 18.0), "calcium": (9.5, 0.3, 8.0), "wbc": (7.0, 1.6, 2.5),
    "platelets": (255.0, 55.0, 90.0), "alt": (24.0, 9.0, 7.0), "ast": (23.0, 6.0, 8.0),
}  # fmt: skip


def _a1c(rng: random.Random, phys: Physiology, day: date) -> float:
    """Diabetics improve on treatment; before diagnosis they sit in the prediabetic range."""
    if phys.has("diabetes_t2", day):
        treated = phys.a1c - phys.a1c_response * phys.effect("diabetes_t2", day, 6)
        return max(5.8, treated + rng.gauss(0, 0.3))
    if phys.has("prediabetes", day) or "diabetes_t2" in phys.conditions:
        return min(6.4, max(5.7, rng.gauss(6.0, 0.18)))
    return min(5.9, max(4.3, 5.25 + 0.22 * phys.a1c_z + rng.gauss(0, 0.1)))


def _glucose(rng: random.Random, phys: Physiology, day: date, a1c: float) -> float:
    if phys.has("diabetes_t2", day):
        return 28.7 * a1c - 46.7 + rng.gauss(0, 15)  # ADAG estimated average glucose
    return rng.gauss(108, 6) if a1c >= 5.7 else rng.gauss(89, 7)


def _lipids(rng: random.Random, phys: Physiology, day: date) -> dict[str, float]:
    statin = max(phys.effect("hyperlipidemia", day, 2), phys.effect("cad", day, 2))
    untreated = (
        1.0 if phys.has("hyperlipidemia", day) or "hyperlipidemia" not in phys.conditions else 0.8
    )
    ldl = max(35.0, phys.ldl * untreated * (1 - 0.3 * statin) + rng.gauss(0, 7))
    hdl = max(22.0, phys.hdl + rng.gauss(0, 3))
    triglycerides = max(40.0, phys.triglycerides * (1 - 0.15 * statin) + rng.gauss(0, 14))
    total = ldl + hdl + triglycerides / 5  # Friedewald, so the panel adds up
    return {"cholesterol": total, "ldl": ldl, "hdl": hdl, "triglycerides": triglycerides}


def _kidney(rng: random.Random, phys: Physiology, day: date) -> dict[str, float]:
    """Creatinine and eGFR are tied by the MDRD equation, so the two values always agree."""
    age = max(18.0, phys.age(day))
    sex = 0.742 if phys.female else 1.0
    if phys.egfr_target is not None and phys.has("ckd3", day):
        egfr = phys.egfr_target + rng.gauss(0, 2.5)
        creatinine = (egfr / (175 * age**-0.203 * sex)) ** (-1 / 1.154)
    else:
        creatinine = max(0.45, rng.gauss(0.82 if phys.female else 1.02, 0.1))
    rounded = round(creatinine, 2)
    return {"creatinine": rounded, "egfr": 175 * rounded**-1.154 * age**-0.203 * sex}


def lab_times(start: datetime, rng: random.Random) -> tuple[datetime, datetime]:
    drawn = start + timedelta(minutes=rng.randrange(20, 50))
    resulted = drawn + timedelta(hours=rng.randrange(18, 40))
    return drawn, resulted
