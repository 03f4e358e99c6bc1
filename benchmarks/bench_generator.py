"""Benchmark the synthetic practice generator.

Times ``generate_practice`` for a 1,000-patient practice (200 with ``--quick``) and reports
resources per second. As peers measured in the same run it reports how fast the same resources
serialize to JSON and how fast the ``fhir.resources`` R4B models validate them (when installed),
because those bound what any loader of the bundle can do: the generator should never be the slow
step.

    python benchmarks/bench_generator.py [--quick] [--patients N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from extender.practicum.generator import PracticeParams, generate_practice


def _best_of(repeats: int, work: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _validation_rate(resources: list[dict[str, Any]]) -> float | None:
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        return None
    started = time.perf_counter()
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return len(resources) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 patients, one repeat")
    parser.add_argument("--patients", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    patients = args.patients or (200 if args.quick else 1000)
    repeats = args.repeats or (1 if args.quick else 3)

    params = PracticeParams(patients=patients, seed=args.seed)
    seconds, practice = _best_of(repeats, lambda: generate_practice(params))
    resources = [entry["resource"] for entry in practice.bundle["entry"]]
    rate = len(resources) / seconds
    json_seconds, text = _best_of(1, lambda: json.dumps(practice.bundle))
    sample = resources[:: max(1, len(resources) // 5000)]
    validation = _validation_rate(sample)

    print(f"generate_practice: {patients} patients, {len(resources)} resources")
    print(f"  best of {repeats}: {seconds:.2f} s  ({rate:,.0f} resources/s)")
    print(f"  bundle JSON: {len(text) / 1e6:.1f} MB")
    print(f"peer json.dumps: {len(resources) / json_seconds:,.0f} resources/s "
          f"(generation is {json_seconds / seconds:.2f}x its speed)")  # fmt: skip
    if validation is not None:
        print(f"peer fhir.resources R4B validation: {validation:,.0f} resources/s "
              f"(generation is {rate / validation:.1f}x its speed)")  # fmt: skip


if __name__ == "__main__":
    main()
