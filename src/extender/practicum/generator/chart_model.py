"""The in-memory chart: what later stages (duplicates, result defects, access audit) need to
know about a patient beyond the FHIR resources themselves."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime

from extender.practicum.generator.fhir import EntrySink, Json
from extender.practicum.generator.immunizations import Dose
from extender.practicum.generator.observations import Physiology
from extender.practicum.generator.people import Person
from extender.practicum.generator.practice import Practice, StaffMember

LOT_LETTERS = "ABCDEFGHJKLMNPRTUWXY"


@dataclass
class EncounterRecord:
    """What the access-audit generator needs to know about a visit: who saw whom, when."""

    url: str
    start: datetime
    end: datetime
    provider: StaffMember
    assistant: StaffMember | None


@dataclass
class Chart:
    """One Patient record and everything charted under it (a duplicate record is a Chart too)."""

    index: int
    person: Person
    mrn: str
    patient_url: str
    pcp: StaffMember
    location: int
    sink: EntrySink
    encounters: list[EncounterRecord] = field(default_factory=list)
    future: list[tuple[datetime, StaffMember]] = field(default_factory=list)
    """(booked for, provider) for appointments after the as-of date."""
    booked: list[datetime] = field(default_factory=list)
    """When future appointments were made (front-desk chart opens)."""
    labs: list[tuple[str, Json]] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    vip: bool = False

    @property
    def entries(self) -> list[tuple[str, Json]]:
        return self.sink.entries


@dataclass
class ChartState:
    """Working state while one chart is being written."""

    rng: random.Random
    chart: Chart
    practice: Practice
    phys: Physiology
    onsets: dict[str, date]
    drugs: dict[str, list[str]]
    avoid: set[str]
    condition_urls: dict[str, str] = field(default_factory=dict)
    doses: list[Dose] = field(default_factory=list)
