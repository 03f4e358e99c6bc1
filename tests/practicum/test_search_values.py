from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.practicum.fhir.params import index_values
from extender.practicum.fhir.values import (
    SearchValueError,
    date_matches,
    date_range,
    number_range,
    parse_quantity,
    parse_token,
    split_prefix,
)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 30)))
def test_a_day_lies_inside_its_month_and_year(day: date) -> None:
    d_start, d_end = date_range(day.isoformat())
    m_start, m_end = date_range(day.isoformat()[:7])
    y_start, y_end = date_range(str(day.year))
    assert y_start <= m_start <= d_start < d_end <= m_end <= y_end
    assert d_end - d_start == timedelta(days=1)
    assert date_matches("eq", d_start, d_end, m_start, m_end)
    assert not date_matches("ne", d_start, d_end, m_start, m_end)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_gt_and_le_partition_the_timeline_for_instants(a: datetime, b: datetime) -> None:
    ra = date_range(a.replace(microsecond=0).isoformat() + "Z")
    rb = date_range(b.replace(microsecond=0).isoformat() + "Z")
    assert date_matches("gt", *ra, *rb) != date_matches("le", *ra, *rb) or ra == rb


def test_it_converts_offsets_to_utc() -> None:
    start, end = date_range("2026-03-01T08:30:00-05:00")
    assert start == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert end - start == timedelta(seconds=1)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13", "2026-02-30", "26-01-01"])
def test_it_refuses_malformed_dates(bad: str) -> None:
    with pytest.raises(SearchValueError):
        date_range(bad)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False))
def test_numbers_carry_their_implicit_precision(value: object) -> None:
    rng = number_range(str(value))
    assert rng.low <= rng.value < rng.high


def test_prefixes_tokens_and_quantities() -> None:
    assert split_prefix("ge2026-01-01") == ("ge", "2026-01-01")
    assert split_prefix("gender") == ("eq", "gender")
    assert parse_token("http://loinc.org|4548-4") == parse_token("http://loinc.org|4548-4")
    assert parse_token("|abc").system == "" and parse_token("abc").system is None
    prefix, rng, unit = parse_quantity("gt9|http://unitsofmeasure.org|%")
    assert (prefix, rng.value, unit) == ("gt", 9.0, "%")


def test_it_indexes_names_tokens_dates_and_references() -> None:
    values = index_values(
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2026-03-15",
            "valueQuantity": {"value": 9.6, "code": "%"},
        }
    )
    by_param = {v.param: v for v in values}
    assert by_param["code"].code == "4548-4" and by_param["code"].system == "http://loinc.org"
    assert by_param["patient"].reference == "Patient/p1"
    assert by_param["date"].start == datetime(2026, 3, 15, tzinfo=UTC)
    assert by_param["value-quantity"].number == 9.6 and by_param["_id"].code == "o1"
