from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from extender.practicum.generator import (
    DefectParams,
    PracticeParams,
    generate_practice,
    write_answer_key,
    write_bundle,
)

SMALL = PracticeParams(patients=40, seed=5)


def _bytes(params: PracticeParams, folder: Path, name: str) -> tuple[bytes, bytes]:
    practice = generate_practice(params)
    bundle = write_bundle(practice, folder / f"{name}.json")
    key = write_answer_key(practice, folder / f"{name}-key.json")
    return bundle.read_bytes(), key.read_bytes()


def test_it_writes_identical_bytes_for_the_same_seed(tmp_path: Path) -> None:
    assert _bytes(SMALL, tmp_path, "a") == _bytes(SMALL, tmp_path, "b")


def test_it_writes_different_practices_for_different_seeds(tmp_path: Path) -> None:
    first, _ = _bytes(SMALL, tmp_path, "a")
    second, _ = _bytes(replace(SMALL, seed=6), tmp_path, "b")
    assert first != second


def test_it_keeps_patients_stable_when_only_defects_change() -> None:
    """Per-purpose random streams: switching defects off must not reshuffle the panel."""
    with_defects = generate_practice(SMALL)
    without = generate_practice(replace(SMALL, defects=DefectParams.none()))
    names = [
        {
            e["resource"]["identifier"][0]["value"]
            for e in p.bundle["entry"]
            if e["resource"]["resourceType"] == "Patient"
        }
        for p in (with_defects, without)
    ]
    assert names[1] <= names[0]
    assert len(names[0]) - len(names[1]) == SMALL.defects.duplicate_patients


def test_it_dates_everything_from_as_of_not_today() -> None:
    later = generate_practice(replace(SMALL, as_of=SMALL.as_of.replace(year=2030)))
    stamps = [e["resource"].get("effectiveDateTime", "") for e in later.bundle["entry"]]
    assert max(stamps) < "2030-11-02"
    assert max(stamps) > "2030-01-01"


def test_it_uses_put_with_the_uuid_as_id_when_asked() -> None:
    practice = generate_practice(replace(SMALL, method="PUT"))
    for entry in practice.bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert entry["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}/{resource['id']}",
        }


def test_it_writes_identical_bytes_across_processes_with_different_hash_seeds(
    tmp_path: Path,
) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    import os
    import subprocess
    import sys

    digests = set()
    for hash_seed in ("1", "2"):
        out = tmp_path / f"bundle-{hash_seed}.json"
        command = [sys.executable, "-m", "extender.practicum.generator.cli", "generate"]
        command += ["--patients", "30", "--seed", "3", "--out", str(out)]
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(command, check=True, env=env, capture_output=True)
        digests.add(out.read_bytes())
    assert len(digests) == 1
