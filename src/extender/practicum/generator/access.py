"""Chart-access audit trail (FHIR R4 AuditEvent): a normal working fortnight plus planted
privacy violations.

Normal access follows the visit workflow: the front desk checks the patient in, the assistant
rooms them, the clinician reviews problems and results (and sometimes finishes notes in the
evening, which is legitimate after-hours access), billing codes the visit next day. A planted
access is one with no care relationship: no visit or appointment for that patient within a
week either side, and the user is not the patient's primary care provider.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from extender.practicum.generator.answer_key import InappropriateAccess
from extender.practicum.generator.cast import Cast
from extender.practicum.generator.chart_model import Chart
from extender.practicum.generator.fhir import EntrySink, Json, coding, ref, term
from extender.practicum.generator.params import PracticeParams
from extender.practicum.generator.practice import (
    BILLING,
    FRONT_DESK,
    PRACTICE_MANAGER,
    Practice,
    StaffMember,
)

CARE_WINDOW = timedelta(days=7)
PATIENT_FLOW_TITLES = (FRONT_DESK, BILLING, PRACTICE_MANAGER)
"""Front-office jobs that legitimately open the chart of anyone with a visit that week."""
_SEARCHES = ("Observation", "Condition", "MedicationRequest", "AllergyIntolerance", "Encounter")


@dataclass(frozen=True)
class Access:
    at: datetime
    who: StaffMember
    chart: Chart
    search: str | None = None
    """Resource type searched for this patient; None for a read of the Patient itself."""


class AuditTrail:
    """AuditEvents collected in any order and emitted in time order, so an event's position
    in the bundle says nothing about whether it was planted."""

    def __init__(self, practice: Practice, sink: EntrySink, charts: list[Chart]) -> None:
        self.practice = practice
        self.sink = sink
        self.charts = charts
        self.events: list[tuple[datetime, str, Json]] = []

    def record(self, access: Access) -> str:
        url = self.sink.new_url()
        self.events.append((access.at, url, self._event(access)))
        return url

    def _event(self, access: Access) -> Json:
        practice, who = self.practice, access.who
        interaction = ("search-type", "search type") if access.search else ("read", "read")
        entity: list[Json] = [
            {
                "what": ref(access.chart.patient_url, access.chart.person.display_name),
                "type": coding(
                    "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"
                ),
                "role": coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            }
        ]
        if access.search:
            query = f"{access.search}?patient={access.chart.patient_url}".encode()
            entity.append(
                {
                    "type": coding(
                        "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                        "2",
                        "System Object",
                    ),
                    "role": coding(
                        "http://terminology.hl7.org/CodeSystem/object-role", "24", "Query"
                    ),
                    "query": base64.b64encode(query).decode("ascii"),
                }
            )
        return {
            "resourceType": "AuditEvent",
            "type": coding(
                "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "rest",
                "RESTful Operation",
            ),
            "subtype": [coding("http://hl7.org/fhir/restful-interaction", *interaction)],
            "action": "E" if access.search else "R",
            "recorded": practice.clock.stamp(access.at),
            "outcome": "0",
            "agent": [
                {
                    "type": term("v3-ParticipationType", "IRCP", "information recipient"),
                    "who": ref(who.practitioner_url, who.display),
                    "altId": who.username,
                    "name": who.person.display_name,
                    "requestor": True,
                    "network": {"address": who.workstation, "type": "1"},
                }
            ],
            "source": {
                "site": practice.location_names[who.location_index],
                "observer": ref(practice.device_url, f"{practice.name} EHR"),
                "type": [
                    coding(
                        "http://terminology.hl7.org/CodeSystem/security-source-type",
                        "4",
                        "Application Server",
                    )
                ],
            },
            "entity": entity,
        }

    def sorted_entries(self) -> list[tuple[str, Json]]:
        return [(url, event) for _, url, event in sorted(self.events, key=lambda e: (e[0], e[1]))]


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randrange(low, high), seconds=rng.randrange(60))


def normal_access(trail: AuditTrail, rng: random.Random, start: date, end: date) -> None:
    practice = trail.practice
    front_desk = practice.by_title(FRONT_DESK)
    billing = practice.by_title(BILLING)
    for chart in trail.charts:
        for visit in chart.encounters:
            if not start <= visit.start.date() < end:
                continue
            trail.record(Access(visit.start - _minutes(rng, 5, 20), rng.choice(front_desk), chart))
            if visit.assistant is not None:
                trail.record(Access(visit.start - _minutes(rng, 0, 4), visit.assistant, chart))
                trail.record(
                    Access(visit.start + _minutes(rng, 2, 6), visit.assistant, chart, "Observation")
                )
            trail.record(Access(visit.start + _minutes(rng, 6, 9), visit.provider, chart))
            for search in rng.sample(_SEARCHES[:4], k=rng.randint(1, 3)):
                trail.record(
                    Access(visit.start + _minutes(rng, 9, 14), visit.provider, chart, search)
                )
            if rng.random() < 0.3:  # finishing notes after clinic: after hours but legitimate
                evening = datetime.combine(visit.start.date(), time(17, 30)) + _minutes(rng, 0, 120)
                trail.record(Access(evening, visit.provider, chart, "Encounter"))
            next_day = visit.start.date() + timedelta(days=3 if visit.start.weekday() == 4 else 1)
            if billing and next_day < end:
                coded = datetime.combine(next_day, time(9)) + _minutes(rng, 0, 420)
                trail.record(Access(coded, rng.choice(billing), chart, "Encounter"))
        for booked in chart.booked:
            if start <= booked.date() < end:
                trail.record(Access(booked, rng.choice(front_desk), chart))


def has_care_relationship(chart: Chart, who: StaffMember, at: datetime) -> bool:
    """The rule the planted accesses violate (and the exercise rubric explains).

    A clinician or assistant needs to be on the care team of a visit within a week, or be the
    patient's PCP; front-office staff (who handle every visit) need any visit or appointment
    for the patient within a week.
    """
    if chart.pcp is who:
        return True
    front_office = who.job_title in PATIENT_FLOW_TITLES
    for visit in chart.encounters:
        if abs(visit.start - at) <= CARE_WINDOW and (
            front_office or who in (visit.provider, visit.assistant)
        ):
            return True
    if front_office:
        scheduled = [start for start, _ in chart.future] + chart.booked
        return any(abs(moment - at) <= CARE_WINDOW for moment in scheduled)
    return False


def _business_moment(rng: random.Random, start: date, end: date) -> datetime:
    """A random moment in office hours on a weekday in [start, end) (any day if none is)."""
    days = [start + timedelta(days=n) for n in range(max(1, (end - start).days))]
    weekdays = [d for d in days if d.weekday() < 5] or days
    return datetime.combine(rng.choice(weekdays), time(9)) + _minutes(rng, 0, 450)


def _snoop(
    trail: AuditTrail, rng: random.Random, who: StaffMember, chart: Chart, at: datetime
) -> list[str]:
    """A read followed by a quick look at problems and results, as curiosity looks."""
    urls = [trail.record(Access(at, who, chart))]
    for offset, search in enumerate(rng.sample(_SEARCHES[:3], k=2), start=1):
        urls.append(
            trail.record(
                Access(at + timedelta(seconds=40 * offset + rng.randrange(30)), who, chart, search)
            )
        )
    return urls


def _find_snoop(
    rng: random.Random, chart: Chart, candidates: list[StaffMember], start: date, end: date
) -> tuple[StaffMember, datetime] | None:
    """Someone from ``candidates`` and a working-hours moment with no care relationship."""
    order = list(candidates)
    rng.shuffle(order)
    order.sort(key=lambda m: m.job_title in PATIENT_FLOW_TITLES)  # clinical support first
    for who in order:
        for _ in range(20):
            at = _business_moment(rng, start, end)
            if not has_care_relationship(chart, who, at):
                return who, at
    return None


class _Planter:
    """Plants one kind of privacy violation at a time and records it for the answer key."""

    def __init__(self, trail: AuditTrail, seed: int, start: date, end: date) -> None:
        self.trail = trail
        self.rng = random.Random(f"{seed}:snooping")
        self.start, self.end = start, end
        self.office = [m for m in trail.practice.staff if not m.is_provider]
        self.by_username = {m.username: m for m in trail.practice.staff}
        self.planted: list[InappropriateAccess] = []

    def snoop_once(self, kind: str, target: Chart, candidates: list[StaffMember], why: str) -> None:
        """``why`` may mention {who}; it is filled in once the snooper is chosen."""
        found = _find_snoop(self.rng, target, candidates, self.start, self.end)
        if found is not None:
            who, at = found
            urls = _snoop(self.trail, self.rng, who, target, at)
            self._record(kind, who, [target], urls, [at], why.format(who=who.display))

    def browse_at_night(self) -> None:
        rng = self.rng
        who = rng.choice(self.office)
        last_night = max(self.start + timedelta(days=1), self.end - timedelta(days=1))
        night_of = _business_moment(rng, self.start, last_night).date()
        at = datetime.combine(night_of, time(22)) + _minutes(rng, 0, 30)
        pool = [c for c in self.trail.charts if not has_care_relationship(c, who, at)]
        targets = rng.sample(pool, k=min(len(pool), rng.randint(15, 30)))
        urls, times = [], []
        for chart in targets:  # at most 30 opens, 2 minutes apart: done before midnight
            at += timedelta(seconds=rng.randrange(20, 120))
            times.append(at)
            urls.append(self.trail.record(Access(at, who, chart)))
        if targets:
            why = f"{who.display} opened {len(targets)} unrelated charts in one late-night session"
            self._record("after_hours", who, targets, urls, times, why)

    def _record(
        self,
        kind: str,
        who: StaffMember,
        targets: list[Chart],
        urls: list[str],
        times: list[datetime],
        why: str,
    ) -> None:
        clock = self.trail.practice.clock
        patients = tuple(dict.fromkeys(c.patient_url for c in targets))
        self.planted.append(
            InappropriateAccess(
                kind=kind,
                username=who.username,
                practitioner=who.practitioner_url,
                patients=patients,
                audit_events=tuple(urls),
                first_at=clock.stamp(min(times)),
                last_at=clock.stamp(max(times)),
                explanation=why,
            )
        )


def planted_access(
    trail: AuditTrail, cast: Cast, params: PracticeParams, start: date, end: date
) -> list[InappropriateAccess]:
    planter = _Planter(trail, params.seed, start, end)
    charts, defects = trail.charts, params.defects
    coworkers = sorted(cast.staff_patients.items())
    for n in range(defects.coworker_accesses):
        username, slot = coworkers[n % len(coworkers)]
        others = [m for m in planter.office if m.username != username]
        name = planter.by_username[username].display
        why = f"{{who}} opened coworker {name}'s chart with no care relationship"
        planter.snoop_once("coworker", charts[slot], others, why)
    vips = sorted(cast.vips.items())
    for n in range(defects.vip_accesses):
        slot, description = vips[n % len(vips)]
        why = f"{{who}} opened the chart of a {description} with no care relationship"
        planter.snoop_once("vip", charts[slot], planter.office, why)
    for _ in range(defects.after_hours_browsing):
        planter.browse_at_night()
    relatives = sorted(cast.relatives.items())
    for n in range(defects.family_accesses):
        username, slot = relatives[n % len(relatives)]
        relative = charts[slot].person.display_name
        why = f"{{who}} opened the chart of a relative ({relative}, same surname and home)"
        planter.snoop_once("family", charts[slot], [planter.by_username[username]], why)
    return planter.planted
