"""FHIR R4 renderings of the clinical facts: one builder per resource type.

Kept apart from the story-telling in ``chart`` so the shape of each resource (which elements,
which code systems) can be reviewed in one place against the R4 spec and US Core habits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from extender.practicum.generator import codes
from extender.practicum.generator.fhir import Json, coding, concept, ref, term
from extender.practicum.generator.people import Person
from extender.practicum.generator.practice import Practice, StaffMember

MRN_SYSTEM = "http://extender.example.org/fhir/sid/mrn"
_MARITAL = {"M": "Married", "S": "Never Married", "D": "Divorced", "W": "Widowed"}
_LANGUAGES = {"en": ("en-US", "English (United States)"), "es": ("es", "Spanish")}
_APPOINTMENT_TYPES = {
    "checkup": "CHECKUP",
    "wellchild": "CHECKUP",
    "followup": "FOLLOWUP",
    "problem": "ROUTINE",
}


def patient(
    person: Person, mrn: str, practice: Practice, pcp: StaffMember, vip: bool = False
) -> Json:
    name: Json = {"use": "official", "family": person.family, "given": [person.given]}
    if person.middle:
        name["given"].append(person.middle)
    if person.suffix:
        name["suffix"] = [person.suffix]
    telecom: list[Json] = [
        {"system": "phone", "value": person.phone, "use": "mobile" if person.email else "home"}
    ]
    if person.email:
        telecom.append({"system": "email", "value": person.email, "use": "home"})
    resource: Json = {"resourceType": "Patient"}
    if vip:
        resource["meta"] = {
            "security": [
                coding(
                    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "restricted"
                )
            ]
        }
    language, language_display = _LANGUAGES[person.language]
    resource |= {
        "identifier": [
            {
                "use": "usual",
                "type": term("v2-0203", "MR", "Medical record number"),
                "system": MRN_SYSTEM,
                "value": mrn,
            }
        ],
        "active": True,
        "name": [name],
        "telecom": telecom,
        "gender": person.gender,
        "birthDate": person.birth_date.isoformat(),
        "address": [
            {
                "use": "home",
                "line": [person.line],
                "city": person.city,
                "state": person.state,
                "postalCode": person.postal_code,
                "country": "US",
            }
        ],
    }
    if person.marital:
        resource["maritalStatus"] = term(
            "v3-MaritalStatus", person.marital, _MARITAL[person.marital]
        )
    resource["communication"] = [
        {"language": concept("urn:ietf:bcp:47", language, language_display), "preferred": True}
    ]
    resource["generalPractitioner"] = [ref(pcp.practitioner_url, pcp.display)]
    resource["managingOrganization"] = ref(practice.organization_url, practice.name)
    return resource


def encounter(
    patient_url: str,
    kind: str,
    start: str,
    end: str,
    provider: StaffMember,
    assistant: StaffMember | None,
    location: tuple[str, str],
    organization_url: str,
    appointment_url: str | None,
    reasons: list[str],
) -> Json:
    encounter_type = codes.encounter_types()[kind]
    participants = [
        {
            "type": [term("v3-ParticipationType", "PPRF", "primary performer")],
            "individual": ref(provider.practitioner_url, provider.display),
        }
    ]
    if assistant is not None:
        participants.append(
            {
                "type": [term("v3-ParticipationType", "PART", "Participation")],
                "individual": ref(assistant.practitioner_url, assistant.display),
            }
        )
    resource: Json = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
        "type": [concept(encounter_type.system, encounter_type.code, encounter_type.display)],
        "subject": ref(patient_url),
        "participant": participants,
    }
    if appointment_url:
        resource["appointment"] = [ref(appointment_url)]
    resource["period"] = {"start": start, "end": end}
    if reasons:
        table = codes.conditions()
        resource["reasonCode"] = [
            concept(codes.SNOMED, table[r].snomed, table[r].snomed_display) for r in reasons
        ]
    resource["location"] = [{"location": ref(*location)}]
    resource["serviceProvider"] = ref(organization_url)
    return resource


def appointment(
    patient_url: str,
    patient_display: str,
    kind: str,
    status: str,
    start: str,
    end: str,
    minutes: int,
    created: str,
    provider: StaffMember,
    location: tuple[str, str],
    comment: str | None = None,
) -> Json:
    participant_status = "declined" if status == "cancelled" else "accepted"
    resource: Json = {
        "resourceType": "Appointment",
        "status": status,
        "appointmentType": term("v2-0276", _APPOINTMENT_TYPES[kind]),
        "description": codes.encounter_types()[kind].display,
        "start": start,
        "end": end,
        "minutesDuration": minutes,
        "created": created,
    }
    if comment:
        resource["comment"] = comment
    resource["participant"] = [
        {"actor": ref(patient_url, patient_display), "status": participant_status},
        {"actor": ref(provider.practitioner_url, provider.display), "status": "accepted"},
        {"actor": ref(*location), "status": "accepted"},
    ]
    return resource


def condition(
    patient_url: str,
    key: str,
    encounter_url: str,
    recorded: str,
    onset: date,
    recorder: StaffMember,
    clinical_status: str = "active",
    verification: str = "confirmed",
    abated: date | None = None,
) -> Json:
    code = codes.conditions()[key]
    category = (
        ("problem-list-item", "Problem List Item")
        if code.chronic
        else ("encounter-diagnosis", "Encounter Diagnosis")
    )
    resource: Json = {
        "resourceType": "Condition",
        "clinicalStatus": term("condition-clinical", clinical_status, clinical_status.capitalize()),
        "verificationStatus": term("condition-ver-status", verification, verification.capitalize()),
        "category": [term("condition-category", *category)],
        "code": {
            "coding": [
                coding(codes.ICD10CM, code.icd10, code.icd10_display),
                coding(codes.SNOMED, code.snomed, code.snomed_display),
            ],
            "text": code.snomed_display,
        },
        "subject": ref(patient_url),
        "encounter": ref(encounter_url),
        "onsetDateTime": onset.isoformat(),
    }
    if abated is not None:
        resource["abatementDateTime"] = abated.isoformat()
    resource["recordedDate"] = recorded
    resource["recorder"] = ref(recorder.practitioner_url, recorder.display)
    return resource


def medication_request(
    patient_url: str,
    drug_key: str,
    status: str,
    encounter_url: str,
    authored: str,
    prescriber: StaffMember,
    condition_url: str,
    refills: int,
) -> Json:
    drug = codes.drugs()[drug_key]
    resource: Json = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [coding(codes.RXNORM, drug.rxnorm, drug.display)],
            "text": drug.product_text,
        },
        "subject": ref(patient_url),
        "encounter": ref(encounter_url),
        "authoredOn": authored,
        "requester": ref(prescriber.practitioner_url, prescriber.display),
        "reasonReference": [ref(condition_url)],
        "dosageInstruction": [{"text": drug.sig}],
    }
    if refills:
        resource["dispenseRequest"] = {"numberOfRepeatsAllowed": refills}
    return resource


def allergy(
    patient_url: str,
    allergen_key: str | None,
    recorded: str,
    recorder: StaffMember,
    encounter_url: str,
    reaction: tuple[str, str] | None = None,
    criticality: str = "low",
) -> Json:
    """``allergen_key`` None records "no known allergy", which is itself a clinical statement."""
    base: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": term("allergyintolerance-clinical", "active", "Active"),
        "verificationStatus": term("allergyintolerance-verification", "confirmed", "Confirmed"),
    }
    if allergen_key is None:
        nka = codes.encounter_types()["no_known_allergy"]
        base["code"] = concept(nka.system, nka.code, nka.display)
    else:
        allergen = codes.allergens()[allergen_key]
        base |= {"type": "allergy", "category": [allergen.category], "criticality": criticality}
        base["code"] = concept(allergen.system, allergen.code, allergen.display)
    base |= {
        "patient": ref(patient_url),
        "encounter": ref(encounter_url),
        "recordedDate": recorded,
        "recorder": ref(recorder.practitioner_url, recorder.display),
    }
    if reaction is not None:
        finding = codes.reactions()[reaction[0]]
        base["reaction"] = [
            {
                "manifestation": [concept(finding.system, finding.code, finding.display)],
                "severity": reaction[1],
            }
        ]
    return base


def immunization(
    patient_url: str,
    vaccine_key: str,
    when: str,
    primary_source: bool,
    encounter_url: str | None,
    performer: StaffMember | None,
    lot: str,
    infant: bool,
) -> Json:
    vaccine = codes.vaccines()[vaccine_key]
    resource: Json = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": concept(vaccine.system, vaccine.code, vaccine.display),
        "patient": ref(patient_url),
    }
    if encounter_url:
        resource["encounter"] = ref(encounter_url)
    resource |= {"occurrenceDateTime": when, "primarySource": primary_source}
    if not primary_source:
        resource["reportOrigin"] = term("immunization-origin", "record", "Written Record")
        return resource
    subcutaneous = vaccine_key in ("mmr", "varicella", "ipv", "ppsv23")
    site = ("LT", "left thigh") if infant else ("LA", "left arm")
    resource |= {
        "lotNumber": lot,
        "site": term("v3-ActSite", *site),
        "route": term(
            "v3-RouteOfAdministration",
            *(
                ("SQ", "Injection, subcutaneous")
                if subcutaneous
                else ("IM", "Injection, intramuscular")
            ),
        ),
    }
    if performer is not None:
        resource["performer"] = [{"actor": ref(performer.practitioner_url, performer.display)}]
    return resource
