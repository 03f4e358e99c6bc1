"""Patients with a part to play in the exercises: staff who are also patients, their
relatives, VIPs, and the look-alikes that a careless merge would wrongly combine.

Small practices really do treat their own staff and staff families, which is exactly why
"opened a coworker's chart" and "opened a relative's chart" are the commonest privacy
violations; the generator recreates those conditions before any chart is written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from extender.errors import InvalidInput
from extender.practicum.generator.answer_key import LookAlikePair
from extender.practicum.generator.people import Person, birth_date_for_age, given_name
from extender.practicum.generator.practice import Practice

VIP_DESCRIPTIONS = (
    "local television news anchor",
    "state senator",
    "head football coach at the state university",
    "professional baseball pitcher",
    "well-known country singer",
)
LOOKALIKE_KINDS = ("twins", "same_name", "father_son")


@dataclass
class Cast:
    staff_patients: dict[str, int] = field(default_factory=dict)
    """username -> patient slot of that staff member."""
    relatives: dict[str, int] = field(default_factory=dict)
    """username -> patient slot of a relative sharing surname and address."""
    vips: dict[int, str] = field(default_factory=dict)
    """patient slot -> why the patient is newsworthy."""
    lookalikes: list[tuple[int, int, str, tuple[str, ...]]] = field(default_factory=list)
    spare_adults: list[int] = field(default_factory=list)
    """Unassigned adult slots, in a seeded order, for defects planted after charting."""


def cast_patients(
    people: list[Person], practice: Practice, seed: int, lookalike_pairs: int, as_of: date
) -> Cast:
    rng = random.Random(f"{seed}:cast")
    adults = [i for i, p in enumerate(people) if 20 <= p.age_on(as_of) <= 75]
    rng.shuffle(adults)
    office = [s for s in practice.staff if not s.is_provider]
    needed = 2 * len(office) + 2 + 2 * lookalike_pairs
    if len(adults) < needed:
        raise InvalidInput(
            f"this practice needs at least {needed} adult patients for its staff, VIPs and"
            " look-alikes; use more patients or fewer look-alikes",
            field="patients",
        )
    cast = Cast()
    staff_patients = [s for s in office if rng.random() < 0.5] or office[:2]
    for member in staff_patients:
        slot = adults.pop()
        person = people[slot]
        staff = member.person
        person.given, person.family, person.middle = staff.given, staff.family, staff.middle
        person.gender, person.birth_date = staff.gender, staff.birth_date
        cast.staff_patients[member.username] = slot
        relative_slot = adults.pop()
        _make_relative(rng, people[relative_slot], person, as_of)
        cast.relatives[member.username] = relative_slot
    for n in range(1 if len(people) < 500 else 2):
        slot = adults.pop()
        cast.vips[slot] = VIP_DESCRIPTIONS[(seed + n) % len(VIP_DESCRIPTIONS)]
    for n in range(lookalike_pairs):
        first, second = adults.pop(), adults.pop()
        kind = LOOKALIKE_KINDS[n % len(LOOKALIKE_KINDS)]
        distinguishing = _make_lookalike(rng, kind, people[first], people[second], as_of)
        cast.lookalikes.append((first, second, kind, distinguishing))
    cast.spare_adults = adults
    return cast


def _make_relative(rng: random.Random, relative: Person, staff: Person, as_of: date) -> None:
    """A spouse (similar age) or, for older staff, an adult child; same surname and home."""
    staff_age = staff.age_on(as_of)
    if staff_age >= 44 and rng.random() < 0.5:
        age = staff_age - rng.randint(24, 30)
        relative.gender = rng.choice(("female", "male"))
        relative.marital = "S"
    else:
        age = max(20, min(80, staff_age + rng.randint(-5, 5)))
        relative.gender = "male" if staff.gender == "female" else "female"
        relative.marital = staff.marital = "M"
    relative.given = given_name(rng, relative.gender)
    while relative.given == staff.given:
        relative.given = given_name(rng, relative.gender)
    relative.birth_date = birth_date_for_age(rng, age, as_of)
    relative.family = staff.family
    _share_home(relative, staff)


def _share_home(person: Person, other: Person) -> None:
    person.line, person.city, person.state, person.postal_code = (
        other.line,
        other.city,
        other.state,
        other.postal_code,
    )


def _make_lookalike(
    rng: random.Random, kind: str, first: Person, second: Person, as_of: date
) -> tuple[str, ...]:
    if kind == "twins":
        second.family, second.birth_date = first.family, first.birth_date
        second.gender = rng.choice(("female", "male"))
        second.given = given_name(rng, second.gender)
        while second.given == first.given:
            second.given = given_name(rng, second.gender)
        _share_home(second, first)
        second.phone = first.phone
        return ("given name", "gender") if second.gender != first.gender else ("given name",)
    if kind == "same_name":
        second.given, second.family, second.gender = first.given, first.family, first.gender
        if abs((second.birth_date - first.birth_date).days) < 3 * 365:
            second.birth_date = first.birth_date - timedelta(days=rng.randrange(3 * 365, 20 * 365))
        return ("birthDate", "address", "phone")
    # father_son: a Jr. and his Sr. father under one roof, same given and family name.
    first.gender = second.gender = "male"
    first.given = second.given = given_name(rng, "male")
    second.family = first.family
    first.birth_date = birth_date_for_age(rng, rng.randint(22, 45), as_of)
    second.birth_date = first.birth_date - timedelta(days=rng.randrange(26 * 365, 34 * 365))
    first.suffix, second.suffix = "Jr", "Sr"
    _share_home(second, first)
    return ("birthDate", "suffix")


def lookalike_key(cast: Cast, patient_urls: list[str]) -> list[LookAlikePair]:
    return [
        LookAlikePair(patient_urls[first], patient_urls[second], kind, distinguishing)
        for first, second, kind, distinguishing in cast.lookalikes
    ]
