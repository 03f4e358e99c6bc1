"""Small builders for FHIR R4 datatypes, plus the practice's local clock.

Resources are plain dicts (not pydantic models) because building ~100k validated models would
cost far more than the generator itself; the test suite validates the output with the
``fhir.resources`` R4B models instead.

Times are written with the practice's own UTC offset, daylight saving included, because the
access-audit exercise asks "was this after hours?" and a learner should be able to answer from
the timestamp as written.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any

from extender.practicum.generator.codes import UCUM
from extender.practicum.generator.ids import UuidMint

Json = dict[str, Any]

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"


def coding(system: str, code: str, display: str | None = None) -> Json:
    result: Json = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    result: Json = {"coding": [coding(system, code, display)]}
    if text:
        result["text"] = text
    return result


def term(code_system: str, code: str, display: str | None = None) -> Json:
    """A CodeableConcept from one of HL7's terminology.hl7.org code systems."""
    return concept(TERMINOLOGY + code_system, code, display)


def ref(full_url: str, display: str | None = None) -> Json:
    result: Json = {"reference": full_url}
    if display:
        result["display"] = display
    return result


def quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


@cache
def _dst_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(_nth_sunday(year, 3, 2), time(2))
    end = datetime.combine(_nth_sunday(year, 11, 1), time(2))
    return start, end


def in_us_dst(local: datetime) -> bool:
    """US daylight time: 2 a.m. on the second Sunday of March to 2 a.m. on the first Sunday of
    November (the rule since 2007)."""
    start, end = _dst_bounds(local.year)
    return start <= local.replace(tzinfo=None) < end


class PracticeClock:
    """Turns naive practice-local datetimes into offset-qualified FHIR dateTime strings."""

    def __init__(self, utc_offset_hours: int, observes_dst: bool) -> None:
        self._standard = timezone(timedelta(hours=utc_offset_hours))
        self._daylight = timezone(timedelta(hours=utc_offset_hours + 1))
        self._observes_dst = observes_dst

    def aware(self, local: datetime) -> datetime:
        daylight = self._observes_dst and in_us_dst(local)
        return local.replace(tzinfo=self._daylight if daylight else self._standard)

    def stamp(self, local: datetime) -> str:
        return self.aware(local).isoformat(timespec="seconds")


class EntrySink:
    """Collects (fullUrl, resource) pairs for one scope of the bundle (one chart, say)."""

    def __init__(self, mint: UuidMint, scope: str) -> None:
        self._mint = mint
        self._scope = scope
        self.entries: list[tuple[str, Json]] = []

    def new_url(self) -> str:
        return f"urn:uuid:{self._mint.mint(self._scope)}"

    def add(self, resource: Json, url: str | None = None) -> str:
        full_url = url or self.new_url()
        self.entries.append((full_url, resource))
        return full_url
