"""An inbound lab-results feed: HL7 v2.5.1 ORU^R01 messages waiting in the practice's
interface inbox, and the key to what a careful interface analyst does with each.

The reference laboratory sends its own local test codes, with the LOINC beside them only for
some tests, so the learner maps codes with the lab's compendium (``COMPENDIUM``). Problems are
counted like the other defects: messages whose patient cannot be identified (an MRN the practice
never issued, or an MRN whose name and birth date belong to someone else), a message the lab sent
twice under a new control ID, and corrected results that must replace what was filed.

Each result has a stable identifier (filler order number, a hyphen, the OBX set ID) in the
lab's identifier system, so a filed Observation can be told apart from an unfiled one, a
duplicate filing detected and a correction matched to what it corrects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from extender.practicum import hl7v2
from extender.practicum.generator import codes
from extender.practicum.generator.answer_key import LabMessageKey, LabResultKey
from extender.practicum.generator.chart_model import Chart
from extender.practicum.generator.ids import make_mrn
from extender.practicum.generator.people import Person, make_person
from extender.practicum.generator.practice import Practice

LAB_NAME = "Valley Reference Laboratory"
LAB_FACILITY = "VRL"
RESULT_ID_SYSTEM = "http://extender.example.org/fhir/sid/vrl-result"
"""Observation.identifier system for results filed from this lab's messages."""
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
STATUS_BY_OBX11 = {"F": "final", "C": "corrected"}


@dataclass(frozen=True)
class LabTest:
    local_code: str
    local_name: str
    key: str
    """The observation code's key in codes.observations()."""


COMPENDIUM: tuple[LabTest, ...] = (
    LabTest("GLUF", "GLUCOSE FASTING", "glucose"),
    LabTest("CREA", "CREATININE", "creatinine"),
    LabTest("K", "POTASSIUM", "potassium"),
    LabTest("NA", "SODIUM", "sodium"),
    LabTest("CHOL", "CHOLESTEROL TOTAL", "cholesterol"),
    LabTest("HDL", "HDL CHOLESTEROL", "hdl"),
    LabTest("LDLC", "LDL CHOLESTEROL CALC", "ldl"),
    LabTest("TRIG", "TRIGLYCERIDES", "triglycerides"),
    LabTest("A1C", "HEMOGLOBIN A1C", "hba1c"),
    LabTest("TSH", "TSH", "tsh"),
)
"""The lab's test compendium: local code, local name, and the LOINC it maps to."""

PANELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("BMP4", "BASIC METABOLIC PANEL (PARTIAL)", ("GLUF", "CREA", "NA", "K")),
    ("LIPID", "LIPID PANEL", ("CHOL", "HDL", "LDLC", "TRIG")),
    ("A1C", "HEMOGLOBIN A1C", ("A1C",)),
    ("TSH", "TSH", ("TSH",)),
)


def compendium_rows() -> list[dict[str, str]]:
    """The compendium as the learner sees it: local code and name, LOINC, display, UCUM unit."""
    observed = codes.observations()
    return [
        {
            "local_code": t.local_code,
            "local_name": t.local_name,
            "loinc": observed[t.key].loinc,
            "display": observed[t.key].display,
            "unit": observed[t.key].ucum,
        }
        for t in COMPENDIUM
    ]


@dataclass
class _Result:
    set_id: int
    test: LabTest
    value: float
    status: str = "F"
    with_loinc: bool = False


@dataclass
class _Order:
    filler: str
    panel: tuple[str, str, tuple[str, ...]]
    collected: datetime
    person: Person
    mrn: str
    results: list[_Result]


def plant_lab_inbox(
    charts: list[Chart],
    practice: Practice,
    *,
    messages: int,
    misidentified: int,
    resent: int,
    corrected: int,
    seed: int,
    as_of: date,
) -> tuple[list[str], list[LabMessageKey]]:
    """Write ``messages`` clean result messages for patients in ``charts`` plus the planted
    problems, in arrival order. Returns the message texts and one key entry per message."""
    if messages == 0:
        return [], []
    rng = random.Random(f"{seed}:lab-inbox")
    orders = _orders(charts, practice, messages, misidentified, rng, seed, as_of)
    clean = [o for o in orders if o.kind == "clean"]
    arrivals = [(o.order.collected + timedelta(hours=6), o) for o in orders]
    for original in rng.sample(clean, resent):
        arrivals.append(
            (original.order.collected + timedelta(hours=9), _replace_kind(original, "resent"))
        )
    for original in rng.sample(clean, corrected):
        arrivals.append(
            (original.order.collected + timedelta(hours=26), _correction(original, rng))
        )
    arrivals.sort(key=lambda a: a[0])
    texts: list[str] = []
    keys: list[LabMessageKey] = []
    for number, (sent, planned) in enumerate(arrivals, start=1):
        control = f"VRL{seed % 1000:03d}M{number:04d}"
        texts.append(_message(practice, control, sent, planned.order, planned.note))
        keys.append(_key(practice, control, planned))
    return texts, keys


@dataclass(frozen=True)
class _Planned:
    order: _Order
    chart: Chart | None
    """The chart the message is for; for a mismatch, the chart its MRN points to."""
    kind: str
    note: str = ""


def _replace_kind(planned: _Planned, kind: str) -> _Planned:
    return _Planned(planned.order, planned.chart, kind, planned.note)


def _orders(
    charts: list[Chart],
    practice: Practice,
    messages: int,
    misidentified: int,
    rng: random.Random,
    seed: int,
    as_of: date,
) -> list[_Planned]:
    adults = [c for c in charts if c.person.age_on(as_of) >= 18]
    chosen = rng.sample(adults, min(messages, len(adults)))
    by_code = {t.local_code: t for t in COMPENDIUM}
    start = datetime.combine(as_of - timedelta(days=3), time(7, 0))
    planned: list[_Planned] = []
    # Distinct collection times, so that no two orders share a LOINC and an instant.
    minutes = rng.sample(range(0, 2 * 24 * 60, 5), messages + misidentified)
    for n in range(messages + misidentified):
        panel = PANELS[rng.randrange(len(PANELS))]
        collected = start + timedelta(minutes=minutes[n])
        results = [
            _Result(i + 1, by_code[code], _value(rng, by_code[code]), "F", rng.random() < 0.5)
            for i, code in enumerate(panel[2])
        ]
        filler = f"VRL{seed % 1000:03d}{n + 1:05d}"
        if n < messages:
            chart = chosen[n % len(chosen)]
            order = _Order(filler, panel, collected, chart.person, chart.mrn, results)
            planned.append(_Planned(order, chart, "clean"))
            continue
        stranger = make_person(
            random.Random(f"{seed}:lab-stranger:{n}"), practice.region, practice.home_state, as_of
        )
        if (n - messages) % 2 == 0:
            # A registration number far past every chart's and duplicate's: never issued.
            unissued = make_mrn(len(charts) + 900 + n, rng)
            order = _Order(filler, panel, collected, stranger, unissued, results)
            planned.append(_Planned(order, None, "unknown"))
        else:
            victim = rng.choice(adults)
            order = _Order(filler, panel, collected, stranger, victim.mrn, results)
            planned.append(_Planned(order, victim, "mismatch"))
    planned.sort(key=lambda p: p.order.collected)
    return planned


def _correction(original: _Planned, rng: random.Random) -> _Planned:
    order = original.order
    target = rng.choice(order.results)
    fixed = _Result(target.set_id, target.test, _corrected(rng, target), "C", target.with_loinc)
    note = f"Corrected result: previously reported as {_format(target.test, target.value)}."
    copy = _Order(order.filler, order.panel, order.collected, order.person, order.mrn, [fixed])
    return _Planned(copy, original.chart, "correction", note)


def _value(rng: random.Random, test: LabTest) -> float:
    code = codes.observations()[test.key]
    low = code.low if code.low is not None else (code.high or 100.0) * 0.5
    high = code.high if code.high is not None else low * 2.0
    value = rng.uniform(low * 0.8, high * 1.25)
    return round(value, code.decimals)


def _corrected(rng: random.Random, result: _Result) -> float:
    code = codes.observations()[result.test.key]
    step = 10.0**-code.decimals
    while True:
        value = round(result.value * rng.uniform(0.7, 1.3), code.decimals)
        if abs(value - result.value) >= step:
            return value


def _format(test: LabTest, value: float) -> str:
    code = codes.observations()[test.key]
    return f"{value:.{code.decimals}f} {code.ucum}"


def _flag(test: LabTest, value: float) -> str:
    code = codes.observations()[test.key]
    if code.low is not None and value < code.low:
        return "L"
    if code.high is not None and value > code.high:
        return "H"
    return "N"


def _range(test: LabTest) -> str:
    code = codes.observations()[test.key]
    if code.low is not None and code.high is not None:
        return f"{code.low:g}-{code.high:g}"
    if code.high is not None:
        return f"<{code.high:g}"
    return f">{code.low:g}" if code.low is not None else ""


def _hl7_time(practice: Practice, local: datetime) -> str:
    aware = practice.clock.aware(local)
    offset = aware.strftime("%z")
    return aware.strftime("%Y%m%d%H%M") + offset


def _message(practice: Practice, control: str, sent: datetime, order: _Order, note: str) -> str:
    person = order.person
    collected = _hl7_time(practice, order.collected)
    corrected = any(r.status == "C" for r in order.results)
    segments = [
        hl7v2.build_segment(
            "MSH",
            ["VRLLIS"],
            [LAB_NAME],
            ["EHR"],
            [practice.name],
            _hl7_time(practice, sent),
            None,
            ["ORU", "R01", "ORU_R01"],
            control,
            "P",
            "2.5.1",
        ),
        hl7v2.build_segment(
            "PID",
            "1",
            None,
            [order.mrn, "", "", practice.name, "MR"],
            None,
            [person.family.upper(), person.given.upper(), (person.middle or "").upper()],
            None,
            person.birth_date.strftime("%Y%m%d"),
            {"male": "M", "female": "F"}.get(person.gender, "U"),
        ),
        hl7v2.build_segment(
            "OBR",
            "1",
            None,
            [order.filler, LAB_FACILITY],
            [order.panel[0], order.panel[1], "L"],
            None,
            None,
            collected,
            *([None] * 17),
            "C" if corrected else "F",
        ),
    ]
    observed = codes.observations()
    for result in order.results:
        code = observed[result.test.key]
        coded = [result.test.local_code, result.test.local_name, "L"]
        if result.with_loinc:
            coded = [code.loinc, code.display, "LN", *coded]
        segments.append(
            hl7v2.build_segment(
                "OBX",
                str(result.set_id),
                "NM",
                coded,
                None,
                f"{result.value:.{code.decimals}f}",
                [code.ucum, code.ucum, "UCUM"],
                _range(result.test),
                _flag(result.test, result.value),
                None,
                None,
                result.status,
                None,
                None,
                collected,
            )
        )
    if note:
        segments.append(hl7v2.build_segment("NTE", "1", "L", note))
    return hl7v2.encode(hl7v2.Message(segments, hl7v2.Delimiters()))


def _key(practice: Practice, control: str, planned: _Planned) -> LabMessageKey:
    order, chart, kind = planned.order, planned.chart, planned.kind
    observed = codes.observations()
    effective = practice.clock.stamp(order.collected)
    results = tuple(
        LabResultKey(
            identifier=f"{order.filler}-{r.set_id}",
            loinc=observed[r.test.key].loinc,
            value=r.value,
            unit=observed[r.test.key].ucum,
            effective=effective,
            interpretation=_flag(r.test, r.value),
            status=STATUS_BY_OBX11[r.status],
        )
        for r in order.results
    )
    action, why = {
        "clean": ("file", "MRN, name and birth date agree with one chart"),
        "unknown": ("return", f"no chart has MRN {order.mrn}"),
        "mismatch": (
            "return",
            f"MRN {order.mrn} belongs to a different person than the message names",
        ),
        "resent": ("ignore", f"the lab sent order {order.filler} again under a new control ID"),
        "correction": ("correct", f"corrects a result of order {order.filler}"),
    }[kind]
    return LabMessageKey(
        control_id=control,
        kind=kind,
        action=action,
        patient=chart.patient_url if chart is not None else None,
        filler_order=order.filler,
        results=results,
        explanation=why,
    )
