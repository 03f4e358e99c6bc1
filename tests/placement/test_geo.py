"""The shipped ZIP-code table and distances."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extender.errors import InvalidInput
from extender.placement import geo


def test_it_finds_a_zip_code_centroid() -> None:
    place = geo.lookup("53703")
    assert (place.city, place.state) == ("Madison", "WI")


@pytest.mark.parametrize(("code", "message"), [("1234", "five-digit"), ("00000", "not in the US")])
def test_it_names_a_bad_zip_code(code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        geo.lookup(code)


def test_it_measures_a_known_distance() -> None:
    madison, chicago = geo.lookup("53703"), geo.lookup("60601")
    assert 115 < geo.haversine_miles(madison.lat, madison.lon, chicago.lat, chicago.lon) < 130


lat = st.floats(-80, 80)
lon = st.floats(-179, 179)


@given(lat, lon, lat, lon)
def test_it_is_symmetric_and_never_negative(a: float, b: float, c: float, d: float) -> None:
    there = geo.haversine_miles(a, b, c, d)
    assert there >= 0 and abs(there - geo.haversine_miles(c, d, a, b)) < 1e-6


@given(lat, lon, st.floats(1, 500), st.floats(-8, 8), st.floats(-8, 8))
def test_its_bounding_box_holds_every_point_in_range(
    a: float, b: float, miles: float, dy: float, dx: float
) -> None:
    lat0, lat1, lon0, lon1 = geo.bounding_box(a, b, miles)
    y, x = a + dy, b + dx
    if geo.haversine_miles(a, b, y, x) <= miles:
        assert lat0 <= y <= lat1 and lon0 <= x <= lon1
