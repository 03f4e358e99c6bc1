"""When a patient comes in, and why.

Visit rhythm follows ordinary primary-care practice: well-child visits on the AAP schedule,
yearly check-ups for everyone else (often skipped), follow-ups every three months for
diabetes and every six for other monitored chronic problems, and a few sick visits a year.
Visits land on weekdays in office hours, which is what makes after-hours chart access stand out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WELL_CHILD_MONTHS = (2, 4, 6, 9, 12, 15, 18, 24, 30)
FOLLOW_UP_DAYS = {
    "diabetes_t2": 91,
    "hypertension": 182,
    "hyperlipidemia": 365,
    "hypothyroidism": 365,
    "depression": 120,
    "anxiety": 182,
    "asthma": 365,
    "copd": 182,
    "ckd3": 182,
    "atrial_fibrillation": 182,
    "heart_failure": 120,
    "cad": 182,
}
VISIT_MINUTES = {"checkup": 40, "wellchild": 30, "followup": 20, "problem": 15}
FUTURE_HORIZON_DAYS = 120


@dataclass
class Visit:
    day: date
    kind: str
    reasons: list[str] = field(default_factory=list)
    """Chronic problems diagnosed or reviewed at this visit."""
    sick: bool = False
    """An unscheduled-problem visit; the chart picks the acute illness."""
    start: datetime = datetime.min
    provider: int = 0

    @property
    def minutes(self) -> int:
        return VISIT_MINUTES[self.kind]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass
class VisitPlan:
    past: list[Visit]
    future: list[Visit]


def months_after(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, 28))


def weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def plan_visits(
    rng: random.Random,
    birth_date: date,
    first_visit: date,
    as_of: date,
    diagnoses: dict[str, date],
    sick_visits_per_year: float,
) -> VisitPlan:
    """``diagnoses`` maps each chronic problem to the day the practice recorded it."""
    horizon = as_of + timedelta(days=FUTURE_HORIZON_DAYS)
    visits = _routine_visits(rng, birth_date, first_visit, horizon)
    for condition, recorded in sorted(diagnoses.items(), key=lambda item: (item[1], item[0])):
        _attach(visits, Visit(recorded, "problem", [condition]), window=21)
        interval = FOLLOW_UP_DAYS.get(condition)
        if interval is None:
            continue
        day = recorded + timedelta(days=interval)
        while day < horizon:
            if rng.random() < 0.72:
                _attach(visits, Visit(day, "followup", [condition]), window=45)
            day += timedelta(days=interval + rng.randrange(-14, 21))
    _add_sick_visits(rng, visits, first_visit, as_of, sick_visits_per_year)
    return _finalize(rng, visits, first_visit, as_of, horizon)


def _routine_visits(
    rng: random.Random, birth_date: date, first_visit: date, horizon: date
) -> list[Visit]:
    newborn = (first_visit - birth_date).days < 3 * 365
    visits = [Visit(first_visit, "wellchild" if newborn else "checkup")]
    for months in WELL_CHILD_MONTHS:
        day = months_after(birth_date, months)
        if first_visit < day < horizon:
            visits.append(Visit(day, "wellchild"))
    three = months_after(birth_date, 36)
    day = max(first_visit + timedelta(days=365), three)
    while day < horizon:
        age = (day - birth_date).days / 365.25
        if rng.random() < (0.88 if age < 18 or age >= 65 else 0.72):
            visits.append(Visit(day, "checkup"))
        day += timedelta(days=365 + rng.randrange(-30, 45))
    return visits


def _attach(visits: list[Visit], visit: Visit, window: int) -> None:
    """Fold ``visit``'s reasons into a routine visit close enough in time, else add it."""
    for other in visits:
        if (
            other.kind in ("checkup", "followup", "problem")
            and abs((other.day - visit.day).days) <= window
        ):
            if other.day > visit.day and visit.kind == "problem":
                continue  # a diagnosis cannot be recorded before it happens
            other.reasons.extend(r for r in visit.reasons if r not in other.reasons)
            return
    visits.append(visit)


def _add_sick_visits(
    rng: random.Random, visits: list[Visit], first_visit: date, as_of: date, rate: float
) -> None:
    day = first_visit
    while True:
        day += timedelta(days=max(1, int(rng.expovariate(rate / 365.25))))
        if day >= as_of:
            return
        visits.append(Visit(day, "problem", sick=True))


def _finalize(
    rng: random.Random, visits: list[Visit], first_visit: date, as_of: date, horizon: date
) -> VisitPlan:
    by_day: dict[date, Visit] = {}
    for visit in sorted(visits, key=lambda v: (v.day, v.kind)):
        visit.day = weekday_on_or_before(visit.day)
        if visit.day < first_visit:
            visit.day = first_visit
        existing = by_day.get(visit.day)
        if existing is None:
            by_day[visit.day] = visit
        else:
            existing.reasons.extend(r for r in visit.reasons if r not in existing.reasons)
            existing.sick = existing.sick or visit.sick
            existing.kind = min(
                existing.kind, visit.kind, key=lambda k: list(VISIT_MINUTES).index(k)
            )
    past: list[Visit] = []
    future: list[Visit] = []
    for day in sorted(by_day):
        visit = by_day[day]
        slot = rng.randrange(0, 34)  # 08:00 to 16:15 in quarter hours
        visit.start = datetime.combine(day, time(8, 0)) + timedelta(minutes=15 * slot)
        if day < as_of:
            past.append(visit)
        elif day < horizon and (visit.kind != "problem" or visit.reasons):
            future.append(visit)
    return VisitPlan(past, future[:2])
