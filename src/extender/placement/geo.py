"""US ZIP-code centroids and great-circle distance.

The table ships with the package (``data/zip_centroids.csv.gz``, see data/README.md), so
distance search works offline. It is read once per process on first use.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from extender.errors import InvalidInput

EARTH_RADIUS_MILES = 3958.7613
_ZIP = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class ZipCentroid:
    zip: str
    lat: float
    lon: float
    city: str
    state: str

    @property
    def label(self) -> str:
        return f"{self.city}, {self.state} {self.zip}"


@cache
def _table() -> dict[str, ZipCentroid]:
    raw = resources.files("extender.placement").joinpath("data/zip_centroids.csv.gz").read_bytes()
    reader = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return {
        row["zip"]: ZipCentroid(
            row["zip"], float(row["lat"]), float(row["lon"]), row["city"], row["state"]
        )
        for row in reader
    }


def lookup(zip_code: str, *, field: str = "zip") -> ZipCentroid:
    """The centroid of a five-digit US ZIP code; ``InvalidInput`` naming it when unknown."""
    code = zip_code.strip()
    if not _ZIP.match(code):
        raise InvalidInput(f"'{zip_code}' is not a five-digit US ZIP code", field=field)
    found = _table().get(code)
    if found is None:
        raise InvalidInput(f"ZIP code {code} is not in the US ZIP-code table", field=field)
    return found


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees, in statute miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """A lat/lon box containing every point within ``miles``: a cheap SQL prefilter before
    the exact distance is computed in Python."""
    dlat = math.degrees(miles / EARTH_RADIUS_MILES)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(miles / (EARTH_RADIUS_MILES * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
