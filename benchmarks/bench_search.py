"""Opportunity text search over 50,000 published opportunities: p50/p95 latency per database.

Measures ``search.search`` (first page of 20 with its count; the full-text search of migrations
0014 and 0015: FTS5 on SQLite, a stored, GIN-indexed tsvector on PostgreSQL) against a peer in
the same run: the filter it replaced, each word as ``lower(title) LIKE '%w%' OR
lower(description) LIKE '%w%'``, in the same select, join, count, order and limit. Texts come
from a seeded health-IT vocabulary; the database is built with the real migrations: SQLite in a
temp file, and PostgreSQL in a database of its own (dropped at the end) when --postgres-url or
EXTENDER_BENCH_POSTGRES_URL (or EXTENDER_TEST_POSTGRES_URL) is given.

    .venv/bin/python benchmarks/bench_search.py [--quick] [--opportunities 50000] [--repeats 10]

Each query runs on a fresh connection, warmed up first (on PostgreSQL ten times, so that the
plan cache has settled as in a running app), then --repeats times, or fewer (at least 3) once it
has used --budget seconds; n says how many. The two sides do not find the same rows, by design:
stemming finds word forms LIKE misses ("interfaces" finds "interface"), LIKE matches inside other
words ("him" in "himself"); both hit counts and the difference are printed per query. Nothing is
asserted about time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from bench_common import bench_database
from sqlalchemy.orm import Session

from extender import migrate
from extender.accounts.models import Organization
from extender.db import make_engine, session_factory
from extender.placement import search
from extender.placement.models import Opportunity
from extender.placement.schemas import SearchQuery

PG_DATABASE = "extender_bench_search"
QUERIES = [
    "interface",  # common; also finds "interfaces" and "interfacing"
    "interfaces",  # a word form: LIKE misses "interface"
    "scheduling",
    "HIM",  # acronym that is an English stop word; LIKE also matches "himself"
    "Epic go-live",
    "release of information",
    "HL7 interfaces",
    "Epic migrating",  # only stemming finds "migration"
    "athenahealth",  # rare
    "Yellow Springs",  # rare town
]
EHRS = {"Epic": 30, "Cerner": 15, "NextGen": 6, "Allscripts": 5, "eClinicalWorks": 4}
EHRS |= {"Meditech": 4, "Greenway": 3, "athenahealth": 1, "Practice Fusion": 2}
# fmt: off
TOWNS = [
    "Dayton", "Kettering", "Beavercreek", "Centerville", "Fairborn", "Xenia", "Springfield", "Troy",
    "Piqua", "Sidney", "Urbana", "Vandalia", "Miamisburg", "Springboro", "Lebanon", "Middletown",
    "Hamilton", "Oxford", "Eaton", "Greenville", "Bellbrook", "Huber Heights", "Yellow Springs",
]
# fmt: on
PRACTICES = [
    f"{place} {kind}"
    for place in ["Miami Valley", "Greene County", "Riverside", "Five Rivers", "Stillwater"]
    for kind in ["Family Practice", "Pediatrics", "Orthopedics", "Women's Health"]
]
# Topic: (weight, titles, sentences only postings on that topic use).
TOPICS: dict[str, tuple[int, list[str], list[str]]] = {
    "integration": (15, ["HL7 interface analyst", "FHIR integration intern"], [
        "You will help build and test HL7 interfaces between {ehr} and the lab system.",
        "Map FHIR resources for the patient portal and check each interface message.",
        "Review the interface engine logs each morning and resolve failed messages.",
        "Interfacing with clinical staff and the {ehr} team is a daily part of the role."]),
    "migration": (12, ["EHR migration specialist", "Data conversion analyst"], [
        "Assist with the migration of legacy charts from {ehr2} to {ehr}.",
        "Migrating scanned documents into {ehr} is part of the weekly routine.",
        "Reconcile converted problem lists and allergies after each conversion batch."]),
    "go-live": (12, ["{ehr} go-live support", "At-the-elbow trainer"], [
        "Support the {ehr} go-live at {practice} in {town}.",
        "Train staff and support them at the elbow during go-live week.",
        "The team is going live with {ehr} and a new patient portal this quarter."]),
    "scheduling": (15, ["Patient scheduling coordinator", "Front desk assistant"], [
        "Help the practice manager with patient scheduling and appointment reminders.",
        "Learn how the clinic schedules visits, reconciles charges and closes encounters.",
        "Build scheduling templates in {ehr} for providers in {town}."]),
    "him": (12, ["HIM technician", "Release of information specialist"], [
        "Shadow the HIM director as the team handles release of information requests.",
        "Log each release of information request and check the patient authorization.",
        "Prepare charts for the HIM coding audit and track deficiencies in {ehr}."]),
    "revenue": (25, ["Revenue cycle intern", "Billing assistant"], [
        "Post payments and work denials in the {ehr} billing module.",
        "Check charge capture against the fee schedule every week."]),
}  # fmt: skip
FILLER = [
    "Good communication skills and attention to detail are expected.",
    "Deliver weekly status reports to the project lead.",
    "The preceptor will introduce himself on day one and walk you through the office.",
    "Complete HIPAA privacy training before your first shift at {practice}.",
    "Parking is free and the office is on a bus line in {town}.",
    "Students in an accredited health information program are encouraged to apply.",
    "You will rotate through the front desk, the back office and the billing team.",
    "A background check and immunization records are required.",
    "Remote work is possible two days a week after the first month.",
    "We serve families across {town} and the surrounding county.",
    "The role reports to the practice administrator at {practice}.",
]


def _slots(rng: random.Random) -> dict[str, str]:
    ehr, ehr2 = rng.choices(list(EHRS), weights=list(EHRS.values()), k=2)
    return {"ehr": ehr, "ehr2": ehr2, "town": rng.choice(TOWNS), "practice": rng.choice(PRACTICES)}


def opportunity_rows(n: int, seed: int, org_ids: list[str]) -> list[dict[str, Any]]:
    rng, t0 = random.Random(seed), datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        topic = rng.choices(list(TOPICS), weights=[t[0] for t in TOPICS.values()])[0]
        _, titles, own = TOPICS[topic]
        words: list[str] = []
        target = rng.randint(40, 150)
        while len(words) < target:
            pool = own if rng.random() < 0.35 else FILLER
            words += rng.choice(pool).format(**_slots(rng)).split()
        title = rng.choice(titles).format(**_slots(rng))
        if rng.random() < 0.5:
            title += f" ({rng.choice(TOWNS)})"
        at = t0 + timedelta(minutes=rng.randint(0, 400_000))
        rows.append(
            {
                "id": f"{i:032x}", "org_id": rng.choice(org_ids), "status": "published",
                "kind": rng.choice(["shadowing", "internship", "project", "job"]),
                "title": title[:200], "description": " ".join(words[:target]),
                "created_at": at, "updated_at": at, "published_at": at,
            }
        )  # fmt: skip
    return rows


def build(url: str, n: int, seed: int) -> tuple[sa.Engine, float]:
    start = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    orgs = [{"id": f"org{j:029d}", "slug": f"org-{j}", "name": name, "kind": "medical_practice"}
            for j, name in enumerate(PRACTICES)]  # fmt: skip
    rows = opportunity_rows(n, seed, [o["id"] for o in orgs])
    with engine.begin() as conn:
        conn.execute(sa.insert(cast(sa.Table, Organization.__table__)), orgs)
        for k in range(0, n, 5_000):
            conn.execute(sa.insert(cast(sa.Table, Opportunity.__table__)), rows[k : k + 5_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # also flushes the GIN pending list
    return engine, time.perf_counter() - start


def like_filter(words: list[str]) -> sa.ColumnElement[bool]:
    """THE PEER: the text filter search used before migration 0014."""
    title, description = sa.func.lower(Opportunity.title), sa.func.lower(Opportunity.description)
    return sa.and_(*(sa.or_(title.like(f"%{w}%"), description.like(f"%{w}%")) for w in words))


def peer_search(session: Session, q: str) -> tuple[int, list[Any]]:
    """THE PEER: the old first page, same select/join/count/order/limit as ``search.search``."""
    stmt = (
        sa.select(Opportunity, Organization)
        .join(Organization, Organization.id == Opportunity.org_id)
        .where(Opportunity.status == "published", like_filter(search.words_of(q)))
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(Opportunity.published_at.desc(), Opportunity.id).limit(20)
    return total, list(session.execute(page))


def hit_sets(session: Session, q: str) -> tuple[set[str], set[str]]:
    words = search.words_of(q)
    base = sa.select(Opportunity.id).where(Opportunity.status == "published")
    ours, _ = search._text_match(session, base, words)  # type: ignore[arg-type]
    peer = base.where(like_filter(words))
    return set(session.scalars(ours)), set(session.scalars(peer))


def examples(session: Session, q: str, only: set[str], like: bool) -> str:
    """Why one side found rows the other did not, from up to 200 of them: for LIKE, the words
    that contain a query word; for ours, the words sharing a query word's stem."""
    counts: Counter[str] = Counter()
    cols = sa.select(Opportunity.title, Opportunity.description)
    for title, description in session.execute(cols.where(Opportunity.id.in_(sorted(only)[:200]))):
        tokens = re.findall(r"\w+", f"{title} {description}".lower())
        for w in search.words_of(q):
            if like:
                counts.update(t for t in tokens if w in t and t != w)
            elif w not in tokens:
                counts.update(t for t in tokens if t.startswith(w[: max(3, len(w) - 3)]))
    return f"{len(only):,}" + (f" ({', '.join(t for t, _ in counts.most_common(3))})" * bool(only))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p95(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=20)[-1] if len(ms) >= 2 else ms[0]


def run(url: str, n: int, repeats: int, budget: float, seed: int) -> None:
    engine, took = build(url, n, seed)
    print(f"== {engine.dialect.name}: {n:,} published opportunities, built in {took:.1f} s")
    print("   ms for the first page of 20 with its count; hits = rows found by each side")
    # psycopg prepares a statement on its 5th run and PostgreSQL tries 5 custom plans before it
    # may settle on a generic one; a running app's pooled connections are long past that.
    warm = 10 if engine.dialect.name == "postgresql" else 1
    everything: dict[str, list[float]] = {"ours": [], "LIKE": []}
    for q in QUERIES:
        engine.dispose()  # each query starts on a fresh connection, whatever ran before it
        with session_factory(engine)() as s:
            mine, theirs = hit_sets(s, q)
            query = SearchQuery(q=q, per_page=20)
            for _ in range(warm):
                assert search.search(s, query).total == len(mine)
                assert peer_search(s, q)[0] == len(theirs)
            ms: dict[str, list[float]] = {"ours": [], "LIKE": []}
            while len(ms["ours"]) < repeats and (
                len(ms["ours"]) < 3 or sum(map(sum, ms.values())) < budget * 1000
            ):
                ms["ours"].append(timed(lambda: search.search(s, query)))  # noqa: B023
                ms["LIKE"].append(timed(lambda: peer_search(s, q)))  # noqa: B023
                s.expunge_all()
            for side, times in ms.items():
                everything[side] += times
            print(f"  {q!r:<24} n={len(ms['ours']):<3}" + figures(ms))
            print(
                f"    hits: ours {len(mine):,}, LIKE {len(theirs):,}; only ours "
                f"{examples(s, q, mine - theirs, like=False)}, only LIKE "
                f"{examples(s, q, theirs - mine, like=True)}"
            )
    engine.dispose()
    print(f"  {'all queries':<24} n={len(everything['ours']):<3}" + figures(everything))


def figures(ms: dict[str, list[float]]) -> str:
    ours, peer = ms["ours"], ms["LIKE"]
    return (
        f" ours p50 {statistics.median(ours):7.1f} p95 {p95(ours):7.1f}"
        f" | LIKE p50 {statistics.median(peer):7.1f} p95 {p95(peer):7.1f}"
        f" | LIKE/ours p50 {statistics.median(peer) / statistics.median(ours):5.2f}x"
        f" p95 {p95(peer) / p95(ours):5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per query, both")
    parser.add_argument("--seed", type=int, default=7)
    env = [os.environ.get(f"EXTENDER_{k}_POSTGRES_URL") for k in ("BENCH", "TEST")]
    parser.add_argument("--postgres-url", default=env[0] or env[1])
    parser.add_argument("--quick", action="store_true", help="5,000 opportunities, 5 repeats")
    args = parser.parse_args()
    if args.quick:
        args.opportunities, args.repeats = 5_000, 5
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'search.db'}"
        run(sqlite, args.opportunities, args.repeats, args.budget, args.seed)
    if not args.postgres_url:
        print("(PostgreSQL skipped: pass --postgres-url or set EXTENDER_BENCH_POSTGRES_URL)")
        return
    try:
        url = bench_database(args.postgres_url, PG_DATABASE)
        run(url, args.opportunities, args.repeats, args.budget, args.seed)
    finally:
        admin = sa.create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
