"""One patient's chart, told as a story: who they are, what they have, every visit in order.

Each chart draws from its own random stream (seeded from the practice seed and the patient's
slot), so patient 17 is the same person whatever else the caller changes about the practice.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from extender.practicum.generator import clinical, codes, records
from extender.practicum.generator.chart_model import Chart, ChartState, EncounterRecord
from extender.practicum.generator.chart_steps import (
    future_appointment,
    given_doses,
    missed_appointment,
    record_acute,
    record_allergies,
    record_condition,
    record_labs,
    unattended_doses,
)
from extender.practicum.generator.fhir import EntrySink
from extender.practicum.generator.ids import UuidMint, make_mrn
from extender.practicum.generator.immunizations import plan_doses
from extender.practicum.generator.observations import (
    ObservationWriter,
    is_obese,
    make_physiology,
    vital_signs,
)
from extender.practicum.generator.params import PracticeParams
from extender.practicum.generator.people import Person
from extender.practicum.generator.practice import (
    MEDICAL_ASSISTANT,
    REGISTERED_NURSE,
    Practice,
    StaffMember,
)
from extender.practicum.generator.timeline import Visit, plan_visits


def build_chart(
    practice: Practice,
    params: PracticeParams,
    mint: UuidMint,
    index: int,
    person: Person,
    *,
    vip: bool = False,
) -> Chart:
    rng = random.Random(f"{params.seed}:patient:{index}")
    as_of = params.as_of
    first = _first_visit(rng, person.birth_date, as_of, params.years_of_history)
    pcp, location = _pcp(rng, practice, person.age_on(as_of))
    sink = EntrySink(mint, f"patient-{index}")
    chart = Chart(index, person, make_mrn(index, rng), sink.new_url(), pcp, location, sink, vip=vip)
    sink.add(records.patient(person, chart.mrn, practice, pcp, vip), chart.patient_url)

    age = person.age_on(as_of)
    female = person.gender == "female"
    adult_bmi = max(16.5, min(55.0, rng.gauss(28.8, 6.0)))
    chronic = clinical.sample_chronic(rng, age, female, adult_bmi)
    phys = make_physiology(rng, female, person.birth_date, set(chronic), adult_bmi)
    if age >= 2 and is_obese(phys, as_of) and rng.random() < 0.55:
        chronic.append("obesity")
        phys.conditions.add("obesity")
    allergies = clinical.sample_allergies(rng, age)
    avoid = {drug for plan in allergies for drug in codes.allergens()[plan.allergen].avoid}
    onsets = {key: _onset(rng, person.birth_date, as_of, key) for key in chronic}
    recorded = {key: max(first, onset) for key, onset in onsets.items()}
    phys.onsets = onsets
    drugs = {key: clinical.choose_drugs(rng, key, avoid) for key in chronic}
    for key, started in recorded.items():
        if drugs[key]:
            phys.treated_since[key] = (
                onsets[key] + timedelta(days=30) if onsets[key] < first else started
            )
    chart.conditions = chronic
    state = ChartState(rng, chart, practice, phys, onsets, drugs, avoid)
    state.doses = plan_doses(rng, person.birth_date, first, as_of)
    sick_rate = 1.0 if age < 18 else 0.5
    plan = plan_visits(rng, person.birth_date, first, as_of, recorded, sick_rate)
    for number, visit in enumerate(plan.past):
        encounter_url = _visit(state, visit)
        if number == 0:
            record_allergies(state, allergies, visit, encounter_url)
    for key in chronic:  # diagnosed after the last past visit would be a gap; record at the last
        if key not in state.condition_urls and chart.encounters:
            record_condition(state, key, chart.encounters[-1])
    unattended_doses(state)
    for visit in plan.future:
        future_appointment(state, visit, as_of)
    return chart


def _first_visit(rng: random.Random, birth_date: date, as_of: date, years: int) -> date:
    window_start = as_of - timedelta(days=int(365.25 * years))
    span = (as_of - window_start).days
    offset = rng.randrange(365) if rng.random() < 0.7 else rng.randrange(span - 45)
    return max(
        window_start + timedelta(days=offset), birth_date + timedelta(days=rng.randrange(3, 10))
    )


def _pcp(rng: random.Random, practice: Practice, age: int) -> tuple[StaffMember, int]:
    providers = practice.providers
    weights = [3.0 if _is_pediatrician(p) == (age < 18) else 1.0 for p in providers]
    pcp = rng.choices(providers, weights=weights)[0]
    return pcp, pcp.location_index


def _is_pediatrician(member: StaffMember) -> bool:
    return member.specialty is not None and member.specialty.key == "pediatrics"


def _onset(rng: random.Random, birth_date: date, as_of: date, key: str) -> date:
    earliest = birth_date + timedelta(days=int(365.25 * clinical.MINIMUM_ONSET_AGE.get(key, 18)))
    latest = as_of - timedelta(days=30)
    if earliest >= latest:
        return latest
    span = min((latest - earliest).days, int(365.25 * 15))
    return latest - timedelta(days=rng.randrange(span))


def _visit(state: ChartState, visit: Visit) -> str:
    rng, chart, practice = state.rng, state.chart, state.practice
    clock = practice.clock
    provider = chart.pcp if rng.random() < 0.85 else rng.choice(practice.providers)
    assistants = practice.by_title(MEDICAL_ASSISTANT, REGISTERED_NURSE)
    assistant = rng.choice(assistants) if assistants else None
    location = (practice.location_urls[chart.location], practice.location_names[chart.location])
    start, end = clock.stamp(visit.start), clock.stamp(visit.end)
    acute = (
        clinical.sample_acute(rng, chart.person.gender == "female", chart.person.age_on(visit.day))
        if visit.sick
        else None
    )
    appointment_url = None
    if not (visit.sick and rng.random() < 0.15):  # most sick visits are same-day appointments
        lead = (
            timedelta(minutes=rng.randrange(30, 150))
            if visit.sick
            else timedelta(days=rng.randrange(7, 60))
        )
        created = clock.stamp(visit.start - lead)
        appointment = records.appointment(
            chart.patient_url,
            chart.person.display_name,
            visit.kind,
            "fulfilled",
            start,
            end,
            visit.minutes,
            created,
            provider,
            location,
        )
        appointment_url = chart.sink.add(appointment)
        if rng.random() < 0.06:
            missed_appointment(state, visit, provider, location)
    reasons = visit.reasons + ([acute] if acute else [])
    encounter_url = chart.sink.add(
        records.encounter(
            chart.patient_url,
            visit.kind,
            start,
            end,
            provider,
            assistant,
            location,
            practice.organization_url,
            appointment_url,
            reasons,
        )
    )
    record = EncounterRecord(encounter_url, visit.start, visit.end, provider, assistant)
    chart.encounters.append(record)
    writer = ObservationWriter(chart.patient_url, chart.person.display_name)
    vitals_at = clock.stamp(visit.start + timedelta(minutes=5))
    measure_height = visit.kind in ("checkup", "wellchild") or chart.person.age_on(visit.day) < 18
    vitals = vital_signs(
        writer, rng, state.phys, visit.start, encounter_url, vitals_at, visit.sick, measure_height
    )
    for resource in vitals:
        chart.sink.add(resource)
    for key in visit.reasons:
        if key not in state.condition_urls:
            record_condition(state, key, record)
    if acute:
        record_acute(state, acute, record)
    record_labs(state, visit, record, writer)
    given_doses(state, visit, record, assistant)
    return encounter_url
