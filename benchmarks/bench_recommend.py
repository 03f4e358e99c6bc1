"""Recommendations for one learner over 50,000 open opportunities: p50/p95 latency.

Measures ``recommend.rank_postings`` (score everything, explain only the top 20) against a
peer in the same run: the naive way of scoring and explaining every posting with ``fit`` and
sorting the lot. Both must return the same ranking; the ratio says what ranking before
explaining buys. Postings and the learner are generated from a seed.

    .venv/bin/python benchmarks/bench_recommend.py [--quick] [--postings 50000] [--repeats 20]

Figures are printed; nothing is asserted except that both give the same top list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from extender.placement.recommend import Evidence, Fit, Posting, Seeker, fit, rank_postings

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="5,000 postings, 5 repeats")
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


if __name__ == "__main__":
    main()
