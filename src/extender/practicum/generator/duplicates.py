"""Duplicate patient records, made the way front desks really make them.

A returning patient is registered again under a nickname, a misspelling, swapped name fields
or a new address, and the visits charted under the second record are split off the first.
The recent encounters of the original are *moved* to the duplicate (rather than invented), so
the two halves of the chart stay clinically consistent and a correct merge restores the story.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from extender.practicum.generator import names, records
from extender.practicum.generator.answer_key import DuplicatePatient
from extender.practicum.generator.chart_model import Chart
from extender.practicum.generator.fhir import EntrySink, Json, ref
from extender.practicum.generator.ids import UuidMint, make_mrn
from extender.practicum.generator.people import Person, phone_number, street_address, town
from extender.practicum.generator.practice import Practice

NAME_VARIATIONS = ("nickname", "typo_given", "typo_family", "swapped_names", "married_name")
OTHER_VARIATIONS = ("moved", "new_phone", "dob_transposed", "no_middle")
_PATIENT_FIELDS = ("subject", "patient")


def vary_person(
    rng: random.Random, person: Person, practice: Practice
) -> tuple[Person, tuple[str, ...]]:
    """A second registration of ``person``: one name variation plus up to two others."""
    copy = person.copy()
    applied: list[str] = []
    name_options = [v for v in NAME_VARIATIONS if _applies(v, person)]
    applied.append(rng.choice(name_options))
    for option in rng.sample(
        [v for v in OTHER_VARIATIONS if _applies(v, person)], k=rng.randint(0, 2)
    ):
        applied.append(option)
    for variation in applied:
        _apply(rng, variation, copy, practice)
    return copy, tuple(applied)


def _applies(variation: str, person: Person) -> bool:
    if variation == "nickname":
        return person.given in names.NICKNAMES
    if variation == "married_name":
        return person.gender == "female" and person.marital in ("M", "D")
    if variation == "dob_transposed":
        return person.birth_date.day <= 12 and person.birth_date.day != person.birth_date.month
    if variation == "no_middle":
        return person.middle is not None
    if variation == "swapped_names":
        return person.given != person.family
    return True


def _apply(rng: random.Random, variation: str, person: Person, practice: Practice) -> None:
    if variation == "nickname":
        person.given = names.nickname(person.given, rng) or person.given
    elif variation == "typo_given":
        person.given = names.typo(person.given, rng)
    elif variation == "typo_family":
        person.family = names.typo(person.family, rng)
    elif variation == "swapped_names":
        person.given, person.family = person.family, person.given
    elif variation == "married_name":
        person.family = rng.choice([f for f in names.FAMILY if f != person.family])
    elif variation == "moved":
        person.line = street_address(rng)
        person.city, person.state, person.postal_code = town(
            rng, practice.region, practice.home_state
        )
        person.phone = phone_number(rng, practice.region)
    elif variation == "new_phone":
        person.phone = phone_number(rng, practice.region)
    elif variation == "dob_transposed":
        born = person.birth_date
        person.birth_date = date(born.year, born.day, born.month)  # _applies: both are <= 12
    elif variation == "no_middle":
        person.middle = None


def plant_duplicates(
    charts: list[Chart],
    candidates: list[int],
    count: int,
    practice: Practice,
    seed: int,
    mint: UuidMint,
) -> tuple[list[Chart], list[DuplicatePatient]]:
    rng = random.Random(f"{seed}:duplicates")
    made: list[Chart] = []
    key: list[DuplicatePatient] = []
    for slot in candidates:
        if len(made) == count:
            break
        source = charts[slot]
        if len(source.encounters) < 3:
            continue
        person, variations = vary_person(rng, source.person, practice)
        number = len(charts) + len(made)
        sink = EntrySink(mint, f"duplicate-{len(made)}")
        duplicate = replace(
            source,
            index=number,
            person=person,
            mrn=make_mrn(number, rng),
            patient_url=sink.new_url(),
            sink=sink,
            encounters=[],
            future=[],
            booked=[],
            labs=[],
            conditions=[],
            vip=False,
        )
        sink.add(
            records.patient(person, duplicate.mrn, practice, source.pcp), duplicate.patient_url
        )
        moved = _move_recent_visits(rng, source, duplicate)
        made.append(duplicate)
        key.append(
            DuplicatePatient(
                source.patient_url,
                duplicate.patient_url,
                source.mrn,
                duplicate.mrn,
                variations,
                tuple(moved),
            )
        )
    return made, key


def _move_recent_visits(rng: random.Random, source: Chart, duplicate: Chart) -> list[str]:
    """Re-home the last one or two encounters (and everything charted in them)."""
    moving = source.encounters[-rng.randint(1, 2) :]
    source.encounters = source.encounters[: -len(moving)]
    duplicate.encounters = moving
    encounter_urls = {record.url for record in moving}
    appointment_urls: set[str] = set()
    for url, resource in source.entries:
        if url in encounter_urls:
            appointment_urls |= {a["reference"] for a in resource.get("appointment", [])}
    kept: list[tuple[str, Json]] = []
    moved: list[str] = []
    for url, resource in source.entries:
        if (
            url in encounter_urls
            or url in appointment_urls
            or _charted_in(resource, encounter_urls)
        ):
            _rehome(resource, source.patient_url, duplicate)
            duplicate.sink.entries.append((url, resource))
            moved.append(url)
        else:
            kept.append((url, resource))
    source.sink.entries[:] = kept
    moved_urls = set(moved)
    duplicate.labs = [lab for lab in source.labs if lab[0] in moved_urls]
    source.labs = [lab for lab in source.labs if lab[0] not in moved_urls]
    return moved


def _charted_in(resource: Json, encounter_urls: set[str]) -> bool:
    encounter = resource.get("encounter")
    return isinstance(encounter, dict) and encounter.get("reference") in encounter_urls


def _rehome(resource: Json, old_url: str, duplicate: Chart) -> None:
    for name in _PATIENT_FIELDS:
        if name in resource and resource[name]["reference"] == old_url:
            display = duplicate.person.display_name if "display" in resource[name] else None
            resource[name] = ref(duplicate.patient_url, display)
    for participant in resource.get("participant", []):
        actor = participant.get("actor")
        if actor and actor["reference"] == old_url:
            participant["actor"] = ref(duplicate.patient_url, duplicate.person.display_name)
