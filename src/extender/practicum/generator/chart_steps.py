"""The individual charting steps of a visit: problems and prescriptions, allergies, lab
results, vaccines and appointments. Each writes FHIR resources into the chart's sink."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from extender.practicum.generator import clinical, records
from extender.practicum.generator.chart_model import LOT_LETTERS, ChartState, EncounterRecord
from extender.practicum.generator.immunizations import Dose
from extender.practicum.generator.observations import ObservationWriter, lab_panel, lab_times
from extender.practicum.generator.orders import lab_orders
from extender.practicum.generator.practice import MEDICAL_ASSISTANT, REGISTERED_NURSE, StaffMember
from extender.practicum.generator.timeline import Visit, weekday_on_or_before


def missed_appointment(
    state: ChartState, visit: Visit, provider: StaffMember, location: tuple[str, str]
) -> None:
    rng, chart, clock = state.rng, state.chart, state.practice.clock
    day = visit.start - timedelta(days=rng.randrange(7, 22))
    if day.weekday() >= 5:
        day -= timedelta(days=2)
    status = rng.choice(("noshow", "cancelled"))
    comment = (
        "Patient did not arrive" if status == "noshow" else "Cancelled by patient; rescheduled"
    )
    chart.sink.add(
        records.appointment(
            chart.patient_url,
            chart.person.display_name,
            visit.kind,
            status,
            clock.stamp(day),
            clock.stamp(day + timedelta(minutes=visit.minutes)),
            visit.minutes,
            clock.stamp(day - timedelta(days=14)),
            provider,
            location,
            comment,
        )
    )


def record_condition(state: ChartState, key: str, record: EncounterRecord) -> None:
    rng, chart = state.rng, state.chart
    status = "active"
    if key == "depression" and rng.random() < 0.2:
        status = "remission"
    verification = (
        "provisional" if not state.drugs.get(key) and rng.random() < 0.05 else "confirmed"
    )
    recorded_at = state.practice.clock.stamp(record.start + timedelta(minutes=15))
    url = chart.sink.add(
        records.condition(
            chart.patient_url,
            key,
            record.url,
            recorded_at,
            state.onsets.get(key, record.start.date()),
            record.provider,
            status,
            verification,
        )
    )
    state.condition_urls[key] = url
    for drug in state.drugs.get(key, []):
        stopped = rng.random() < 0.06
        resource = records.medication_request(
            chart.patient_url,
            drug,
            "stopped" if stopped else "active",
            record.url,
            recorded_at,
            record.provider,
            url,
            rng.choice((3, 5, 11)),
        )
        chart.sink.add(resource)


def record_acute(state: ChartState, key: str, record: EncounterRecord) -> None:
    rng, chart = state.rng, state.chart
    day = record.start.date()
    recorded_at = state.practice.clock.stamp(record.start + timedelta(minutes=10))
    url = chart.sink.add(
        records.condition(
            chart.patient_url,
            key,
            record.url,
            recorded_at,
            day - timedelta(days=rng.randrange(1, 5)),
            record.provider,
            "resolved",
            "confirmed",
            day + timedelta(days=rng.randrange(5, 15)),
        )
    )
    for drug in clinical.choose_drugs(rng, key, state.avoid):
        chart.sink.add(
            records.medication_request(
                chart.patient_url,
                drug,
                "completed",
                record.url,
                recorded_at,
                record.provider,
                url,
                0,
            )
        )


def record_allergies(
    state: ChartState, plans: list[clinical.AllergyPlan], visit: Visit, encounter_url: str
) -> None:
    chart, record = state.chart, state.chart.encounters[-1]
    recorded_at = state.practice.clock.stamp(visit.start + timedelta(minutes=8))
    if not plans and state.rng.random() < 0.7:
        chart.sink.add(
            records.allergy(chart.patient_url, None, recorded_at, record.provider, encounter_url)
        )
    for plan in plans:
        chart.sink.add(
            records.allergy(
                chart.patient_url,
                plan.allergen,
                recorded_at,
                record.provider,
                encounter_url,
                (plan.reaction, plan.severity),
                plan.criticality,
            )
        )


def record_labs(
    state: ChartState, visit: Visit, record: EncounterRecord, writer: ObservationWriter
) -> None:
    """Orders follow what the clinician knows (problems recorded so far); values follow the
    patient's true physiology, so an undiagnosed diabetic's screening A1c comes back high."""
    age = state.chart.person.age_on(visit.day)
    known = set(state.condition_urls) | set(visit.reasons)
    tests = lab_orders(state.rng, age, known, visit)
    if not tests:
        return
    drawn, resulted = lab_times(visit.start, state.rng)
    when, issued = state.practice.clock.stamp(drawn), state.practice.clock.stamp(resulted)
    for key, value in lab_panel(state.rng, state.phys, tests, visit.day).items():
        resource = writer.lab(key, when, issued, record.url, value)
        state.chart.labs.append((state.chart.sink.add(resource), resource))


def _immunize(
    state: ChartState,
    dose: Dose,
    when: datetime,
    encounter: str | None,
    performer: StaffMember | None,
) -> None:
    rng, chart = state.rng, state.chart
    lot = "".join(rng.choices(LOT_LETTERS, k=2)) + str(rng.randrange(1000, 9999))
    infant = chart.person.age_on(dose.day) < 3
    stamp = state.practice.clock.stamp(when)
    chart.sink.add(
        records.immunization(
            chart.patient_url,
            dose.vaccine,
            stamp,
            dose.primary_source,
            encounter,
            performer,
            lot,
            infant,
        )
    )


def given_doses(
    state: ChartState, visit: Visit, record: EncounterRecord, assistant: StaffMember | None
) -> None:
    for dose in [d for d in state.doses if d.day == visit.day]:
        _immunize(
            state, dose, visit.start + timedelta(minutes=visit.minutes - 5), record.url, assistant
        )
        state.doses.remove(dose)


def unattended_doses(state: ChartState) -> None:
    """Doses not given at a visit: nurse-only shots on a weekday, or outside records."""
    nurses = state.practice.by_title(REGISTERED_NURSE, MEDICAL_ASSISTANT)
    for dose in state.doses:
        day = weekday_on_or_before(dose.day) if dose.primary_source else dose.day
        when = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=9, minutes=15 * state.rng.randrange(28)
        )
        performer = state.rng.choice(nurses) if nurses and dose.primary_source else None
        _immunize(state, dose, when, None, performer)
    state.doses.clear()


def future_appointment(state: ChartState, visit: Visit, as_of: date) -> None:
    rng, chart, practice = state.rng, state.chart, state.practice
    clock = practice.clock
    location = (practice.location_urls[chart.location], practice.location_names[chart.location])
    booked = datetime.combine(as_of - timedelta(days=rng.randrange(1, 45)), datetime.min.time())
    booked = booked.replace(hour=rng.randrange(8, 17), minute=rng.randrange(60))
    if booked.weekday() >= 5:
        booked -= timedelta(days=2)
    chart.sink.add(
        records.appointment(
            chart.patient_url,
            chart.person.display_name,
            visit.kind,
            "booked",
            clock.stamp(visit.start),
            clock.stamp(visit.end),
            visit.minutes,
            clock.stamp(booked),
            chart.pcp,
            location,
        )
    )
    chart.future.append((visit.start, chart.pcp))
    chart.booked.append(booked)
