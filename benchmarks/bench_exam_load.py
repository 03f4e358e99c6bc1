"""Exam-day load (issue: certification exams).

N concurrent candidates (default 200) each start an exam and save every answer at compressed
human-like intervals, against PostgreSQL behind 2 app processes on loopback. Reports saves per
second sustained and p50/p95/p99 save latency, as ratios to the same server's ceiling (an
endpoint doing one committed insert, driven at the same concurrency), and proves in the same
run that every acknowledged answer is in the database.

    EXTENDER_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python benchmarks/bench_exam_load.py [--candidates 200] [--quick]

Everything stays on 127.0.0.1; request loops are bounded. Nothing is asserted: figures print.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx
import sqlalchemy as sa
from bench_common import bench_database

from extender import migrate
from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, OrgKind, Role
from extender.assessment import bank, delivery, forms
from extender.assessment.models import AnswerSave, ExamSession, ItemVersion
from extender.config import PROJECT_ROOT
from extender.curriculum import service as curriculum
from extender.curriculum.content import load_tracks
from extender.db import make_engine, session_factory, unit_of_work

ACTOR = Actor.system("bench")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, candidates: int) -> list[str]:
    migrate.upgrade(url)
    engine = make_engine(url)
    content = PROJECT_ROOT / "content"
    tokens = []
    from argon2 import PasswordHasher

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    with unit_of_work(session_factory(engine)) as s:
        curriculum.sync_catalog(s, ACTOR, load_tracks(content), "content")
        banks = bank.load_bank_files(content, bank.objective_tracks(s))
        bank.sync_bank(s, ACTOR, {"CPEHR": banks["CPEHR"]})
        track = curriculum.get_track(s, "CPEHR")
        for form in forms.assemble(s, ACTOR, track, name="Load", seed=1):
            forms.publish(s, ACTOR, form)
        org = Organization(slug="bench", name="Bench", kind=OrgKind.TRAINING_PROGRAM.value)
        s.add(org)
        s.flush()
        for n in range(candidates):
            user = accounts.create_user(
                s,
                ACTOR,
                email=f"c{n:04d}@bench.example",
                display_name=f"Candidate {n}",
                password="x" * 12,
            )
            accounts.grant_role(s, ACTOR, user=user, org=org, role=Role.LEARNER.value)
            delivery.grant_eligibility(s, ACTOR, user, track)
            tokens.append(accounts.create_api_token(s, ACTOR, user, "bench")[1])
    engine.dispose()
    return tokens


def _serve(url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EXTENDER_DATABASE_URL": url,
        "EXTENDER_VAR_DIR": str(home),
        "EXTENDER_SECRET_KEY": "bench-" + "k" * 40,
        "EXTENDER_BENCH_ENDPOINTS": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "extender.app:asgi",
            "--factory",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=(home / "server.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


RETRIES: list[str] = []


async def _post(client: httpx.AsyncClient, path: str, **kwargs: object) -> httpx.Response:
    """POST as the exam page does: a dropped connection is retried (the idempotency key makes
    a retried save harmless) and counted, so one reset does not end the run."""
    for attempt in range(6):
        try:
            return await client.post(path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            RETRIES.append(f"{path}: {type(exc).__name__}")
            await asyncio.sleep(0.2 * 2**attempt)
    return await client.post(path, **kwargs)  # type: ignore[arg-type]


async def _candidate(
    client: httpx.AsyncClient,
    token: str,
    url: str,
    latencies: list[float],
    acked: list[tuple[str, str]],
    rng: random.Random,
    pause: float,
    failures: list[str],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(rng.uniform(0, 2.0))  # candidates arrive over two seconds
    started = await _post(client, "/exams/CPEHR/start", headers=headers)
    if started.status_code != 303:
        failures.append(f"start {started.status_code}: {started.text[:120]}")
        return
    exam_id = started.headers["location"].rsplit("/", 1)[1]
    engine = sa.create_engine(url)
    with session_factory(engine)() as s:
        exam = s.get(ExamSession, exam_id)
        assert exam is not None
        layout = exam.layout
        options = {
            pk: [o["id"] for o in s.get(ItemVersion, pk).option_list]  # type: ignore[union-attr]
            for pk in layout["items"]
        }
    engine.dispose()
    for seq, pk in enumerate(layout["items"]):
        await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)
        key = f"{exam_id[:16]}-{seq:04d}"
        body = {
            "item": pk,
            "answer": [rng.choice(options[pk])] if len(options[pk]) else [],
            "idempotency_key": key,
            "seq": seq,
        }
        t0 = time.perf_counter()
        response = await _post(
            client, f"/api/v1/exams/sessions/{exam_id}/answers", json=body, headers=headers
        )
        if response.status_code == 422:  # an ordering or multiple-response item: answer fully
            body["answer"] = options[pk]
            response = await _post(
                client, f"/api/v1/exams/sessions/{exam_id}/answers", json=body, headers=headers
            )
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status_code == 200:
            acked.append((exam_id, key))
        else:
            failures.append(f"save {response.status_code}: {response.text[:120]}")


async def _ceiling(
    client: httpx.AsyncClient,
    requests: int,
    latencies: list[float],
    rng: random.Random,
    pause: float,
) -> None:
    for _ in range(requests):
        await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)
        t0 = time.perf_counter()
        await _post(client, "/bench/ceiling")
        latencies.append((time.perf_counter() - t0) * 1000)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(base: str, url: str, tokens: list[str], pause: float) -> None:
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        save_lat: list[float] = []
        acked: list[tuple[str, str]] = []
        failures: list[str] = []
        t0 = time.perf_counter()
        await asyncio.gather(
            *[
                _candidate(client, tok, url, save_lat, acked, random.Random(i), pause, failures)
                for i, tok in enumerate(tokens)
            ]
        )
        save_time = time.perf_counter() - t0
        items = len(save_lat) // len(tokens)
        ceil_lat: list[float] = []
        t0 = time.perf_counter()
        await asyncio.gather(
            *[
                _ceiling(client, items, ceil_lat, random.Random(i), pause)
                for i in range(len(tokens))
            ]
        )
        ceil_time = time.perf_counter() - t0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = set(
            conn.execute(sa.select(AnswerSave.session_id, AnswerSave.idempotency_key)).all()
        )
    engine.dispose()
    missing = [a for a in acked if a not in stored]
    saves_s, ceil_s = len(save_lat) / save_time, len(ceil_lat) / ceil_time
    print(
        f"candidates {len(tokens)}, saves {len(save_lat)} ({items} per candidate), "
        f"pause ~{pause * 1000:.0f} ms between answers"
    )
    print(
        f"  answer saves : {saves_s:8.1f}/s  p50 {_pct(save_lat, 0.5):6.1f} ms  "
        f"p95 {_pct(save_lat, 0.95):6.1f} ms  p99 {_pct(save_lat, 0.99):6.1f} ms"
    )
    print(
        f"  ceiling      : {ceil_s:8.1f}/s  p50 {_pct(ceil_lat, 0.5):6.1f} ms  "
        f"p95 {_pct(ceil_lat, 0.95):6.1f} ms  p99 {_pct(ceil_lat, 0.99):6.1f} ms"
    )
    print(
        f"  ratio saves/ceiling: throughput {saves_s / ceil_s:.2f}, p95 latency "
        f"{_pct(save_lat, 0.95) / _pct(ceil_lat, 0.95):.2f}x, median "
        f"{statistics.median(save_lat) / statistics.median(ceil_lat):.2f}x"
    )
    if failures:
        kinds: dict[str, int] = {}
        for f in failures:
            kinds[f[:60]] = kinds.get(f[:60], 0) + 1
        print(f"  refused or failed requests: {len(failures)}")
        for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"    {n} x {kind}")
    if RETRIES:
        print(f"  dropped connections retried (same idempotency key): {len(RETRIES)}")
    print(
        f"  acknowledged answers {len(acked)}, found in the database "
        f"{len(acked) - len(missing)}, missing {len(missing)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 candidates")
    parser.add_argument(
        "--pause-ms", type=float, default=200.0, help="mean compressed think time between answers"
    )
    args = parser.parse_args()
    url = os.environ.get("EXTENDER_BENCH_POSTGRES_URL") or os.environ.get(
        "EXTENDER_TEST_POSTGRES_URL"
    )
    if not url:
        print("exam load benchmark: set EXTENDER_BENCH_POSTGRES_URL (PostgreSQL); skipped")
        return
    candidates = 20 if args.quick else args.candidates
    url = bench_database(url, "extender_bench_exams")
    tokens = _prepare(url, candidates)
    port = _port()
    server = _serve(url, port, Path(tempfile.mkdtemp()))
    try:
        asyncio.run(_run(f"http://127.0.0.1:{port}", url, tokens, args.pause_ms / 1000))
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
