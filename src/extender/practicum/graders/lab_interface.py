"""Grader for the inbound lab interface scenario: were the HL7 v2 results filed as FHIR
Observations on the right charts, mapped correctly, without filing what had to go back to the
lab, without filing a resent message twice, and with corrections applied in place?

A filed result is recognised by its identifier in the lab's system (filler order number, a
hyphen, the OBX set ID), as the brief asks; a learner who forgot the identifier still gets credit
for an Observation with the same LOINC and collection instant on the right chart.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from extender.practicum.generator.lab_inbox import INTERPRETATION_SYSTEM, RESULT_ID_SYSTEM
from extender.practicum.graders.common import (
    LOINC,
    UCUM,
    Patients,
    codings,
    has_code,
    instant,
    line,
    listing,
    number,
    share,
    subject,
    tokens,
)
from extender.practicum.graders.state import JSON, GradeResult, RubricLine, WorkspaceState

MAPPED_FIELDS = ("code", "value and unit", "collection time", "status", "interpretation")


def _lab_ids(observation: JSON) -> list[str]:
    return [
        str(i.get("value"))
        for i in observation.get("identifier") or []
        if isinstance(i, dict) and i.get("system") == RESULT_ID_SYSTEM and i.get("value")
    ]


def _fallback_key(observation: JSON) -> tuple[str, Any] | None:
    loinc = [c.get("code") for c in codings(observation.get("code")) if c.get("system") == LOINC]
    moment = instant(observation.get("effectiveDateTime"))
    if not loinc or moment is None:
        return None
    return str(loinc[0]), moment


class _Filed:
    """The sandbox's Observations indexed the two ways a filed result can be recognised."""

    def __init__(self, state: WorkspaceState, expected: dict[str, JSON]) -> None:
        self.by_identifier: dict[str, list[JSON]] = defaultdict(list)
        by_code_time: dict[tuple[str, Any], str] = {}
        for identifier, result in expected.items():
            by_code_time[(result["loinc"], instant(result["effective"]))] = identifier
        for observation in state.of_type("Observation"):
            ids = _lab_ids(observation)
            if not ids:
                key = _fallback_key(observation)
                ids = [by_code_time[key]] if key in by_code_time else []
            for identifier in ids:
                self.by_identifier[identifier].append(observation)

    def of(self, identifier: str) -> list[JSON]:
        return self.by_identifier.get(identifier, [])


def _mapping_score(observation: JSON, result: JSON) -> tuple[float, list[str]]:
    quantity = observation.get("valueQuantity")
    quantity = quantity if isinstance(quantity, dict) else {}
    value = number(quantity.get("value"))
    interpretations = observation.get("interpretation") or []
    flags = {
        str(c.get("code"))
        for concept in interpretations
        for c in codings(concept)
        if c.get("system") == INTERPRETATION_SYSTEM
    }
    checks = {
        "code": has_code(observation.get("code"), LOINC, result["loinc"]),
        "value and unit": value is not None
        and abs(value - float(result["value"])) < 1e-6
        and quantity.get("system") == UCUM
        and quantity.get("code") == result["unit"],
        "collection time": instant(observation.get("effectiveDateTime"))
        == instant(result["effective"]),
        "status": observation.get("status") == result["status"],
        "interpretation": result["interpretation"] in flags
        or (result["interpretation"] == "N" and not flags),
    }
    wrong = [name for name in MAPPED_FIELDS if not checks[name]]
    return share(len(MAPPED_FIELDS) - len(wrong), len(MAPPED_FIELDS)), wrong


class _Key:
    """The answer key read once: where each result belongs and how it should read."""

    def __init__(self, state: WorkspaceState) -> None:
        self.messages: list[JSON] = list(state.answer_key.get("lab_messages", []))
        self.expected: dict[str, JSON] = {}
        self.owner: dict[str, str] = {}
        for message in self.messages:
            if message["action"] in ("file", "correct"):
                for result in message["results"]:
                    self.expected[result["identifier"]] = result
                    self.owner[result["identifier"]] = message["patient"]
        for message in self.of("return"):
            for result in message["results"]:
                self.expected.setdefault(result["identifier"], result)

    def of(self, action: str) -> list[JSON]:
        return [m for m in self.messages if m["action"] == action]

    def on_chart(self, filed: _Filed, identifier: str) -> list[JSON]:
        return [o for o in filed.of(identifier) if subject(o) == self.owner[identifier]]


def grade_lab_interface(state: WorkspaceState) -> GradeResult:
    key = _Key(state)
    filed = _Filed(state, key.expected)
    on_chart = [i for i in key.owner if key.on_chart(filed, i)]
    rubric = [_placement(key, filed, on_chart), _mapping(key, filed, on_chart)]
    if key.of("return"):
        rubric.append(_returned(key, filed, Patients(state)))
    if key.of("ignore"):
        rubric.append(_resent(key, filed))
    if key.of("correct"):
        rubric.append(_corrections(key, filed))
    if key.of("return") or key.of("ignore"):
        rubric.append(_listed(key, state.submission.get("not_filed", "")))
    return GradeResult(rubric)


def _placement(key: _Key, filed: _Filed, on_chart: list[str]) -> RubricLine:
    missing = [i for i in key.owner if i not in on_chart and not filed.of(i)]
    misfiled = [i for i in key.owner if i not in on_chart and filed.of(i)]
    feedback = f"{len(on_chart)} of {len(key.owner)} results are on the right chart."
    if missing:
        feedback += f" Not filed: {listing(missing)}."
    if misfiled:
        feedback += f" Filed on the wrong chart: {listing(misfiled)}."
    fraction = share(len(on_chart), len(key.owner))
    return line("Results filed on the right chart", fraction, 25, feedback)


def _mapping(key: _Key, filed: _Filed, on_chart: list[str]) -> RubricLine:
    scores, problems = [], []
    for identifier in on_chart:
        graded = [
            _mapping_score(o, key.expected[identifier]) for o in key.on_chart(filed, identifier)
        ]
        best, wrong = max(graded, key=lambda g: g[0])
        scores.append(best)
        if wrong:
            problems.append(f"{identifier} ({', '.join(wrong)})")
    if not scores:
        feedback = "Nothing to judge: no result is on the right chart."
    elif problems:
        feedback = f"Mapping mistakes: {listing(problems, 6)}."
    else:
        feedback = (
            "Every filed result carries the right LOINC, value with UCUM unit, collection time,"
            " status and interpretation."
        )
    fraction = sum(scores) / len(scores) if scores else 0.0
    return line("OBX mapped to Observation", fraction, 25, feedback)


def _returned(key: _Key, filed: _Filed, patients: Patients) -> RubricLine:
    returned, leaked = key.of("return"), []
    for message in returned:
        hits = [o for r in message["results"] for o in filed.of(r["identifier"])]
        if hits:
            where = sorted({patients.label(subject(o) or "") for o in hits})
            leaked.append(f"{message['control_id']} (on {', '.join(where)})")
    feedback = (
        "No result from a message with an unidentifiable patient was filed."
        if not leaked
        else "Filed although the patient could not be identified (a wrong-patient risk): "
        f"{listing(leaked)}."
    )
    fraction = share(len(returned) - len(leaked), len(returned))
    return line("Unidentifiable patients not filed", fraction, 15, feedback)


def _resent(key: _Key, filed: _Filed) -> RubricLine:
    resent = key.of("ignore")
    doubled = [
        m["control_id"]
        for m in resent
        if any(len(filed.of(r["identifier"])) > 1 for r in m["results"])
    ]
    return _tally(
        "Resent orders filed once",
        10,
        len(resent),
        doubled,
        "Each resent order was filed once.",
        "Filed twice (an order the lab resent)",
    )


def _corrections(key: _Key, filed: _Filed) -> RubricLine:
    results = [r for m in key.of("correct") for r in m["results"]]
    wrong = []
    for result in results:
        found = key.on_chart(filed, result["identifier"])
        if len(found) != 1:
            wrong.append(f"{result['identifier']} ({len(found)} Observations on the chart)")
            continue
        value = number((found[0].get("valueQuantity") or {}).get("value"))
        right_value = value is not None and abs(value - float(result["value"])) < 1e-6
        if not right_value or found[0].get("status") != "corrected":
            wrong.append(f"{result['identifier']} (value or status not corrected)")
    return _tally(
        "Corrections applied in place",
        10,
        len(results),
        wrong,
        "Every corrected result replaced the original in place, status corrected.",
        "Corrections not applied in place",
    )


def _tally(
    item: str, points: float, total: int, wrong: list[str], all_right: str, wrong_label: str
) -> RubricLine:
    """A line earning the share of ``total`` things not in ``wrong``, naming the wrong ones."""
    feedback = all_right if not wrong else f"{wrong_label}: {listing(wrong)}."
    return line(item, share(total - len(wrong), total), points, feedback)


def _listed(key: _Key, typed: Any) -> RubricLine:
    not_filed = {m["control_id"] for m in key.of("return") + key.of("ignore")}
    listed = {t.upper() for t in tokens(typed)}
    right, extra = listed & not_filed, listed - not_filed
    feedback = f"{len(right)} of {len(not_filed)} messages that should not be filed are listed."
    if not_filed - listed:
        feedback += f" Missing: {listing(sorted(not_filed - listed))}."
    if extra:
        feedback += f" Listed but not to be held back (or unknown): {listing(sorted(extra))}."
    fraction = max(0, len(right) - len(extra)) / len(not_filed)
    return line("Messages not filed, listed for the lab", fraction, 15, feedback)
