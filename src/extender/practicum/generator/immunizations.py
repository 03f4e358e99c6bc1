"""Which vaccines a patient received while in the practice's care.

A simplified CDC schedule: childhood series by age in months, yearly influenza (trivalent from
the 2024-25 season on, quadrivalent before), COVID-19 doses reported from pharmacies
(``primarySource`` false, as most are in real charts), Tdap, pneumococcal and zoster for adults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from extender.practicum.generator.timeline import months_after

CHILD_SERIES = (
    ("hepb_pediatric", 0), ("hepb_pediatric", 2), ("hepb_pediatric", 6),
    ("dtap", 2), ("dtap", 4), ("dtap", 6), ("dtap", 15), ("dtap", 54),
    ("ipv", 2), ("ipv", 4), ("ipv", 6), ("ipv", 54),
    ("mmr", 12), ("mmr", 54), ("varicella", 12), ("varicella", 54),
)  # fmt: skip


@dataclass(frozen=True)
class Dose:
    day: date
    vaccine: str
    primary_source: bool = True


def plan_doses(rng: random.Random, birth_date: date, first_visit: date, as_of: date) -> list[Dose]:
    doses: list[Dose] = []
    for vaccine, months in CHILD_SERIES:
        day = months_after(birth_date, months)
        if first_visit <= day < as_of and rng.random() < 0.93:
            doses.append(Dose(day, vaccine))
    doses += _seasonal(rng, birth_date, first_visit, as_of)
    doses += _adult(rng, birth_date, first_visit, as_of)
    return sorted(doses, key=lambda d: (d.day, d.vaccine))


def _age(birth_date: date, day: date) -> float:
    return (day - birth_date).days / 365.25


def _in_window(day: date, first_visit: date, as_of: date) -> bool:
    return first_visit <= day < as_of


def _seasonal(rng: random.Random, birth_date: date, first_visit: date, as_of: date) -> list[Dose]:
    doses: list[Dose] = []
    flu_habit = rng.random()
    covid_habit = rng.random()
    for season in range(first_visit.year - 1, as_of.year + 1):
        day = date(season, 9, 15) + timedelta(days=rng.randrange(75))
        age = _age(birth_date, day)
        if not _in_window(day, first_visit, as_of) or age < 0.5:
            continue
        if flu_habit < (0.7 if age >= 65 else 0.45):
            doses.append(Dose(day, "flu_trivalent_pf" if season >= 2024 else "flu_quadrivalent_pf"))
        covid_day = day + timedelta(days=rng.randrange(-20, 40))
        if covid_habit < (0.45 if age >= 65 else 0.2) and _in_window(covid_day, first_visit, as_of):
            doses.append(Dose(covid_day, "covid_unspecified", primary_source=False))
    return doses


def _adult(rng: random.Random, birth_date: date, first_visit: date, as_of: date) -> list[Dose]:
    doses: list[Dose] = []
    span = max(1, (as_of - first_visit).days)

    def some_day() -> date:
        return first_visit + timedelta(days=rng.randrange(span))

    day = some_day()
    if _age(birth_date, day) >= 19 and rng.random() < 0.3:
        doses.append(Dose(day, "tdap"))
    day = some_day()
    if 11 <= _age(birth_date, day) <= 26 and rng.random() < 0.5:
        doses += [Dose(day, "hpv9"), Dose(day + timedelta(days=rng.randrange(180, 365)), "hpv9")]
    day = some_day()
    if _age(birth_date, day) >= 65 and rng.random() < 0.6:
        doses.append(Dose(day, "pcv20"))
        if rng.random() < 0.3:
            doses.append(Dose(first_visit, "ppsv23", primary_source=False))
    day = some_day()
    if _age(birth_date, day) >= 50 and rng.random() < 0.35:
        doses += [
            Dose(day, "zoster_recombinant"),
            Dose(day + timedelta(days=rng.randrange(60, 180)), "zoster_recombinant"),
        ]
    return [d for d in doses if _in_window(d.day, first_visit, as_of)]
