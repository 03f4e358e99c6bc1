"""`extender exams simulate`: the numbers a committee reads, the files it keeps, bad banks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from extender.assessment import irt_cli
from extender.assessment.irt import AdaptiveSelector, StoppingRule, simulation_study
from extender.config import PROJECT_ROOT

DEMO_BANK = PROJECT_ROOT / "content" / "banks" / "demo-3pl.csv"
METRICS = (
    "bias of theta",
    "RMSE of theta",
    "mean SE of theta",
    "mean test length",
    "min test length",
    "max test length",
    "max exposure rate",
    "mean exposure rate",
    "share of items never used",
    "cut theta",
    "classification accuracy",
    "false pass rate",
    "false fail rate",
    "wall time",
)


def _run(*args: str) -> Result:
    return CliRunner().invoke(irt_cli.app, ["--bank", str(DEMO_BANK), *args])


def _metric(output: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)}\S*\s+([-+]?\d+(?:\.\d+)?)", output, re.MULTILINE)
    assert found, f"{name!r} missing from:\n{output}"
    return float(found.group(1))


def _json(directory: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / "report.json").read_text())
    return data


def test_it_ships_a_300_item_3pl_demo_bank_in_six_weighted_domains() -> None:
    bank = irt_cli.read_bank(DEMO_BANK)
    assert bank.items.n_items == 300
    assert bank.ids[0] == "CPEHR-S001" and bank.ids[-1] == "CPEHR-S300"
    shares = {domain: round(share, 2) for domain, share in bank.blueprint.items()}
    assert shares == {
        "CPEHR-1": 0.2,
        "CPEHR-2": 0.2,
        "CPEHR-3": 0.2,
        "CPEHR-4": 0.15,
        "CPEHR-5": 0.15,
        "CPEHR-6": 0.1,
    }
    assert 1.0 < float(np.median(bank.items.a)) < 1.4
    assert 0.18 < float(bank.items.c.mean()) < 0.28  # Beta(5, 17) has mean 0.227


def test_it_reports_every_metric_for_a_fixed_form() -> None:
    result = _run("--examinees", "200", "--mode", "fixed", "--form-length", "30")
    assert result.exit_code == 0, result.output
    for name in METRICS:
        _metric(result.output, name)
    assert _metric(result.output, "RMSE of theta") < 0.6
    assert abs(_metric(result.output, "bias of theta")) < 0.15
    assert _metric(result.output, "classification accuracy") > 0.8
    assert _metric(result.output, "min test length") == _metric(result.output, "max test length")
    assert _metric(result.output, "max exposure rate") == 1.0
    assert _metric(result.output, "share of items never used") == pytest.approx(0.9)


def test_it_reports_every_metric_for_an_adaptive_test() -> None:
    result = _run("--examinees", "200", "--mode", "adaptive", "--max-items", "40")
    assert result.exit_code == 0, result.output
    for name in METRICS:
        _metric(result.output, name)
    assert "stop reasons" in result.output
    assert _metric(result.output, "RMSE of theta") < 0.6
    assert _metric(result.output, "classification accuracy") > 0.8
    assert (
        1 <= _metric(result.output, "min test length") <= _metric(result.output, "max test length")
    )
    assert _metric(result.output, "max test length") <= 40
    false_pass = _metric(result.output, "false pass rate")
    false_fail = _metric(result.output, "false fail rate")
    accuracy = _metric(result.output, "classification accuracy")
    assert accuracy + false_pass + false_fail == pytest.approx(1.0, abs=0.002)


def test_it_ends_adaptive_tests_sooner_than_a_fixed_form_of_the_same_precision() -> None:
    fixed = _run("--examinees", "200", "--mode", "fixed", "--form-length", "40")
    adaptive = _run("--examinees", "200", "--max-items", "40", "--se-target", "0.3")
    assert _metric(adaptive.output, "mean test length") < 40 * 0.85
    assert _metric(adaptive.output, "share with SE <= 0.3") >= _metric(
        fixed.output, "share with SE <= 0.3"
    )


def test_it_writes_the_json_report_and_three_svg_plots(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = _run("--examinees", "100", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = {
        "report.json",
        "test-information.svg",
        "item-characteristic-curves.svg",
        "exposure-histogram.svg",
    }
    assert {path.name for path in out.iterdir()} == names
    for name in names:
        assert str(out / name) in result.output
    report = _json(out)
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["rmse"] == pytest.approx(_metric(result.output, "RMSE of theta"), abs=5e-4)
    assert len(report["exposure"]) == 300  # type: ignore[arg-type]
    for name in names - {"report.json"}:
        assert (out / name).read_text().startswith("<svg")
    curves = (out / "item-characteristic-curves.svg").read_text()
    assert len(re.findall(r">CPEHR-S\d{3}</text>", curves)) == 6


def test_it_gives_the_same_numbers_as_the_engines_simulation_study(tmp_path: Path) -> None:
    bank = irt_cli.read_bank(DEMO_BANK)
    _run("--examinees", "150", "--mode", "fixed", "--seed", "7", "--out", str(tmp_path / "f"))
    _run("--examinees", "150", "--seed", "7", "--out", str(tmp_path / "a"))
    form = irt_cli.assemble_fixed_form(bank, 30, 0.0)
    selector = AdaptiveSelector(bank.items, domains=bank.domains, blueprint=bank.blueprint)
    engine = {
        "f": simulation_study(bank.items, n_examinees=150, form=form, cut=0.0, rng=7),
        "a": simulation_study(
            bank.items,
            n_examinees=150,
            selector=selector,
            stopping=StoppingRule(max_items=40, se_target=0.3),
            cut=0.0,
            rng=7,
        ),
    }
    for key, study in engine.items():
        metrics = _json(tmp_path / key)["metrics"]
        assert isinstance(metrics, dict)
        assert metrics["rmse"] == pytest.approx(study.rmse)
        assert metrics["bias"] == pytest.approx(study.bias)
        assert metrics["mean_length"] == pytest.approx(study.mean_length)
        assert metrics["max_exposure"] == pytest.approx(study.max_exposure)
        assert metrics["accuracy"] == pytest.approx(study.classification_accuracy)


def test_it_repeats_a_study_from_the_same_seed(tmp_path: Path) -> None:
    for name, seed in (("one", "3"), ("two", "3"), ("three", "4")):
        _run(
            "--examinees", "80", "--randomesque", "3", "--seed", seed, "--out", str(tmp_path / name)
        )
    one, two, three = (_json(tmp_path / name) for name in ("one", "two", "three"))
    assert one["metrics"] == two["metrics"] and one["exposure"] == two["exposure"]
    assert one["metrics"] != three["metrics"]


def test_it_stops_on_an_sprt_decision_when_a_cut_is_given(tmp_path: Path) -> None:
    plain = _run("--examinees", "200", "--se-target", "0.2", "--max-items", "40")
    result = _run(
        "--examinees", "200", "--se-target", "0.2", "--cut-theta", "0.5", "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert "classified_pass" in result.output and "classified_fail" in result.output
    assert _metric(result.output, "cut theta") == 0.5
    assert _metric(result.output, "classification accuracy") > 0.8
    assert _metric(result.output, "mean test length") < _metric(plain.output, "mean test length")
    options = _json(tmp_path)["options"]
    assert isinstance(options, dict) and options["sprt"] is True


def test_it_spreads_exposure_with_randomesque_selection() -> None:
    greedy = _run("--examinees", "200", "--randomesque", "1")
    spread = _run("--examinees", "200", "--randomesque", "6")
    assert _metric(spread.output, "max exposure rate") < _metric(greedy.output, "max exposure rate")
    assert _metric(spread.output, "share of items never used") < _metric(
        greedy.output, "share of items never used"
    )


def test_it_balances_adaptive_content_by_the_banks_domain_shares(tmp_path: Path) -> None:
    _run("--examinees", "120", "--out", str(tmp_path))
    bank = irt_cli.read_bank(DEMO_BANK)
    exposure = _json(tmp_path)["exposure"]
    assert isinstance(exposure, dict)
    given: dict[str, float] = {}
    for item_id, domain in zip(bank.ids, bank.domains, strict=True):
        given[domain] = given.get(domain, 0.0) + exposure[item_id]
    total = sum(given.values())
    for name, share in bank.blueprint.items():
        assert given[str(name)] / total == pytest.approx(share, abs=0.03)


def _write_bank(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.csv"
    path.write_text(text)
    return path


def test_it_accepts_2pl_rows_and_keeps_enemies_off_one_fixed_form(tmp_path: Path) -> None:
    rows = ["id,domain,a,b,c,enemies", "X1,D1,2.5,0.0,,X2", "X2,D1,2.4,0.0,,"]
    rows += [f"Y{i},D{1 + i % 2},1.0,{i / 10 - 1:.1f},0.2," for i in range(20)]
    bank = _write_bank(tmp_path, "\n".join(rows) + "\n")
    args = ["--bank", str(bank), "--examinees", "50", "--mode", "fixed", "--form-length", "10"]
    result = CliRunner().invoke(irt_cli.app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    form = _json(tmp_path / "out")["form"]
    assert isinstance(form, list) and len(form) == 10
    assert "X1" in form and "X2" not in form


HEADER = "id,domain,a,b,c\n"
GOOD = "Q1,D1,1.2,0.0,0.2\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("identifier,domain,a,b,c\n" + GOOD, "line 1: header lacks id"),
        ("id,domain,a,b\n" + GOOD, "line 1: header lacks c"),
        ("id,domain,a,b,c,weight\n" + GOOD, "line 1: unknown column(s) weight"),
        ("", "line 1: header lacks id"),
        (HEADER + GOOD + "Q2,D1,high,0.0,0.2\n", "line 3: a is not a number: 'high'"),
        (HEADER + GOOD + "Q2,D1,1.0,nan,0.2\n", "line 3: b must be finite"),
        (HEADER + GOOD + "Q2,D1,0,0.0,0.2\n", "line 3: a must be positive"),
        (HEADER + GOOD + "Q2,D1,-1.1,0.0,0.2\n", "line 3: a must be positive"),
        (HEADER + GOOD + "Q2,D1,1.0,0.0,0.5\n", "line 3: c must lie in [0, 0.5)"),
        (HEADER + GOOD + "Q2,D1,1.0,0.0,-0.1\n", "line 3: c must lie in [0, 0.5)"),
        (HEADER + GOOD + "\nQ1,D2,1.0,0.0,0.1\n", "line 4: duplicate id Q1 (first on line 2)"),
        (HEADER + GOOD + "Q2,D1,1.0,0.0\n", "line 3: 4 fields, expected 5"),
        (HEADER + GOOD + ",D1,1.0,0.0,0.1\n", "line 3: id is empty"),
        ("id,domain,a,b,c,enemies\nQ1,D1,1,0,0.2,Q9\n", "line 2: enemy Q9 is not in the bank"),
        (HEADER, "line 2: the bank has no items"),
        ("id,domain,a,b,c,enemies\nQ1,D1,1,0,0.2,Q1\n", "line 2: item Q1 lists itself"),
    ],
)
def test_it_rejects_a_bad_bank_with_the_line_and_simulates_nothing(
    tmp_path: Path, text: str, expected: str
) -> None:
    bank = _write_bank(tmp_path, text)
    result = CliRunner().invoke(irt_cli.app, ["--bank", str(bank), "--examinees", "10"])
    assert result.exit_code == 2
    assert expected in result.output
    assert "RMSE" not in result.output


def test_it_lists_every_problem_in_a_bank_at_once(tmp_path: Path) -> None:
    bank = _write_bank(tmp_path, HEADER + "Q1,D1,x,0,0.2\nQ2,D1,1,0,0.2\nQ3,D1,1,0,0.7\n")
    result = CliRunner().invoke(irt_cli.app, ["--bank", str(bank), "--examinees", "10"])
    assert result.exit_code == 2
    assert "line 2: a is not a number" in result.output
    assert "line 4: c must lie" in result.output


def test_it_refuses_a_missing_bank_and_impossible_options(tmp_path: Path) -> None:
    missing = CliRunner().invoke(
        irt_cli.app, ["--bank", str(tmp_path / "nope.csv"), "--examinees", "10"]
    )
    assert missing.exit_code == 2 and "no such file" in missing.output
    too_long = _run("--examinees", "10", "--mode", "fixed", "--form-length", "301")
    assert too_long.exit_code == 2 and "--form-length must be 1..300" in too_long.output
    assert _run("--examinees", "10", "--theta-sd", "0").exit_code == 2
    (tmp_path / "taken").write_text("")
    not_a_dir = _run("--examinees", "10", "--out", str(tmp_path / "taken"))
    assert not_a_dir.exit_code == 2 and "is not a directory" in not_a_dir.output
    assert _run("--examinees", "0").exit_code == 2


def test_it_mounts_on_the_exams_group_as_simulate() -> None:
    exams = typer.Typer()

    @exams.command("bank-report")
    def bank_report() -> None:
        """Stands in for the real exams commands."""

    irt_cli.register(exams)
    result = CliRunner().invoke(
        exams, ["simulate", "--bank", str(DEMO_BANK), "--examinees", "20", "--mode", "fixed"]
    )
    assert result.exit_code == 0, result.output
    assert "RMSE of theta" in result.output


_ids = st.lists(st.from_regex(r"[A-Z]{2}-[0-9]{3}", fullmatch=True), min_size=1, unique=True)
_rows = st.tuples(
    st.sampled_from(["D1", "D2", "D3"]),
    st.floats(min_value=0.01, max_value=5.0),
    st.floats(min_value=-6.0, max_value=6.0),
    st.none() | st.floats(min_value=0.0, max_value=0.49),
)


@settings(max_examples=50, deadline=None)
@given(ids=_ids, data=st.data())
def test_it_reads_back_any_valid_bank_exactly(ids: list[str], data: st.DataObject) -> None:
    rows = [data.draw(_rows) for _ in ids]
    text = HEADER + "".join(
        f"{item_id},{d},{a!r},{b!r},{'' if c is None else repr(c)}\n"
        for item_id, (d, a, b, c) in zip(ids, rows, strict=True)
    )
    bank = irt_cli.parse_bank(text)
    assert bank.ids == tuple(ids)
    assert bank.domains == tuple(row[0] for row in rows)
    np.testing.assert_array_equal(bank.items.a, [row[1] for row in rows])
    np.testing.assert_array_equal(bank.items.b, [row[2] for row in rows])
    np.testing.assert_array_equal(bank.items.c, [row[3] or 0.0 for row in rows])
