"""Demographics: who the practice's patients and staff are and where they live.

A practice draws from one region (a metro area that may straddle a state line), so addresses,
area codes and time zones agree with each other. Phone numbers use the 555 exchange and e-mail
addresses the reserved example.* domains, so no generated contact detail belongs to anyone real.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from extender.practicum.generator import names


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    utc_offset_hours: int
    observes_dst: bool
    area_codes: tuple[str, ...]
    towns: tuple[tuple[str, str, str], ...]  # (city, state, ZIP)


# fmt: off
REGIONS = (
    Region("Greater Cincinnati", -5, True, ("513", "859", "812"), (
        ("Mason", "OH", "45040"), ("Lebanon", "OH", "45036"), ("Fairfield", "OH", "45014"),
        ("Hamilton", "OH", "45011"), ("West Chester", "OH", "45069"), ("Florence", "KY", "41042"),
        ("Covington", "KY", "41011"), ("Lawrenceburg", "IN", "47025"))),
    Region("Charlotte area", -5, True, ("704", "980", "803"), (
        ("Concord", "NC", "28025"), ("Huntersville", "NC", "28078"), ("Matthews", "NC", "28105"),
        ("Gastonia", "NC", "28052"), ("Mooresville", "NC", "28115"), ("Rock Hill", "SC", "29730"),
        ("Fort Mill", "SC", "29715"))),
    Region("Central Texas", -6, True, ("512", "737"), (
        ("Round Rock", "TX", "78664"), ("Georgetown", "TX", "78626"),
        ("Pflugerville", "TX", "78660"), ("Cedar Park", "TX", "78613"), ("Leander", "TX", "78641"),
        ("Taylor", "TX", "76574"))),
    Region("Northern Colorado", -7, True, ("970", "720", "307"), (
        ("Longmont", "CO", "80501"), ("Loveland", "CO", "80537"), ("Greeley", "CO", "80631"),
        ("Fort Collins", "CO", "80525"), ("Windsor", "CO", "80550"), ("Cheyenne", "WY", "82001"))),
    Region("East Valley", -7, False, ("480",), (
        ("Mesa", "AZ", "85201"), ("Chandler", "AZ", "85224"), ("Gilbert", "AZ", "85234"),
        ("Tempe", "AZ", "85281"), ("Queen Creek", "AZ", "85142"))),
    Region("Lower Columbia", -8, True, ("360", "503", "971"), (
        ("Vancouver", "WA", "98660"), ("Camas", "WA", "98607"), ("Battle Ground", "WA", "98604"),
        ("Portland", "OR", "97220"), ("Gresham", "OR", "97030"))),
    Region("Lehigh Valley", -5, True, ("610", "484", "908"), (
        ("Allentown", "PA", "18102"), ("Bethlehem", "PA", "18015"), ("Easton", "PA", "18042"),
        ("Emmaus", "PA", "18049"), ("Phillipsburg", "NJ", "08865"))),
    Region("St. Croix Valley", -6, True, ("651", "715"), (
        ("Woodbury", "MN", "55125"), ("Stillwater", "MN", "55082"),
        ("Cottage Grove", "MN", "55016"), ("Hudson", "WI", "54016"),
        ("River Falls", "WI", "54022"))),
)

STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Pine", "Walnut", "Hickory", "Washington", "Lincoln",
    "Jefferson", "Madison", "Park", "Lake", "Hill", "Church", "Mill", "River", "Spring", "Sunset",
    "Highland", "Meadow", "Willow", "Chestnut", "Franklin", "Prospect", "Ridge", "Forest",
    "Cherry", "Dogwood", "Magnolia", "Birch", "Laurel", "Jackson", "Adams", "Sycamore", "Orchard",
)
STREET_KINDS = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Way", "Blvd", "Pl")
MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# fmt: on

# Share of a family practice's panel by age band: (min age, max age, weight).
AGE_BANDS = (
    (0, 4, 5), (5, 17, 11), (18, 29, 14), (30, 44, 20),
    (45, 64, 29), (65, 74, 12), (75, 84, 7), (85, 96, 2),
)  # fmt: skip


@dataclass(slots=True)
class Person:
    """Demographic facts of one human; a Patient record is one rendering of them."""

    given: str
    family: str
    gender: str
    birth_date: date
    line: str
    city: str
    state: str
    postal_code: str
    phone: str
    middle: str | None = None
    suffix: str | None = None
    email: str | None = None
    language: str = "en"
    marital: str | None = None

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def display_name(self) -> str:
        return f"{self.given} {self.family}"

    def copy(self) -> Person:
        return replace(self)


def pick_region(rng: random.Random) -> Region:
    return rng.choice(REGIONS)


def phone_number(rng: random.Random, region: Region) -> str:
    """Area code of the region, the 555 exchange (never a real subscriber), and 4 digits."""
    line = rng.randrange(100, 10000)
    if line == 1212:
        line = 1213
    return f"({rng.choice(region.area_codes)}) 555-{line:04d}"


def street_address(rng: random.Random) -> str:
    return f"{rng.randrange(10, 9900)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"


def town(rng: random.Random, region: Region, home_state: str) -> tuple[str, str, str]:
    """Most patients live in the practice's own state; the rest cross a nearby state line."""
    local = [t for t in region.towns if t[1] == home_state]
    if rng.random() < 0.85 and local:
        return rng.choice(local)
    return rng.choice(region.towns)


def birth_date_for_age(rng: random.Random, age: int, as_of: date) -> date:
    """A uniformly random birthday that makes the person exactly ``age`` on ``as_of``."""
    latest = date(as_of.year - age, as_of.month, min(as_of.day, 28))
    return latest - timedelta(days=rng.randrange(365))


def sample_age(rng: random.Random) -> int:
    low, high, _ = rng.choices(AGE_BANDS, weights=[b[2] for b in AGE_BANDS])[0]
    return rng.randint(low, high)


def given_name(rng: random.Random, gender: str) -> str:
    return rng.choice(names.MALE_GIVEN if gender == "male" else names.FEMALE_GIVEN)


def email_for(rng: random.Random, given: str, family: str) -> str:
    local = f"{given}.{family}".lower().replace("'", "")
    return f"{local}{rng.randrange(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def make_person(
    rng: random.Random,
    region: Region,
    home_state: str,
    as_of: date,
    *,
    age: int | None = None,
    gender: str | None = None,
) -> Person:
    gender = gender or ("female" if rng.random() < 0.53 else "male")
    age = sample_age(rng) if age is None else age
    given = given_name(rng, gender)
    family = rng.choice(names.FAMILY)
    city, state, postal_code = town(rng, region, home_state)
    person = Person(
        given=given,
        family=family,
        gender=gender,
        birth_date=birth_date_for_age(rng, age, as_of),
        line=street_address(rng),
        city=city,
        state=state,
        postal_code=postal_code,
        phone=phone_number(rng, region),
        middle=rng.choice(MIDDLE_INITIALS) if rng.random() < 0.6 else None,
        language="es" if family in _SPANISH_FAMILIES and rng.random() < 0.35 else "en",
    )
    if age >= 16 and rng.random() < 0.55:
        person.email = email_for(rng, given, family)
    if age >= 18:
        person.marital = rng.choices("MSDW", weights=(50, 32, 12, 6 if age < 65 else 20))[0]
    return person


_SPANISH_FAMILIES = frozenset(
    {
        "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez",
        "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Reyes", "Morales",
        "Gutierrez", "Ortiz", "Ramos", "Chavez", "Mendoza", "Ruiz", "Alvarez", "Castillo",
        "Jimenez", "Moreno", "Herrera", "Medina", "Aguilar", "Castro", "Vargas", "Guzman",
        "Mendez", "Munoz", "Salazar", "Garza", "Soto", "Vasquez", "Romero", "Fernandez",
    }
)  # fmt: skip
