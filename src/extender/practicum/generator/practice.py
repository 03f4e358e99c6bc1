"""The practice itself: organization, sites, the EHR system, clinicians and office staff.

Every staff member, clinical or not, is a FHIR Practitioner (R4 scopes Practitioner to anyone
involved in delivering care, receptionists included), so AuditEvents can point at a real
resource for whoever opened a chart. Only licensed clinicians carry an NPI.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from extender.practicum.generator import codes
from extender.practicum.generator.fhir import Json, PracticeClock, coding, concept, ref, term
from extender.practicum.generator.ids import UuidMint, make_npi
from extender.practicum.generator.params import PracticeParams
from extender.practicum.generator.people import (
    REGIONS,
    Person,
    Region,
    make_person,
    phone_number,
    street_address,
)

STAFF_ID_SYSTEM = "http://extender.example.org/fhir/sid/staff-username"

PHYSICIAN = "Physician"
NURSE_PRACTITIONER = "Nurse Practitioner"
PHYSICIAN_ASSISTANT = "Physician Assistant"
REGISTERED_NURSE = "Registered Nurse"
MEDICAL_ASSISTANT = "Medical Assistant"
FRONT_DESK = "Front Desk Receptionist"
BILLING = "Billing Specialist"
PRACTICE_MANAGER = "Practice Manager"

PROVIDER_TITLES = (PHYSICIAN, NURSE_PRACTITIONER, PHYSICIAN_ASSISTANT)

_ROLE_CODES = {PHYSICIAN: "doctor", NURSE_PRACTITIONER: "nurse", REGISTERED_NURSE: "nurse"}
_WORKSTATIONS = {
    MEDICAL_ASSISTANT: "EXAM",
    REGISTERED_NURSE: "NURSE",
    FRONT_DESK: "FRONTDESK",
    BILLING: "BILLING",
    PRACTICE_MANAGER: "OFFICE",
}


@dataclass
class StaffMember:
    person: Person
    job_title: str
    username: str
    practitioner_url: str
    role_url: str
    location_index: int
    workstation: str
    npi: str | None = None
    credential: str | None = None
    specialty: codes.SimpleCode | None = None

    @property
    def is_provider(self) -> bool:
        return self.job_title in PROVIDER_TITLES

    @property
    def display(self) -> str:
        name = self.person.display_name
        return f"{name}, {self.credential}" if self.credential else name


@dataclass
class Practice:
    name: str
    region: Region
    home_state: str
    clock: PracticeClock
    organization_url: str
    device_url: str
    location_urls: list[str]
    location_names: list[str]
    staff: list[StaffMember]
    entries: list[tuple[str, Json]] = field(default_factory=list)

    @property
    def providers(self) -> list[StaffMember]:
        return [s for s in self.staff if s.is_provider]

    def by_title(self, *titles: str) -> list[StaffMember]:
        return [s for s in self.staff if s.job_title in titles]


def build_practice(params: PracticeParams, mint: UuidMint) -> Practice:
    rng = random.Random(f"{params.seed}:practice")
    region = rng.choice(REGIONS)
    home_state = region.towns[0][1]
    owner_family = rng.choice(
        (
            "Riverside",
            "Valley",
            "Heritage",
            "Summit",
            "Lakeside",
            "Meadowbrook",
            "Cornerstone",
            "Prairie",
        )
    )
    name = f"{owner_family} Family Medicine"
    n_locations = params.locations or (
        1 if params.patients < 400 else 2 if params.patients < 1500 else 3
    )
    n_providers = params.providers or max(
        2, min(8, round(params.patients / 300) + rng.choice((0, 0, 1)))
    )
    practice = Practice(
        name=name,
        region=region,
        home_state=home_state,
        clock=PracticeClock(region.utc_offset_hours, region.observes_dst),
        organization_url=f"urn:uuid:{mint.mint('organization')}",
        device_url=f"urn:uuid:{mint.mint('device')}",
        location_urls=[],
        location_names=[],
        staff=[],
    )
    _add_organization(practice, rng)
    _add_locations(practice, rng, n_locations, mint)
    _add_device(practice)
    _add_staff(practice, rng, params, n_providers, mint)
    return practice


def _address(line: str, city: str, state: str, postal_code: str, use: str = "work") -> Json:
    return {
        "use": use,
        "line": [line],
        "city": city,
        "state": state,
        "postalCode": postal_code,
        "country": "US",
    }


def _add_organization(practice: Practice, rng: random.Random) -> None:
    city, state, postal_code = practice.region.towns[0]
    practice.entries.append(
        (
            practice.organization_url,
            {
                "resourceType": "Organization",
                "identifier": [
                    {"system": codes.NPI_SYSTEM, "value": make_npi(rng, organization=True)}
                ],
                "active": True,
                "type": [term("organization-type", "prov", "Healthcare Provider")],
                "name": practice.name,
                "telecom": [
                    {"system": "phone", "value": phone_number(rng, practice.region), "use": "work"}
                ],
                "address": [_address(street_address(rng), city, state, postal_code)],
            },
        )
    )


def _add_locations(practice: Practice, rng: random.Random, count: int, mint: UuidMint) -> None:
    local_towns = [t for t in practice.region.towns if t[1] == practice.home_state]
    for index in range(count):
        city, state, postal_code = local_towns[index % len(local_towns)]
        url = f"urn:uuid:{mint.mint('location')}"
        name = f"{practice.name} - {city}"
        practice.location_urls.append(url)
        practice.location_names.append(name)
        practice.entries.append(
            (
                url,
                {
                    "resourceType": "Location",
                    "status": "active",
                    "name": name,
                    "mode": "instance",
                    "telecom": [
                        {
                            "system": "phone",
                            "value": phone_number(rng, practice.region),
                            "use": "work",
                        }
                    ],
                    "address": _address(street_address(rng), city, state, postal_code),
                    "physicalType": term("location-physical-type", "bu", "Building"),
                    "managingOrganization": ref(practice.organization_url, practice.name),
                },
            )
        )


def _add_device(practice: Practice) -> None:
    """The EHR server that records AuditEvents (AuditEvent.source.observer points here)."""
    practice.entries.append(
        (
            practice.device_url,
            {
                "resourceType": "Device",
                "status": "active",
                "deviceName": [{"name": f"{practice.name} EHR", "type": "user-friendly-name"}],
                "owner": ref(practice.organization_url, practice.name),
            },
        )
    )


def _roster(rng: random.Random, n_providers: int) -> list[str]:
    titles = [PHYSICIAN]
    for _ in range(n_providers - 1):
        titles.append(rng.choices(PROVIDER_TITLES, weights=(5, 3, 2))[0])
    titles += [MEDICAL_ASSISTANT] * n_providers
    titles += [FRONT_DESK] * (1 + n_providers // 3)
    titles += [REGISTERED_NURSE] * (n_providers // 3)
    titles += [BILLING] * (1 + n_providers // 5)
    titles.append(PRACTICE_MANAGER)
    return titles


def _add_staff(
    practice: Practice, rng: random.Random, params: PracticeParams, n_providers: int, mint: UuidMint
) -> None:
    usernames: set[str] = set()
    workstation_counts: dict[str, int] = {}
    for index, title in enumerate(_roster(rng, n_providers)):
        person = make_person(
            rng, practice.region, practice.home_state, params.as_of, age=rng.randint(24, 63)
        )
        username = _username(person, usernames)
        location_index = index % len(practice.location_urls)
        prefix = _WORKSTATIONS.get(title, "EXAM")
        workstation_counts[prefix] = workstation_counts.get(prefix, 0) + 1
        member = StaffMember(
            person=person,
            job_title=title,
            username=username,
            practitioner_url=f"urn:uuid:{mint.mint('practitioner')}",
            role_url=f"urn:uuid:{mint.mint('practitioner-role')}",
            location_index=location_index,
            workstation=f"{prefix}-{workstation_counts[prefix]:02d}",
        )
        if member.is_provider:
            taxonomy = _taxonomy_for(title, rng)
            member.npi = make_npi(rng)
            member.credential = taxonomy.extra
            member.specialty = taxonomy
            member.workstation = f"PROVIDER-{index + 1:02d}"
        elif title == REGISTERED_NURSE:
            member.credential = "RN"
        practice.staff.append(member)
        practice.entries.append((member.practitioner_url, _practitioner(practice, member)))
        practice.entries.append((member.role_url, _practitioner_role(practice, member)))


def _username(person: Person, taken: set[str]) -> str:
    base = re.sub(r"[^a-z]", "", (person.given[0] + person.family).lower())
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base}{n}"
    taken.add(username)
    return username


def _taxonomy_for(title: str, rng: random.Random) -> codes.SimpleCode:
    taxonomy = codes.taxonomies()
    if title == NURSE_PRACTITIONER:
        return taxonomy["nurse_practitioner_family"]
    if title == PHYSICIAN_ASSISTANT:
        return taxonomy["physician_assistant"]
    return taxonomy[
        rng.choices(("family_medicine", "internal_medicine", "pediatrics"), weights=(6, 3, 1))[0]
    ]


def _practitioner(practice: Practice, member: StaffMember) -> Json:
    person = member.person
    name: Json = {"use": "official", "family": person.family, "given": [person.given]}
    if member.job_title == PHYSICIAN:
        name["prefix"] = ["Dr."]
    if member.credential:
        name["suffix"] = [member.credential]
    identifiers = [{"system": STAFF_ID_SYSTEM, "value": member.username}]
    if member.npi:
        identifiers.insert(0, {"system": codes.NPI_SYSTEM, "value": member.npi})
    domain = re.sub(r"[^a-z]", "", practice.name.lower())
    return {
        "resourceType": "Practitioner",
        "identifier": identifiers,
        "active": True,
        "name": [name],
        "telecom": [
            {"system": "email", "value": f"{member.username}@{domain}.example.org", "use": "work"}
        ],
        "gender": person.gender,
        "birthDate": person.birth_date.isoformat(),
    }


def _practitioner_role(practice: Practice, member: StaffMember) -> Json:
    role_code = _ROLE_CODES.get(member.job_title)
    code: Json = {"text": member.job_title}
    if role_code:
        code["coding"] = [
            coding("http://terminology.hl7.org/CodeSystem/practitioner-role", role_code)
        ]
    role: Json = {
        "resourceType": "PractitionerRole",
        "active": True,
        "practitioner": ref(member.practitioner_url, member.display),
        "organization": ref(practice.organization_url, practice.name),
        "code": [code],
        "location": [
            ref(
                practice.location_urls[member.location_index],
                practice.location_names[member.location_index],
            )
        ],
    }
    if member.specialty:
        specialty = member.specialty
        role["specialty"] = [concept(specialty.system, specialty.code, specialty.display)]
    return role
