"""Time Extender's cohort match against the `matching` package's HospitalResident solver.

Both solve the same random round (resident/learner-optimal), and the script says whether their
matchings are identical, so a speed-up is never bought with a different answer. The peer's
setup grows about cubically on full rank lists, so there it is measured on a ladder of doubling
sizes that stops before a run would exceed the time budget; the script prints exactly which
sizes it managed.

    python benchmarks/bench_matching.py            # 10,000 learners x 2,000 sites
    python benchmarks/bench_matching.py --quick    # 2,000 learners x 400 sites
"""

from __future__ import annotations

import argparse
import platform
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from extender.placement.matching import (
    MatchInstance,
    MatchResult,
    find_blocking_pairs,
    run_match,
)

Prefs = dict[str, list[str]]
PEER_STACK_BYTES = 1 << 30
PEER_RECURSION_LIMIT = 1_000_000


@dataclass
class Round:
    learner_prefs: Prefs
    site_prefs: Prefs
    capacities: dict[str, int]

    @property
    def size(self) -> str:
        return f"{len(self.learner_prefs):,} learners x {len(self.site_prefs):,} sites"


def random_round(learners: int, sites: int, choices: int | None, seed: int) -> Round:
    """Full lists when ``choices`` is None; otherwise each learner ranks ``choices`` sites and
    each site ranks exactly the learners who applied to it, in random order."""
    rng = np.random.default_rng(seed)
    learner_ids = [f"learner-{i:05d}" for i in range(learners)]
    site_ids = [f"site-{j:04d}" for j in range(sites)]
    capacities = dict(zip(site_ids, rng.integers(1, 11, size=sites).tolist(), strict=True))
    if choices is None or choices >= sites:
        return Round(
            _shuffled_rows(rng, learner_ids, site_ids),
            _shuffled_rows(rng, site_ids, learner_ids),
            capacities,
        )
    keys = rng.random((learners, sites))
    picks = keys.argpartition(choices, axis=1)[:, :choices]
    picks = np.take_along_axis(picks, np.take_along_axis(keys, picks, 1).argsort(axis=1), 1)
    learner_prefs = {
        learner: [site_ids[j] for j in row]
        for learner, row in zip(learner_ids, picks.tolist(), strict=True)
    }
    applicants: Prefs = {site: [] for site in site_ids}
    for learner, ranked in learner_prefs.items():
        for site in ranked:
            applicants[site].append(learner)
    site_prefs = {
        site: [names[k] for k in rng.permutation(len(names))] for site, names in applicants.items()
    }
    return Round(learner_prefs, site_prefs, capacities)


def _shuffled_rows(rng: np.random.Generator, owners: list[str], ranked: list[str]) -> Prefs:
    order = rng.permuted(np.tile(np.arange(len(ranked)), (len(owners), 1)), axis=1)
    return {
        owner: list(map(ranked.__getitem__, row))
        for owner, row in zip(owners, order.tolist(), strict=True)
    }


@dataclass
class Timing:
    build: float
    solve: float
    assignments: dict[str, str]

    @property
    def total(self) -> float:
        return self.build + self.solve


def time_ours(round_: Round) -> tuple[Timing, MatchInstance, MatchResult]:
    start = time.perf_counter()
    instance = MatchInstance(round_.learner_prefs, round_.site_prefs, round_.capacities)
    built = time.perf_counter()
    result = run_match(instance)
    done = time.perf_counter()
    return Timing(built - start, done - built, dict(result.assignments)), instance, result


def time_peer(round_: Round) -> Timing:
    """The peer deep-copies its player graph recursively, which overflows the default recursion
    limit beyond a few hundred players, so it runs in a thread with a large stack and limit."""
    outcome: list[Timing | BaseException] = []

    def solve() -> None:
        try:
            outcome.append(_solve_with_peer(round_))
        except BaseException as error:  # reported in the caller's thread
            outcome.append(error)

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size(PEER_STACK_BYTES)
    sys.setrecursionlimit(PEER_RECURSION_LIMIT)
    try:
        worker = threading.Thread(target=solve)
        worker.start()
        worker.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(old_stack)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _solve_with_peer(round_: Round) -> Timing:
    from matching.games import HospitalResident  # type: ignore[import-untyped, unused-ignore]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sites nobody applied to make it warn
        start = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(
            round_.learner_prefs, round_.site_prefs, round_.capacities
        )
        built = time.perf_counter()
        matching: Any = game.solve(optimal="resident")
        done = time.perf_counter()
    assignments = {r.name: h.name for h, residents in matching.items() for r in residents}
    return Timing(built - start, done - built, assignments)


def report(label: str, ours: Timing, peer: Timing | None, indent: str = "  ") -> None:
    pad = indent + "  "
    print(f"{indent}{label}")
    print(
        f"{pad}ours : {ours.total:8.3f} s  "
        f"(validate+index {ours.build:.3f} s, solve {ours.solve:.3f} s)"
    )
    if peer is None:
        return
    print(f"{pad}peer : {peer.total:8.3f} s  (set up {peer.build:.3f} s, solve {peer.solve:.3f} s)")
    print(
        f"{pad}peer/ours: {peer.total / ours.total:,.1f}x overall, "
        f"{peer.solve / ours.solve:,.1f}x solve only; "
        f"identical matchings: {ours.assignments == peer.assignments}"
    )


def check_stable(instance: MatchInstance, result: MatchResult) -> None:
    start = time.perf_counter()
    pairs = find_blocking_pairs(instance, result)
    took = time.perf_counter() - start
    print(f"    blocking pairs in our matching: {len(pairs)} (checked in {took:.2f} s)")


def truncated_round(learners: int, sites: int, choices: int, seed: int) -> None:
    round_ = random_round(learners, sites, choices, seed)
    ours, instance, result = time_ours(round_)
    report(f"truncated lists ({choices} choices), {round_.size}", ours, time_peer(round_))
    check_stable(instance, result)


def full_round(learners: int, sites: int, seed: int) -> None:
    round_ = random_round(learners, sites, None, seed)
    ours, instance, result = time_ours(round_)
    report(f"full lists, {round_.size} (peer too slow at this size; see the ladder)", ours, None)
    check_stable(instance, result)


def full_list_ladder(max_learners: int, budget: float, seed: int) -> None:
    """Double the round while the peer's next run is projected to fit in ``budget`` seconds.

    Its time grew about eightfold per doubling when this was written (cubic setup checks), so
    the projection is eight times the last run.
    """
    print(f"  full lists, peer ladder within a {budget:.0f} s budget (learners:sites = 5:1)")
    learners = 250
    while True:
        round_ = random_round(learners, learners // 5, None, seed)
        ours, _, _ = time_ours(round_)
        peer = time_peer(round_)
        report(round_.size, ours, peer, indent="    ")
        if learners * 2 > max_learners:
            return
        if peer.total * 8 > budget:
            print(
                f"    stopped after {round_.size}: the peer took {peer.total:.1f} s there, so the "
                f"next size would take about {peer.total * 8:.0f} s"
            )
            return
        learners *= 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2,000 x 400 instead of 10,000 x 2,000"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--choices", type=int, default=10, help="length of truncated lists")
    parser.add_argument(
        "--peer-budget",
        type=float,
        default=None,
        help="seconds one peer run may take on full lists",
    )
    args = parser.parse_args(argv)
    learners, sites = (2_000, 400) if args.quick else (10_000, 2_000)
    budget = args.peer_budget if args.peer_budget is not None else (20.0 if args.quick else 120.0)

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"matching {metadata.version('matching')}; capacities 1-10, seed {args.seed}"
    )
    steps: list[Callable[[], None]] = [
        lambda: truncated_round(learners, sites, args.choices, args.seed),
        lambda: full_round(learners, sites, args.seed),
        lambda: full_list_ladder(learners, budget, args.seed),
    ]
    for step in steps:
        step()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
