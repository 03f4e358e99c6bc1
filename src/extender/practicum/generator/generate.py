"""``generate_practice``: one call from parameters to a loadable practice and its answer key.

Every random choice draws from a stream named after its purpose and the seed (practice,
person i, chart i, cast, duplicates, results, access...), so the output is byte-identical for
the same parameters, and turning one defect up or down leaves the rest of the practice as it was
wherever that is possible.
"""

from __future__ import annotations

import gc
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from extender.errors import InvalidInput
from extender.practicum.generator.access import AuditTrail, normal_access, planted_access
from extender.practicum.generator.accounts import (
    ACCESS_POLICY,
    plant_overprivileged,
    staff_accounts,
)
from extender.practicum.generator.answer_key import AnswerKey
from extender.practicum.generator.bundle import dump_json, transaction_bundle
from extender.practicum.generator.cast import cast_patients, lookalike_key
from extender.practicum.generator.chart import build_chart
from extender.practicum.generator.chart_model import Chart
from extender.practicum.generator.duplicates import plant_duplicates
from extender.practicum.generator.fhir import EntrySink, Json
from extender.practicum.generator.ids import UuidMint
from extender.practicum.generator.lab_inbox import plant_lab_inbox
from extender.practicum.generator.params import DefectParams, PracticeParams
from extender.practicum.generator.people import make_person
from extender.practicum.generator.practice import build_practice
from extender.practicum.generator.results import plant_result_defects


@dataclass
class GeneratedPractice:
    params: PracticeParams
    bundle: Json
    """FHIR R4 transaction Bundle; JSON-serializable; contains no answer-key information."""
    answer_key: AnswerKey
    staff_accounts: list[dict[str, Any]]
    """The practice's EHR user list: {username, name, job_title, roles, practitioner, active}."""
    access_policy: dict[str, list[str]]
    """Job title -> roles that title may hold; the standard the accounts are audited against."""
    summary: dict[str, int]
    lab_inbox: list[str] = field(default_factory=list)
    """HL7 v2 ORU^R01 messages waiting in the interface inbox, in arrival order."""


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """The output is ~100k small acyclic dicts; the cyclic collector re-scanning that growing
    heap more than doubled generation time, and reference counting frees it all anyway."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate_practice(params: PracticeParams | None = None) -> GeneratedPractice:
    """Build a practice, its patients' charts, the audit trail and the planted defects.

    Raises InvalidInput (naming the parameter) when the parameters are out of range or ask for
    more defects than the practice can hold, rather than silently planting fewer: a scenario's
    rubric counts on the number it asked for.
    """
    params = (params or PracticeParams()).validated()
    with _without_cyclic_gc():
        return _generate(params)


def _generate(params: PracticeParams) -> GeneratedPractice:
    seed, as_of = params.seed, params.as_of
    mint = UuidMint(seed)
    practice = build_practice(params, mint)
    people = [
        make_person(
            random.Random(f"{seed}:person:{i}"), practice.region, practice.home_state, as_of
        )
        for i in range(params.patients)
    ]
    cast = cast_patients(people, practice, seed, params.defects.lookalike_patients, as_of)
    charts = [
        build_chart(practice, params, mint, i, p, vip=i in cast.vips) for i, p in enumerate(people)
    ]

    key = AnswerKey(seed=seed)
    duplicates, key.duplicates = plant_duplicates(
        charts, cast.spare_adults, params.defects.duplicate_patients, practice, seed, mint
    )
    key.lookalikes = lookalike_key(cast, [c.patient_url for c in charts])
    key.vip_patients = [charts[slot].patient_url for slot in sorted(cast.vips)]
    key.staff_patients = {
        user: charts[slot].patient_url for user, slot in sorted(cast.staff_patients.items())
    }
    every_chart = charts + duplicates
    key.result_defects = plant_result_defects(every_chart, params.defects.miscoded_results, seed)
    accounts = staff_accounts(practice)
    key.overprivileged_accounts = plant_overprivileged(
        accounts, params.defects.overprivileged_accounts, seed
    )

    trail = AuditTrail(practice, EntrySink(mint, "audit"), every_chart)
    start = as_of - timedelta(days=params.audit_days)
    normal_access(trail, random.Random(f"{seed}:access"), start, as_of)
    key.inappropriate_accesses = planted_access(trail, cast, params, start, as_of)
    lab_inbox, key.lab_messages = plant_lab_inbox(
        charts,
        practice,
        messages=params.lab_messages,
        misidentified=params.defects.misidentified_lab_messages,
        resent=params.defects.resent_lab_messages,
        corrected=params.defects.corrected_lab_results,
        seed=seed,
        as_of=as_of,
    )
    _require_all_planted(params.defects, key)

    entries = list(practice.entries)
    for chart in _bundle_order(every_chart, seed):
        entries += chart.entries
    entries += trail.sorted_entries()
    bundle = transaction_bundle(entries, params.method, f"{as_of.isoformat()}T00:00:00Z")
    return GeneratedPractice(
        params=params,
        bundle=bundle,
        answer_key=key,
        staff_accounts=accounts,
        access_policy={title: list(roles) for title, roles in ACCESS_POLICY.items()},
        summary=_summary(bundle, params, len(duplicates), len(accounts), key),
        lab_inbox=lab_inbox,
    )


def _bundle_order(charts: list[Chart], seed: int) -> list[Chart]:
    """Shuffle charts so a duplicate's position (and so its server id) does not give it away."""
    ordered = list(charts)
    random.Random(f"{seed}:order").shuffle(ordered)
    return ordered


def _require_all_planted(defects: DefectParams, key: AnswerKey) -> None:
    access_kinds = Counter(a.kind for a in key.inappropriate_accesses)
    lab_kinds = Counter(m.kind for m in key.lab_messages)
    planted = {
        "duplicate_patients": len(key.duplicates),
        "lookalike_patients": len(key.lookalikes),
        "overprivileged_accounts": len(key.overprivileged_accounts),
        "coworker_accesses": access_kinds["coworker"],
        "vip_accesses": access_kinds["vip"],
        "after_hours_browsing": access_kinds["after_hours"],
        "family_accesses": access_kinds["family"],
        "miscoded_results": len(key.result_defects),
        "misidentified_lab_messages": lab_kinds["unknown"] + lab_kinds["mismatch"],
        "resent_lab_messages": lab_kinds["resent"],
        "corrected_lab_results": lab_kinds["correction"],
    }
    for f in fields(defects):
        wanted = getattr(defects, f.name)
        if planted[f.name] < wanted:
            raise InvalidInput(
                f"could plant only {planted[f.name]} of {wanted} {f.name}; use more patients,"
                " providers or audit days, or ask for fewer",
                field=f"defects.{f.name}",
            )


def _summary(
    bundle: Json, params: PracticeParams, duplicates: int, accounts: int, key: AnswerKey
) -> dict[str, int]:
    counts = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    summary = {name: counts[name] for name in sorted(counts)}
    summary["total_resources"] = len(bundle["entry"])
    summary["people"] = params.patients
    summary["duplicate_records"] = duplicates
    summary["staff_accounts"] = accounts
    summary["planted_defects"] = (
        len(key.duplicates)
        + len(key.lookalikes)
        + len(key.overprivileged_accounts)
        + len(key.inappropriate_accesses)
        + len(key.result_defects)
        + sum(m.kind != "clean" for m in key.lab_messages)
    )
    summary["lab_messages"] = len(key.lab_messages)
    return summary


def write_bundle(
    practice: GeneratedPractice, path: str | Path, *, indent: int | None = None
) -> Path:
    return dump_json(practice.bundle, path, indent=indent)


def write_answer_key(practice: GeneratedPractice, path: str | Path) -> Path:
    """A separate file, so the bundle can go to a learner's sandbox and the key to a grader."""
    return dump_json(practice.answer_key.to_dict(), path, indent=2)


def write_staff_accounts(practice: GeneratedPractice, path: str | Path) -> Path:
    """The learner-visible user list and the policy, without saying which accounts are wrong."""
    return dump_json(
        {"access_policy": practice.access_policy, "accounts": practice.staff_accounts},
        path,
        indent=2,
    )


def write_lab_inbox(practice: GeneratedPractice, path: str | Path) -> Path:
    """The interface inbox as one HL7 v2 batch: every segment ends with a carriage return and
    the messages follow each other, as an interface engine would pick them up."""
    target = Path(path)
    target.write_bytes("".join(m + "\r" for m in practice.lab_inbox).encode("utf-8"))
    return target
