"""Build ``src/extender/placement/data/zip_centroids.csv.gz`` from the ``zipcodes`` package.

Run once at development time (the app never reaches the network):

    pip install --target /tmp/zipcodes-build zipcodes==3.0.0
    PYTHONPATH=/tmp/zipcodes-build .venv/bin/python scripts/build_zip_centroids.py

``zipcodes`` (MIT licence, https://pypi.org/project/zipcodes/) embeds a US ZIP-code table with
a latitude and longitude per code. It is not a runtime dependency: only its data, reduced to
zip, lat, lon, city and state, is shipped. Military (APO/FPO) codes are dropped because their
coordinates do not describe a place anyone could travel to.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/extender/placement/data/zip_centroids.csv.gz"


def rows() -> list[tuple[str, str, str, str, str]]:
    import zipcodes  # type: ignore[import-not-found]

    out = []
    for z in zipcodes.list_all():
        if z["zip_code_type"] == "MILITARY" or not z["lat"] or not z["long"]:
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        out.append((z["zip_code"], f"{lat:.4f}", f"{lon:.4f}", z["city"], z["state"]))
    out.sort()
    return out


def main() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("zip", "lat", "lon", "city", "state"))
    data = rows()
    writer.writerows(data)
    # mtime=0 keeps the file byte-identical between runs of the same package version.
    OUT.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0))
    print(f"wrote {len(data)} ZIP codes to {OUT}")


if __name__ == "__main__":
    main()
