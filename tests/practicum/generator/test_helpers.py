"""Property tests for the small helpers the generator's realism rests on."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from extender.practicum.generator import names
from extender.practicum.generator.fhir import PracticeClock, in_us_dst
from extender.practicum.generator.ids import (
    UuidMint,
    luhn_check_digit,
    luhn_valid,
    make_npi,
    npi_is_valid,
)
from extender.practicum.generator.people import REGIONS, birth_date_for_age, make_person

name_text = st.text(
    alphabet=st.characters(categories=("Lu", "Ll")) | st.sampled_from("'- "),
    min_size=1,
    max_size=30,
)


@given(name=name_text, seed=st.integers(0, 2**32))
def test_it_always_changes_a_name_with_a_typo_and_keeps_it_non_empty(name: str, seed: int) -> None:
    misspelled = names.typo(name, random.Random(seed))
    assert misspelled
    assert misspelled.lower() != name.lower()
    assert abs(len(misspelled) - len(name)) <= 1


@given(seed=st.integers(0, 2**32))
def test_it_gives_nicknames_only_for_names_that_have_one(seed: int) -> None:
    rng = random.Random(seed)
    given_name = rng.choice(names.MALE_GIVEN + names.FEMALE_GIVEN)
    nickname = names.nickname(given_name, rng)
    if given_name in names.NICKNAMES:
        assert nickname in names.NICKNAMES[given_name] and nickname != given_name
    else:
        assert nickname is None


def test_it_knows_the_classic_nicknames() -> None:
    assert "Bob" in names.NICKNAMES["Robert"]
    assert "Bill" in names.NICKNAMES["William"]
    assert "Liz" in names.NICKNAMES["Elizabeth"]


@given(seed=st.integers(0, 2**32), organization=st.booleans())
def test_it_makes_npis_that_pass_the_luhn_check_with_the_80840_prefix(
    seed: int, organization: bool
) -> None:
    npi = make_npi(random.Random(seed), organization=organization)
    assert len(npi) == 10 and npi.isdigit()
    assert npi[0] == ("2" if organization else "1")
    assert npi_is_valid(npi) and luhn_valid("80840" + npi)
    broken = npi[:9] + str((int(npi[9]) + 1) % 10)
    assert not npi_is_valid(broken)


def test_it_accepts_a_published_example_npi() -> None:
    assert npi_is_valid("1234567893")  # CMS's worked example of the check digit
    assert not npi_is_valid("1234567890")


@given(payload=st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_it_computes_a_luhn_check_digit_for_any_payload(payload: str) -> None:
    assert luhn_valid(payload + luhn_check_digit(payload))


@given(seed=st.integers(0, 2**63), scope=st.text(max_size=20))
def test_it_mints_real_uuid5_values(seed: int, scope: str) -> None:
    mint = UuidMint(seed)
    first, second = mint.mint(scope), mint.mint(scope)
    assert first == str(uuid.uuid5(mint.namespace, f"{scope}#0"))
    assert second == str(uuid.uuid5(mint.namespace, f"{scope}#1"))
    assert uuid.UUID(first).version == 5


@given(age=st.integers(0, 105), seed=st.integers(0, 2**32))
def test_it_makes_birth_dates_that_give_the_requested_age(age: int, seed: int) -> None:
    as_of = date(2026, 11, 1)
    born = birth_date_for_age(random.Random(seed), age, as_of)
    reached = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    assert reached == age


@given(seed=st.integers(0, 2**32))
def test_it_makes_people_with_reserved_contact_details(seed: int) -> None:
    rng = random.Random(seed)
    region = rng.choice(REGIONS)
    person = make_person(rng, region, region.towns[0][1], date(2026, 11, 1))
    assert " 555-" in person.phone
    assert person.email is None or person.email.split("@")[1] in (
        "example.com",
        "example.org",
        "example.net",
    )
    assert person.state in {t[1] for t in region.towns}


def test_it_switches_practice_time_at_us_daylight_saving_boundaries() -> None:
    eastern = PracticeClock(-5, observes_dst=True)
    assert in_us_dst(datetime(2026, 3, 8, 3, 0)) and not in_us_dst(datetime(2026, 3, 8, 1, 59))
    assert eastern.stamp(datetime(2026, 7, 1, 9, 30)) == "2026-07-01T09:30:00-04:00"
    assert eastern.stamp(datetime(2026, 12, 1, 9, 30)) == "2026-12-01T09:30:00-05:00"
    arizona = PracticeClock(-7, observes_dst=False)
    assert arizona.stamp(datetime(2026, 7, 1, 9, 30)) == "2026-07-01T09:30:00-07:00"


@given(seed=st.integers(0, 2**32))
def test_it_registers_duplicates_that_differ_but_stay_the_same_person(seed: int) -> None:
    from extender.practicum.generator.duplicates import vary_person
    from extender.practicum.generator.params import PracticeParams
    from extender.practicum.generator.practice import build_practice

    rng = random.Random(seed)
    practice = build_practice(PracticeParams(patients=100, seed=1), UuidMint(1))
    person = make_person(rng, practice.region, practice.home_state, date(2026, 11, 1), age=40)
    copy, variations = vary_person(rng, person, practice)
    assert variations
    assert (copy.given, copy.family) != (person.given, person.family)
    assert copy.gender == person.gender
    assert copy.birth_date == person.birth_date or "dob_transposed" in variations
