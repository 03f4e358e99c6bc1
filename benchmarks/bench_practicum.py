"""Practicum store benchmarks (issue: practicum lab).

1. Load: generate a practice and load it into a workspace (validation, indexes, versions),
   reported as resources per second and as a ratio to a raw bulk insert of the same resource
   rows into the same database (the ceiling: no validation, no index, no history).
2. Search: median and p95 latency of the common queries on a large workspace, on SQLite and
   (when EXTENDER_BENCH_POSTGRES_URL or EXTENDER_TEST_POSTGRES_URL is set) PostgreSQL.

    python benchmarks/bench_practicum.py [--quick]

Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from bench_common import bench_database

from extender import migrate
from extender.accounts.models import User
from extender.db import make_engine, session_factory
from extender.practicum.fhir.bundles import resources_for_load
from extender.practicum.fhir.search import search
from extender.practicum.fhir.store import Store
from extender.practicum.generator.generate import generate_practice
from extender.practicum.generator.params import PracticeParams
from extender.practicum.models import FhirResource, Workspace


def _fresh(url: str) -> sa.Engine:
    if url.startswith("postgresql"):
        url = bench_database(url, "extender_bench_practicum")
    migrate.upgrade(url)
    return make_engine(url)


def _workspace(engine: sa.Engine, name: str) -> str:
    with session_factory(engine)() as s:
        user = s.scalar(sa.select(User).where(User.email == "bench@example.org"))
        if user is None:
            user = User(email="bench@example.org", display_name="Bench", password_hash="x")
            s.add(user)
            s.flush()
        ws = Workspace(owner_id=user.id, name=name)
        s.add(ws)
        s.commit()
        return ws.id


def bench_load(url: str, patients: int) -> list[dict[str, object]]:
    engine = _fresh(url)
    t0 = time.perf_counter()
    practice = generate_practice(PracticeParams(patients=patients, seed=7))
    generated = time.perf_counter() - t0
    resources, _ = resources_for_load(practice.bundle)
    ws = _workspace(engine, "load")
    with session_factory(engine)() as s:
        t0 = time.perf_counter()
        Store(s, ws, audit=False).bulk_load(resources)
        s.commit()
        loaded = time.perf_counter() - t0
    ceiling_ws = _workspace(engine, "ceiling")
    now = datetime.now(UTC)
    rows = [
        {
            "workspace_id": ceiling_ws,
            "resource_type": r["resourceType"],
            "resource_id": r["id"],
            "version_id": 1,
            "last_updated": now,
            "deleted": False,
            "content": r,
        }
        for r in resources
    ]
    with session_factory(engine)() as s:
        t0 = time.perf_counter()
        s.execute(sa.insert(cast(sa.Table, FhirResource.__table__)), rows)
        s.commit()
        raw = time.perf_counter() - t0
    engine.dispose()
    n = len(resources)
    return [
        {
            "db": url.split(":")[0],
            "patients": patients,
            "resources": n,
            "generate_s": generated,
            "load_s": loaded,
            "load_per_s": n / loaded,
            "raw_s": raw,
            "raw_per_s": n / raw,
            "ratio": (n / loaded) / (n / raw),
        }
    ]


def bench_search(url: str, patients: int, repeats: int) -> dict[str, tuple[float, float]]:
    engine = _fresh(url)
    practice = generate_practice(PracticeParams(patients=patients, seed=11))
    resources, _ = resources_for_load(practice.bundle)
    ws = _workspace(engine, "search")
    with session_factory(engine)() as s:
        Store(s, ws, audit=False).bulk_load(resources)
        s.commit()
    patients_list = [r for r in resources if r["resourceType"] == "Patient"]
    rng = random.Random(3)
    queries = {
        "patient by name": lambda p: [("name", p["name"][0]["family"][:4])],
        "patient by family+birthdate": lambda p: [
            ("family", p["name"][0]["family"]),
            ("birthdate", p["birthDate"]),
        ],
        "observations by patient+code": lambda p: [
            ("patient", f"Patient/{p['id']}"),
            ("code", "http://loinc.org|4548-4"),
        ],
        "observations by patient, newest 20": lambda p: [
            ("patient", f"Patient/{p['id']}"),
            ("_sort", "-date"),
        ],
    }
    out = {}
    with session_factory(engine)() as s:
        for label, build in queries.items():
            rtype = "Patient" if label.startswith("patient") else "Observation"
            times = []
            for _ in range(repeats):
                params = build(rng.choice(patients_list))
                t0 = time.perf_counter()
                search(s, ws, rtype, params)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    load_patients, search_patients, repeats = (200, 500, 50) if args.quick else (1000, 10000, 200)
    tmp = Path(tempfile.mkdtemp())
    urls = [f"sqlite:///{tmp / 'bench.db'}"]
    pg = os.environ.get("EXTENDER_BENCH_POSTGRES_URL") or os.environ.get(
        "EXTENDER_TEST_POSTGRES_URL"
    )
    if pg:
        urls.append(pg)
    print(f"== practicum load: {load_patients} patients")
    for url in urls:
        for r in bench_load(url, load_patients):
            print(
                f"  {r['db']:<12} {r['resources']:>7} resources  generate {r['generate_s']:.1f} s"
                f"  load {r['load_s']:.1f} s = {r['load_per_s']:,.0f}/s  raw insert "
                f"{r['raw_per_s']:,.0f}/s  load/raw = {r['ratio']:.2f}"
            )
    print(f"== practicum search: {search_patients} patients, {repeats} queries each (ms)")
    for url in urls:
        for label, (median, p95) in bench_search(url, search_patients, repeats).items():
            flag = "" if p95 < 50 else "  (above the 50 ms aim)"
            print(
                f"  {url.split(':')[0]:<12} {label:<38} median {median:6.1f}  p95 {p95:6.1f}{flag}"
            )


if __name__ == "__main__":
    main()
