"""`extender exams simulate`: numbers are checked before anything is simulated, and a committee
can study the live form's exposure control (--sympson-hetter) and minimum length."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from extender.assessment import irt_cli
from extender.config import PROJECT_ROOT

DEMO_BANK = PROJECT_ROOT / "content" / "banks" / "demo-3pl.csv"


def _run(*args: str, bank: Path = DEMO_BANK) -> Result:
    return CliRunner().invoke(irt_cli.app, ["--bank", str(bank), *args])


def _metric(output: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)}\S*\s+([-+]?\d+(?:\.\d+)?)", output, re.MULTILINE)
    assert found, f"{name!r} missing from:\n{output}"
    return float(found.group(1))


def _strict_json(path: Path) -> dict[str, object]:
    """Python's json accepts NaN and Infinity; real JSON does not."""

    def refuse(constant: str) -> object:
        raise AssertionError(f"{constant} in {path}")

    data: dict[str, object] = json.loads(path.read_text(), parse_constant=refuse)
    return data


def _small_bank(tmp_path: Path) -> Path:
    """60 items in three domains: quick to tune, and greedy selection overexposes it."""
    rng = np.random.default_rng(3)
    rows = ["id,domain,a,b,c"]
    for i in range(60):
        rows.append(f"S{i:02d},D{i % 3},{rng.uniform(0.6, 2.2):.3f},{rng.normal():.3f},0.15")
    path = tmp_path / "small.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--cut-theta", "nan"),
        ("--cut-theta", "inf"),
        ("--se-target", "nan"),
        ("--se-target", "-inf"),
        ("--theta-mean", "nan"),
        ("--theta-mean", "inf"),
        ("--theta-sd", "inf"),
        ("--theta-sd", "nan"),
        ("--sympson-hetter", "nan"),
    ],
)
def test_a_non_finite_number_is_refused_naming_the_option(
    tmp_path: Path, option: str, value: str
) -> None:
    out = tmp_path / "out"
    result = _run("--examinees", "20", option, value, "--out", str(out))
    assert result.exit_code == 2
    assert f"{option} must be a finite number" in result.output
    assert "RMSE" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cut-theta", "4.5"), "--cut-theta must lie between -4 and 4"),
        (("--cut-theta", "-9"), "--cut-theta must lie between -4 and 4"),
        (("--theta-sd", "0"), "--theta-sd must be positive"),
        (("--theta-sd", "-1"), "--theta-sd must be positive"),
        (("--se-target", "0"), "--se-target must be positive"),
        (("--sympson-hetter", "0"), "--sympson-hetter must lie in (0, 1]"),
        (("--sympson-hetter", "1.5"), "--sympson-hetter must lie in (0, 1]"),
        (("--min-length", "41", "--max-items", "40"), "--min-length (41) must not exceed"),
        (("--mode", "fixed", "--min-length", "5"), "--min-length applies to --mode adaptive"),
        (("--mode", "fixed", "--sympson-hetter", "0.3"), "--sympson-hetter applies to --mode"),
    ],
)
def test_an_out_of_range_option_is_refused_naming_it(args: tuple[str, ...], message: str) -> None:
    result = _run("--examinees", "20", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_the_cut_at_its_limits_still_gives_a_valid_report(tmp_path: Path) -> None:
    result = _run("--examinees", "30", "--cut-theta", "-4", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    report = _strict_json(tmp_path / "report.json")
    metrics = report["metrics"]
    assert isinstance(metrics, dict) and metrics["cut_theta"] == -4.0


def test_sympson_hetter_caps_exposure_as_the_live_form_would(tmp_path: Path) -> None:
    bank = _small_bank(tmp_path)
    common = ("--examinees", "300", "--max-items", "12", "--min-length", "12", "--seed", "4")
    greedy = _run(*common, bank=bank)
    capped = _run(*common, "--sympson-hetter", "0.4", "--out", str(tmp_path / "sh"), bank=bank)
    assert greedy.exit_code == 0 and capped.exit_code == 0, capped.output
    assert _metric(greedy.output, "max exposure rate") > 0.8
    # Tuned on 400 candidates to within three SEs (0.074), then measured on 300 (0.085 more).
    assert _metric(capped.output, "max exposure rate") <= 0.4 + 0.074 + 0.085
    assert "Sympson-Hetter target 0.4: converged" in capped.output
    report = _strict_json(tmp_path / "sh" / "report.json")
    options, tuning = report["options"], report["sympson_hetter"]
    assert isinstance(options, dict) and isinstance(tuning, dict)
    assert options["sympson_hetter"] == 0.4 and options["min_length"] == 12
    assert tuning["converged"] is True and tuning["examinees"] == 400
    parameters = tuning["parameters"]
    assert isinstance(parameters, dict) and len(parameters) == 60
    assert all(0 <= k <= 1 for k in parameters.values()) and min(parameters.values()) < 1


def test_no_simulated_test_ends_before_the_minimum_length(tmp_path: Path) -> None:
    bank = _small_bank(tmp_path)
    args = ("--examinees", "150", "--max-items", "20", "--se-target", "0.6")
    loose = _run(*args, bank=bank)
    held = _run(*args, "--min-length", "10", "--sympson-hetter", "0.5", bank=bank)
    assert loose.exit_code == 0 and held.exit_code == 0, held.output
    assert _metric(loose.output, "min test length") < 10
    assert _metric(held.output, "min test length") >= 10
    assert "exhausted" not in held.output


def test_an_exposure_target_no_test_can_meet_is_refused(tmp_path: Path) -> None:
    bank = _small_bank(tmp_path)
    result = _run(
        "--examinees", "20", "--min-length", "12", "--max-items", "12",
        "--sympson-hetter", "0.1", bank=bank,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot be met" in result.output and "minimum test length of 12" in result.output
    assert "RMSE" not in result.output
