"""Benchmark the IRT engine against peers measured in the same run.

    python benchmarks/bench_irt.py [--quick] [--peer-timeout SECONDS] [--seed N]

(a) Calibration: simulate 2PL and 3PL data (20,000 x 100; without --quick also 100,000 x 200),
    fit it with our MML/EM engine and with girth's ``twopl_mml`` / ``threepl_mml`` on the same
    data, and print wall time, parameter-recovery RMSE for a, b, c and the speed ratio.
(b) Selection: microseconds per next-item choice on a 1,000-item 3PL bank for our
    ``AdaptiveSelector`` and catsim's ``MaxInfoSelector`` given the same administered items
    and the same abilities, and the ratio.

Each peer fit runs in a forked child process with a time limit, so a peer that is too slow
for the machine is reported as such instead of stalling the run. A peer that cannot be
imported or fails is reported plainly; no number is ever made up for it.

girth 0.8 on NumPy 2: its 3PL path (``rasch_mml._mml_abstract``) stores the result of
``scipy.optimize.fminbound`` into one element of a float array. Because girth's objective
returns a length-1 array there, fminbound returns a length-1 array, and NumPy 2 rejects
assigning that to a scalar slot ("setting an array element with a sequence"). The shim below
wraps that module's ``fminbound`` to return a plain float; nothing else in girth is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from extender.assessment.irt import (
    AdaptiveSelector,
    ItemParameters,
    calibrate,
    simulate_responses,
)

BANK_SIZE = 1000
ADMINISTERED = 20
SELECTION_CALLS = 2000


@dataclass
class Fit:
    seconds: float
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    note: str = ""


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - truth) ** 2)))


def _true_items(rng: np.random.Generator, n_items: int, model: str) -> ItemParameters:
    a = rng.lognormal(0.0, 0.3, n_items)
    b = np.clip(rng.normal(0.0, 1.0, n_items), -2.5, 2.5)
    c = rng.uniform(0.05, 0.3, n_items) if model == "3pl" else None
    return ItemParameters(a, b, c)


# --- girth ---------------------------------------------------------------------------------


def _load_girth() -> tuple[Any | None, str]:
    try:
        import girth
    except Exception as exc:  # the peer may be missing or broken; say so, never guess
        return None, f"girth unavailable: {type(exc).__name__}: {exc}"
    module = sys.modules.get("girth.unidimensional.dichotomous.rasch_mml")
    note = "girth imported"
    if module is not None and hasattr(module, "fminbound"):
        original = module.fminbound

        def scalar_fminbound(*args: Any, **kwargs: Any) -> float:
            return float(np.ravel(original(*args, **kwargs))[0])

        module.fminbound = scalar_fminbound
        note += " (NumPy 2 shim applied: rasch_mml.fminbound returns a float)"
    return girth, note


def _girth_fit(girth: Any, model: str, responses: np.ndarray) -> Fit:
    data = responses.T.astype(np.int64)  # girth wants items x examinees
    start = time.perf_counter()
    if model == "2pl":
        out = girth.twopl_mml(data)
        c = np.zeros(responses.shape[1])
    else:
        out = girth.threepl_mml(data)
        c = np.asarray(out["Guessing"], dtype=float)
    seconds = time.perf_counter() - start
    return Fit(
        seconds,
        np.asarray(out["Discrimination"], dtype=float),
        np.asarray(out["Difficulty"], dtype=float),
        c,
        "girth defaults: 41 nodes, max 25 iterations, c bounded to [0, 0.33], no prior",
    )


def _child(queue: Any, target: Callable[[], Fit]) -> None:
    try:
        queue.put(("ok", target()))
    except Exception as exc:
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def _in_child(target: Callable[[], Fit], timeout: float) -> Fit | str:
    """Run ``target`` in a forked process (data is inherited, not pickled) with a deadline."""
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, target))
    process.start()
    deadline = time.monotonic() + timeout
    while process.is_alive() and time.monotonic() < deadline:
        process.join(timeout=1.0)
        if not queue.empty():
            break
    if queue.empty() and process.is_alive():
        process.terminate()
        process.join()
        return f"did not finish within {timeout:.0f} s (stopped)"
    status, payload = queue.get()
    process.join()
    return payload if status == "ok" else f"failed: {payload}"


# --- ours ----------------------------------------------------------------------------------


def _our_fit(model: str, responses: np.ndarray) -> Fit:
    start = time.perf_counter()
    result = calibrate(responses, model)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    conv = result.convergence
    note = f"{conv.iterations} EM iterations, converged={conv.converged}, SEs and fit included"
    return Fit(seconds, result.items.a, result.items.b, result.items.c, note)


def _print_fit(label: str, fit: Fit | str, truth: ItemParameters, model: str) -> None:
    if isinstance(fit, str):
        print(f"  {label:<7} {fit}")
        return
    c_text = f"{_rmse(fit.c, truth.c):7.4f}" if model == "3pl" else "      -"
    print(
        f"  {label:<7} {fit.seconds:9.2f} s   RMSE a {_rmse(fit.a, truth.a):7.4f}"
        f"   b {_rmse(fit.b, truth.b):7.4f}   c {c_text}   ({fit.note})"
    )


def calibration_benchmark(sizes: list[tuple[int, int]], seed: int, timeout: float) -> None:
    girth, girth_note = _load_girth()
    print(f"\n== (a) Calibration: ours vs girth ({girth_note}) ==")
    for n_persons, n_items in sizes:
        for model in ("2pl", "3pl"):
            rng = np.random.default_rng(seed)
            truth = _true_items(rng, n_items, model)
            responses = simulate_responses(rng.normal(0, 1, n_persons), truth, rng)
            print(f"{model.upper()}  {n_persons:,} examinees x {n_items} items")
            ours = _our_fit(model, responses)
            _print_fit("ours", ours, truth, model)
            theirs: Fit | str = "skipped: girth unavailable"
            if girth is not None:
                theirs = _in_child(lambda m=model, r=responses: _girth_fit(girth, m, r), timeout)
            _print_fit("girth", theirs, truth, model)
            if isinstance(theirs, Fit):
                ratio = theirs.seconds / ours.seconds
                print(f"  speed ratio girth/ours: {ratio:.1f}x")
            else:
                print("  speed ratio: not available (girth produced no fit)")


# --- selection -----------------------------------------------------------------------------


def _time_per_call(fn: Callable[[float], object], thetas: np.ndarray, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for theta in thetas:
            fn(float(theta))
        best = min(best, (time.perf_counter() - start) / len(thetas))
    return best * 1e6


def selection_benchmark(seed: int) -> None:
    print(f"\n== (b) Next-item selection, {BANK_SIZE}-item 3PL bank, {ADMINISTERED} given ==")
    rng = np.random.default_rng(seed)
    bank = _true_items(rng, BANK_SIZE, "3pl")
    administered = [int(i) for i in rng.choice(BANK_SIZE, ADMINISTERED, replace=False)]
    thetas = rng.uniform(-3, 3, SELECTION_CALLS)
    selector = AdaptiveSelector(bank)
    test = selector.resume(administered, [1] * ADMINISTERED, rng=seed)
    ours_us = _time_per_call(lambda t: selector.next_item(test, t), thetas)
    print(f"  ours    {ours_us:8.1f} us per next_item (information precomputed on a 0.01 grid)")
    try:
        from catsim.item_bank import ItemBank
        from catsim.selection import MaxInfoSelector
    except Exception as exc:
        print(f"  catsim  unavailable: {type(exc).__name__}: {exc}; no ratio")
        return
    params = np.column_stack([bank.a, bank.b, bank.c, np.ones(BANK_SIZE)])
    with contextlib.redirect_stdout(io.StringIO()):  # catsim prints its (empty) validation
        catsim_bank = ItemBank(params)
    peer = MaxInfoSelector()

    def catsim_next(theta: float) -> object:
        return peer.select(item_bank=catsim_bank, administered_items=administered, est_theta=theta)

    catsim_us = _time_per_call(catsim_next, thetas[:500], repeats=3)
    print(f"  catsim  {catsim_us:8.1f} us per select (MaxInfoSelector, exact information)")
    print(f"  speed ratio catsim/ours: {catsim_us / ours_us:.1f}x")
    _agreement(selector, test, peer, catsim_bank, administered, bank, thetas[:500])


def _agreement(
    selector: AdaptiveSelector,
    test: Any,
    peer: Any,
    catsim_bank: Any,
    administered: list[int],
    bank: ItemParameters,
    thetas: np.ndarray,
) -> None:
    same, worst = 0, 1.0
    for theta in thetas:
        ours = selector.next_item(test, float(theta))
        theirs = peer.select(
            item_bank=catsim_bank, administered_items=administered, est_theta=float(theta)
        )
        same += int(ours == theirs)
        info = bank.information(float(theta))[0]
        worst = min(worst, float(info[ours] / info[theirs]))
    print(
        f"  same item as catsim in {same}/{len(thetas)} calls; where they differ, ours has at"
        f" least {100 * worst:.2f}% of catsim's item information (grid vs exact theta)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 20,000 x 100")
    parser.add_argument("--peer-timeout", type=float, default=None, help="seconds per peer fit")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    sizes = [(20_000, 100)] if args.quick else [(20_000, 100), (100_000, 200)]
    timeout = args.peer_timeout or (900.0 if args.quick else 3600.0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, cores {os.cpu_count()},"
        f" load average {load:.2f}, peer time limit {timeout:.0f} s"
    )
    calibration_benchmark(sizes, args.seed, timeout)
    selection_benchmark(args.seed)


if __name__ == "__main__":
    main()
