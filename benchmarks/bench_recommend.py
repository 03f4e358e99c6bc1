"""Recommendations for one learner over 50,000 open opportunities: p50/p95 latency.

Two measurements, each against a peer in the same run:

1. The scorer in memory: ``recommend.rank_postings`` (score everything, explain only the top
   20) against the naive way of scoring and explaining every posting with ``fit`` and sorting
   the lot. Both must return the same ranking.
2. The request path, from the database: ``recommendations.for_learner`` (what the placement
   home page and ``GET /api/v1/placement/recommendations`` call: the learner's verified
   evidence and profile, every published opportunity read as the scoring columns only, the
   full rows of the top 20) against the path it replaced, which loaded every published
   opportunity as an ORM object (descriptions included) before scoring. Both must return the
   same ranking. SQLite in a temp file, and PostgreSQL in a database of its own (dropped at
   the end) when --postgres-url or EXTENDER_BENCH_POSTGRES_URL (or EXTENDER_TEST_POSTGRES_URL)
   is given; the database is built with the real migrations.

    .venv/bin/python benchmarks/bench_recommend.py [--quick] [--postings 50000] [--repeats 20]

Postings and the learner come from a seed. Figures are printed; nothing is asserted except
that each pair gives the same top list.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from bench_common import bench_database
from bench_search import PRACTICES, opportunity_rows
from sqlalchemy.orm import Session

from extender import migrate
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, User
from extender.db import make_engine, session_factory
from extender.placement import profiles, recommendations
from extender.placement.models import Opportunity
from extender.placement.recommend import Evidence, Fit, Posting, Seeker, fit, rank_postings
from extender.placement.schemas import ProfileInput
from extender.practicum.scenarios import ScenarioSpec

PG_DATABASE = "extender_bench_recommend"

OBJECTIVES = [f"CPEHR-{d}.{o}" for d in range(1, 6) for o in range(1, 8)]
DOMAINS = [f"CPEHR-{d}" for d in range(1, 6)]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def postings(n: int, seed: int) -> list[Posting]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        codes = rng.sample(OBJECTIVES + DOMAINS, rng.randint(0, 6))
        split = rng.randint(0, len(codes))
        remote = rng.random() < 0.15
        out.append(
            Posting(
                id=f"{i:08x}",
                published_at=T0 + timedelta(minutes=rng.randint(0, 500_000)),
                kind=rng.choice(["shadowing", "internship", "project", "job"]),
                remote=remote,
                lat=None if remote else rng.uniform(25, 49),
                lon=None if remote else rng.uniform(-124, -67),
                days=frozenset(rng.sample(DAYS, rng.randint(0, 5))),
                required=tuple(codes[:split]),
                preferred=tuple(codes[split:]),
                credentials=tuple(rng.sample(["CPEHR", "CPHIT"], rng.randint(0, 1))),
            )
        )
    return out


def learner(seed: int) -> Seeker:
    rng = random.Random(seed + 1)
    return Seeker(
        evidence=Evidence(
            objectives=frozenset(rng.sample(OBJECTIVES, 15)),
            domains=frozenset(rng.sample(DOMAINS, 2)),
            achievements=frozenset({"CPEHR"}),
        ),
        lat=39.76,
        lon=-84.19,
        travel_miles=60,
        days=frozenset({"mon", "tue", "wed", "thu", "fri"}),
        kinds=frozenset({"shadowing", "internship"}),
        has_profile=True,
    )


def naive(seeker: Seeker, items: list[Posting], limit: int) -> list[Fit]:
    fits = [fit(seeker, p) for p in items]
    fits.sort(
        key=lambda f: (
            not f.eligible,
            not f.reachable,
            -f.score,
            -f.posting.published_at.timestamp(),
            f.posting.id,
        )
    )
    return fits[:limit]


def timed(fn: object, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=20)[-1] if len(ms) >= 2 else ms[0]


def build(url: str, items: list[Posting], seed: int) -> tuple[sa.Engine, str, float]:
    """A migrated database with ``items`` as published opportunities (texts from
    bench_search's vocabulary) and one learner with a profile near Dayton, OH."""
    start = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    orgs = [{"id": f"org{j:029d}", "slug": f"org-{j}", "name": name, "kind": "medical_practice"}
            for j, name in enumerate(PRACTICES)]  # fmt: skip
    rows = opportunity_rows(len(items), seed, [o["id"] for o in orgs])
    for row, p in zip(rows, items, strict=True):
        row.update(
            id=f"{int(p.id, 16):032x}", published_at=p.published_at, created_at=p.published_at,
            kind=p.kind, remote=p.remote, lat=p.lat, lon=p.lon, schedule_days=sorted(p.days),
            required_competencies=list(p.required), preferred_competencies=list(p.preferred),
            required_credentials=list(p.credentials),
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(cast(sa.Table, Organization.__table__)), orgs)
        for k in range(0, len(rows), 5_000):
            conn.execute(sa.insert(cast(sa.Table, Opportunity.__table__)), rows[k : k + 5_000])
    with session_factory(engine)() as session:
        user = User(email="bench@example.org", display_name="Bench Learner", password_hash="-")
        session.add(user)
        session.flush()
        days: Any = ["mon", "tue", "wed", "thu", "fri"]
        data = ProfileInput(zip="45402", travel_miles=60, days=days, kinds=["shadowing"])
        profiles.save(session, Actor.system("bench"), user, data)
        session.commit()
        user_id = user.id
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    return engine, user_id, time.perf_counter() - start


def whole_rows(session: Session, user: User) -> list[tuple[Fit, Opportunity]]:
    """THE PEER: ``for_learner`` as it was, every published opportunity as an ORM object."""
    scenarios: dict[str, ScenarioSpec] = {}
    opps = {
        o.id: o
        for o in session.scalars(sa.select(Opportunity).where(Opportunity.status == "published"))
    }
    seeker = recommendations.seeker_for(session, user, scenarios)
    postings = (recommendations.posting_of(o) for o in opps.values())
    return [(f, opps[f.posting.id]) for f in rank_postings(seeker, postings, 20)]


def request_path(url: str, items: list[Posting], repeats: int, seed: int) -> None:
    engine, user_id, built = build(url, items, seed)
    name = engine.dialect.name
    print(f"== {name}: {len(items):,} published opportunities, built in {built:.1f} s")
    sessions = session_factory(engine)

    def once(fn: Callable[[Session, User], list[tuple[Fit, Opportunity]]]) -> list[str]:
        with sessions() as session:  # a fresh session each time, as a request has
            user = session.get(User, user_id)
            assert user is not None
            return [o.id for _, o in fn(session, user)]

    def ours(session: Session, user: User) -> list[tuple[Fit, Opportunity]]:
        return recommendations.for_learner(session, user, {}, 20)

    assert once(ours) == once(whole_rows), "for_learner and the whole-row path disagree"
    for fn in (ours, whole_rows):  # warm both (plan cache, SQLite page cache)
        once(fn)
    fast = timed(lambda: once(ours), repeats)
    slow = timed(lambda: once(whole_rows), max(3, repeats // 2))
    print(f"for_learner     p50 {statistics.median(fast):8.1f}  p95 {p95(fast):8.1f}  (ms)")
    print(f"whole ORM rows  p50 {statistics.median(slow):8.1f}  p95 {p95(slow):8.1f}")
    print(
        f"ratio (whole rows / ours): p50 {statistics.median(slow) / statistics.median(fast):.2f}x"
        f"  p95 {p95(slow) / p95(fast):.2f}x"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="5,000 postings, 5 repeats")
    env = [os.environ.get(f"EXTENDER_{k}_POSTGRES_URL") for k in ("BENCH", "TEST")]
    parser.add_argument("--postgres-url", default=env[0] or env[1])
    args = parser.parse_args()
    if args.quick:
        args.postings, args.repeats = 5_000, 5
    items, seeker = postings(args.postings, args.seed), learner(args.seed)
    ours = [f.posting.id for f in rank_postings(seeker, items, 20)]
    theirs = [f.posting.id for f in naive(seeker, items, 20)]
    assert ours == theirs, "rank_postings and the naive ranking disagree"
    fast = timed(lambda: rank_postings(seeker, items, 20), args.repeats)
    slow = timed(lambda: naive(seeker, items, 20), max(3, args.repeats // 4))
    print(f"== recommendations for one learner over {args.postings} open opportunities (ms)")
    print(f"rank_postings  p50 {statistics.median(fast):8.1f}  p95 {p95(fast):8.1f}")
    print(f"naive fit+sort p50 {statistics.median(slow):8.1f}  p95 {p95(slow):8.1f}")
    print(f"ratio (naive / ours, p50): {statistics.median(slow) / statistics.median(fast):.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        request_path(f"sqlite:///{Path(tmp) / 'rec.db'}", items, args.repeats, args.seed)
    if not args.postgres_url:
        print("(PostgreSQL skipped: pass --postgres-url or set EXTENDER_BENCH_POSTGRES_URL)")
        return
    try:
        request_path(bench_database(args.postgres_url, PG_DATABASE), items, args.repeats, args.seed)
    finally:
        admin = sa.create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
