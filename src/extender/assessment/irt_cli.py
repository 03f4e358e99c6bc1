"""``extender exams simulate``: a simulation study of a calibrated bank before anyone sits it.

An exam committee choosing between a fixed form and an adaptive test, or setting a length and a
precision target, needs to see what each choice does to measurement error, test length, item
exposure and pass/fail decisions on candidates whose true ability is known. This command reads
a bank as a CSV file (so parameters from any calibration software can be studied without
loading them into the platform) and runs that study with the IRT engine.

Design choices a committee should know:

* The fixed form follows the blueprint implied by the bank (each domain's share of the bank,
  rounded by largest remainder) and within each domain takes the items most informative at the
  cut, skipping enemies of items already chosen. That is how a licensure form is assembled, so
  the adaptive test is compared with the strongest fixed form, not a random one.
* Both designs score with the operational N(0, 1) prior rather than the simulated population,
  so a shifted ``--theta-mean`` shows the bias such a cohort would really get.
* Classification is always reported at the cut (0.0 when ``--cut-theta`` is omitted); giving
  ``--cut-theta`` also lets an SPRT end adaptive tests early, since that is the point of a cut.
* False pass and false fail rates are shares of all candidates, so with accuracy they sum to 1.
* ``--sympson-hetter R`` tunes Sympson-Hetter exposure parameters for a maximum exposure rate R
  exactly as the committee's "New adaptive form" does (400 simulated N(0, 1) candidates, up to
  8 rounds, the same selection and stopping code that live delivery runs), then studies the
  test with them; ``--min-length`` is the live form's minimum length. A target below mean test
  length / bank size is refused, as on the form page.
* Every number is checked before anything is simulated: a non-finite value or one out of range
  (a cut outside -4..4, as for live forms) ends the command with exit code 2 and names the
  option.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import typer
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import track
from rich.table import Table

from extender.assessment.irt import (
    SPRT,
    AdaptiveProcedure,
    AdaptiveSelector,
    ExposureCalibration,
    ItemParameters,
    StoppingRule,
    estimate_eap,
    exposure_histogram_svg,
    icc_svg,
    run_procedure,
    simulate_responses,
    sympson_hetter_parameters,
)
from extender.assessment.irt import plots as irt_plots
from extender.assessment.irt.exposure import FORM_TUNING_EXAMINEES, FORM_TUNING_ROUNDS
from extender.errors import InvalidInput

__all__ = [
    "Bank",
    "BankFileError",
    "app",
    "assemble_fixed_form",
    "parse_bank",
    "read_bank",
    "register",
]

FloatArray = NDArray[np.float64]

REQUIRED_COLUMNS = ("id", "domain", "a", "b", "c")
OPTIONAL_COLUMNS = ("enemies",)
MAX_GUESSING = 0.5
_SHOWN_PROBLEMS = 25
_ICC_ITEMS = 6

app = typer.Typer(help="Simulation studies of an item bank.")
out = Console(soft_wrap=True)


class Mode(StrEnum):
    fixed = "fixed"
    adaptive = "adaptive"


class BankFileError(InvalidInput):
    """Every problem in a bank file at once, so an author fixes the file in one pass."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s) in the bank file")
        self.problems = problems


@dataclass(frozen=True)
class Bank:
    """A validated bank: parameters in file order plus what content balancing needs."""

    ids: tuple[str, ...]
    domains: tuple[str, ...]
    items: ItemParameters
    enemies: tuple[tuple[int, ...], ...]

    @property
    def blueprint(self) -> dict[Hashable, float]:
        """Domain shares of the bank: without a published blueprint, the bank is the best guess."""
        counts = Counter(self.domains)
        return {domain: count / len(self.domains) for domain, count in counts.items()}


def read_bank(path: Path) -> Bank:
    """Read a bank CSV; a missing or non-UTF-8 file is a bank problem like any other."""
    if not path.is_file():
        raise BankFileError(str(path), [f"no such file: {path}"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BankFileError(str(path), ["line 1: the file is not UTF-8 text"]) from None
    return parse_bank(text, str(path))


def parse_bank(text: str, source: str = "bank") -> Bank:
    """Validate every row before raising, with line numbers, so nothing half-read is simulated."""
    reader = csv.reader(io.StringIO(text))
    columns = [name.strip().lower() for name in next(reader, [])]
    problems = _header_problems(columns)
    if problems:
        raise BankFileError(source, problems)
    ids: list[str] = []
    domains: list[str] = []
    params: list[tuple[float, float, float]] = []
    enemy_text: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    rejected: set[str] = set()
    for record in reader:
        line = reader.line_num
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(columns):
            problems.append(f"line {line}: {len(record)} fields, expected {len(columns)}")
            continue
        row = {name: field.strip() for name, field in zip(columns, record, strict=True)}
        row_problems, values = _row_values(row)
        if row["id"] in first_line:
            row_problems.append(f"duplicate id {row['id']} (first on line {first_line[row['id']]})")
        problems.extend(f"line {line}: {problem}" for problem in row_problems)
        if row_problems:
            rejected.add(row["id"])
            continue
        first_line[row["id"]] = line
        ids.append(row["id"])
        domains.append(row["domain"])
        params.append(values)
        enemy_text.append((line, row.get("enemies", "")))
    enemies = _enemy_groups(ids, enemy_text, rejected, problems)
    if not problems and not ids:
        problems.append("line 2: the bank has no items")
    if problems:
        raise BankFileError(source, problems)
    a, b, c = (np.array(column) for column in zip(*params, strict=True))
    return Bank(tuple(ids), tuple(domains), ItemParameters(a, b, c), enemies)


def _header_problems(columns: list[str]) -> list[str]:
    expected = ",".join(REQUIRED_COLUMNS)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"line 1: header lacks {', '.join(missing)}; expected {expected}")
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; expected {expected}")
    if repeated:
        problems.append(f"line 1: repeated column(s) {', '.join(repeated)}")
    return problems


def _row_values(row: dict[str, str]) -> tuple[list[str], tuple[float, float, float]]:
    problems = [f"{name} is empty" for name in ("id", "domain") if not row[name]]
    a = _number(row, "a", problems)
    b = _number(row, "b", problems)
    c = _number(row, "c", problems) if row["c"] else 0.0
    if a is not None and a <= 0:
        problems.append(f"a must be positive (got {row['a']})")
    if c is not None and not 0.0 <= c < MAX_GUESSING:
        problems.append(f"c must lie in [0, {MAX_GUESSING}) (got {row['c']})")
    if a is None or b is None or c is None:
        return problems, (0.0, 0.0, 0.0)
    return problems, (a, b, c)


def _number(row: dict[str, str], name: str, problems: list[str]) -> float | None:
    try:
        value = float(row[name])
    except ValueError:
        problems.append(f"{name} is not a number: {row[name]!r}")
        return None
    if not math.isfinite(value):
        problems.append(f"{name} must be finite (got {row[name]})")
        return None
    return value


def _enemy_groups(
    ids: list[str], enemy_text: list[tuple[int, str]], rejected: set[str], problems: list[str]
) -> tuple[tuple[int, ...], ...]:
    """Enemies naming a row that was itself rejected add no news, so they are not reported."""
    index = {item_id: position for position, item_id in enumerate(ids)}
    groups: list[tuple[int, ...]] = []
    for position, (line, text) in enumerate(enemy_text):
        names = [name.strip() for name in text.split(";") if name.strip()]
        for name in names:
            if name == ids[position]:
                problems.append(f"line {line}: item {name} lists itself as an enemy")
            elif name not in index and name not in rejected:
                problems.append(f"line {line}: enemy {name} is not in the bank")
            elif name in index:
                groups.append((position, index[name]))
    return tuple(groups)


def assemble_fixed_form(bank: Bank, length: int, cut: float) -> list[int]:
    """Blueprint quotas filled with the items that separate passers from failers best."""
    if not 1 <= length <= bank.items.n_items:
        raise InvalidInput(f"--form-length must be 1..{bank.items.n_items} for this bank")
    quotas = _largest_remainder(Counter(bank.domains), length)
    order = [int(i) for i in np.argsort(-bank.items.information(cut)[0], kind="stable")]
    linked: dict[int, set[int]] = {}
    for first, second in bank.enemies:
        linked.setdefault(first, set()).add(second)
        linked.setdefault(second, set()).add(first)
    chosen: list[int] = []
    blocked: set[int] = set()
    taken: Counter[str] = Counter()
    # A second, quota-free pass only matters when enemies starve a domain of eligible items.
    for respect_quota in (True, False):
        for item in order:
            domain = bank.domains[item]
            if len(chosen) == length or item in blocked:
                continue
            if respect_quota and taken[domain] >= quotas[domain]:
                continue
            chosen.append(item)
            taken[domain] += 1
            blocked |= {item, *linked.get(item, ())}
    if len(chosen) < length:
        raise InvalidInput(f"enemy rules leave only {len(chosen)} compatible items for the form")
    return sorted(chosen)


def _largest_remainder(counts: Counter[str], length: int) -> dict[str, int]:
    total = sum(counts.values())
    exact = {domain: length * count / total for domain, count in counts.items()}
    quotas = {domain: math.floor(share) for domain, share in exact.items()}
    by_remainder = sorted(exact, key=lambda d: exact[d] - quotas[d], reverse=True)
    for domain in by_remainder[: length - sum(quotas.values())]:
        quotas[domain] += 1
    return quotas


@dataclass(frozen=True)
class StudyOutcome:
    """Per-candidate results; kept so metrics need no second pass over the simulation."""

    true_theta: FloatArray
    estimate: FloatArray
    se: FloatArray
    lengths: NDArray[np.int64]
    passed: NDArray[np.bool_]
    exposure: FloatArray
    stop_reasons: dict[str, int]


def run_fixed(
    bank: Bank, form: list[int], thetas: FloatArray, rng: np.random.Generator, cut: float
) -> StudyOutcome:
    """Same draws as ``simulation_study(form=...)``, but keeping the SEs the report needs."""
    sub = bank.items.subset(form)
    estimates = estimate_eap(simulate_responses(thetas, sub, rng), sub)
    exposure = np.zeros(bank.items.n_items)
    exposure[form] = 1.0
    n = thetas.shape[0]
    lengths = np.full(n, len(form), dtype=np.int64)
    return StudyOutcome(
        thetas, estimates.theta, estimates.se, lengths, estimates.theta >= cut, exposure, {}
    )


def run_adaptive(
    selector: AdaptiveSelector,
    stopping: StoppingRule,
    thetas: FloatArray,
    rng: np.random.Generator,
    cut: float,
) -> StudyOutcome:
    """One candidate at a time, as ``simulation_study`` does, so a progress bar can show."""
    console = Console(stderr=True)
    procedure = AdaptiveProcedure(selector, stopping)
    outcomes = [
        run_procedure(procedure, float(theta), rng, cut=cut)
        for theta in track(
            thetas,
            description="simulating",
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
    ]
    given = np.zeros(selector.items.n_items)
    for outcome in outcomes:
        given[list(outcome.administered)] += 1
    reasons = Counter(outcome.stop_reason for outcome in outcomes)
    return StudyOutcome(
        thetas,
        np.array([outcome.theta for outcome in outcomes]),
        np.array([outcome.se for outcome in outcomes]),
        np.array([len(outcome.administered) for outcome in outcomes], dtype=np.int64),
        np.array([bool(outcome.passed) for outcome in outcomes]),
        given / max(len(outcomes), 1),
        dict(sorted(reasons.items())),
    )


def summarize(study: StudyOutcome, cut: float, se_target: float) -> dict[str, Any]:
    """The numbers a committee compares across designs, as plain floats for JSON."""
    error = study.estimate - study.true_theta
    truly_pass = study.true_theta >= cut
    return {
        "bias": float(error.mean()),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mean_se": float(study.se.mean()),
        "se_target": se_target,
        "share_at_se_target": float(np.mean(study.se <= se_target)),
        "mean_length": float(study.lengths.mean()),
        "min_length": int(study.lengths.min()),
        "max_length": int(study.lengths.max()),
        "max_exposure": float(study.exposure.max()),
        "mean_exposure": float(study.exposure.mean()),
        "share_never_used": float(np.mean(study.exposure == 0.0)),
        "cut_theta": cut,
        "accuracy": float(np.mean(study.passed == truly_pass)),
        "false_pass_rate": float(np.mean(study.passed & ~truly_pass)),
        "false_fail_rate": float(np.mean(~study.passed & truly_pass)),
        "stop_reasons": study.stop_reasons,
    }


def _print_report(metrics: dict[str, Any], seconds: float) -> None:
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("bias of theta", f"{metrics['bias']:+.3f}"),
        ("RMSE of theta", f"{metrics['rmse']:.3f}"),
        ("mean SE of theta", f"{metrics['mean_se']:.3f}"),
        (f"share with SE <= {metrics['se_target']:g}", f"{metrics['share_at_se_target']:.3f}"),
        ("mean test length", f"{metrics['mean_length']:.1f}"),
        ("min test length", str(metrics["min_length"])),
        ("max test length", str(metrics["max_length"])),
        ("max exposure rate", f"{metrics['max_exposure']:.3f}"),
        ("mean exposure rate", f"{metrics['mean_exposure']:.3f}"),
        ("share of items never used", f"{metrics['share_never_used']:.3f}"),
        ("cut theta", f"{metrics['cut_theta']:g}"),
        ("classification accuracy", f"{metrics['accuracy']:.3f}"),
        ("false pass rate", f"{metrics['false_pass_rate']:.3f}"),
        ("false fail rate", f"{metrics['false_fail_rate']:.3f}"),
    ]
    rows.append(("wall time", f"{seconds:.3f} s"))
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    if metrics["stop_reasons"]:
        reasons = ", ".join(f"{k} {v}" for k, v in metrics["stop_reasons"].items())
        out.print(f"stop reasons: {reasons}", highlight=False)


def _write_outputs(
    directory: Path, bank: Bank, study: StudyOutcome, form: list[int] | None, report: dict[str, Any]
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cut = float(report["metrics"]["cut_theta"])
    if form is None:
        info_svg = irt_plots.test_information_svg(
            bank.items, title=f"Bank information ({bank.items.n_items} items)"
        )
    else:
        info_svg = irt_plots.test_information_svg(
            bank.items.subset(form), title=f"Test information (fixed form, {len(form)} items)"
        )
    # The most exposed items (most informative first among ties) are the ones worth inspecting.
    information = bank.items.information(cut)[0]
    shown = [int(i) for i in np.lexsort((-information, -study.exposure))[:_ICC_ITEMS]]
    curves = _label_curves(icc_svg(bank.items, shown, title="Most exposed items"), bank, shown)
    files = {
        "report.json": json.dumps(report, indent=2) + "\n",
        "test-information.svg": info_svg,
        "item-characteristic-curves.svg": curves,
        "exposure-histogram.svg": exposure_histogram_svg(study.exposure),
    }
    paths = []
    for name, content in files.items():
        path = directory / name
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def _label_curves(svg: str, bank: Bank, shown: list[int]) -> str:
    """Item ids instead of indices, stacked like a legend: 3PL curves all end near 1, so the
    engine's end-of-curve labels land on top of each other. Unmatched output is left alone."""
    for rank, index in enumerate(shown):
        found = re.search(rf'(<text x="[^"]*" y=")[^"]*("[^>]*>)item {index}</text>', svg)
        if found:
            label = f"{found[1]}{56 + 13 * rank}{found[2]}{escape(bank.ids[index])}</text>"
            svg = svg[: found.start()] + label + svg[found.end() :]
    return svg


def _fail(message: str, details: Sequence[str] = ()) -> typer.Exit:
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    for detail in details[:_SHOWN_PROBLEMS]:
        err.print(f"  {detail}", highlight=False, markup=False)
    if len(details) > _SHOWN_PROBLEMS:
        err.print(f"  ... and {len(details) - _SHOWN_PROBLEMS} more", highlight=False)
    return typer.Exit(code=2)


@app.command("simulate")
def simulate(
    bank_file: Path = typer.Option(
        ..., "--bank", help="CSV bank: id,domain,a,b,c[,enemies] (c empty for 2PL)"
    ),
    examinees: int = typer.Option(..., "--examinees", min=1, help="simulated candidates"),
    mode: Mode = typer.Option(Mode.adaptive, "--mode", help="fixed form or adaptive test"),
    form_length: int = typer.Option(30, "--form-length", min=1, help="fixed form: items"),
    max_items: int = typer.Option(40, "--max-items", min=1, help="adaptive: longest test"),
    se_target: float = typer.Option(
        0.3, "--se-target", help="adaptive: stop once the SE is this small; both: reported"
    ),
    cut_theta: float | None = typer.Option(
        None,
        "--cut-theta",
        help="pass/fail cut on theta; also enables SPRT stopping in adaptive mode "
        "[classification is reported at 0.0 when omitted]",
    ),
    theta_mean: float = typer.Option(0.0, "--theta-mean", help="candidates' mean ability"),
    theta_sd: float = typer.Option(1.0, "--theta-sd", help="candidates' ability SD"),
    randomesque: int = typer.Option(
        1, "--randomesque", min=1, help="adaptive: draw each item from the N most informative"
    ),
    min_length: int | None = typer.Option(
        None,
        "--min-length",
        min=1,
        help="adaptive: shortest test; no stopping rule ends a test before it [default: 1]",
    ),
    sympson_hetter: float | None = typer.Option(
        None,
        "--sympson-hetter",
        help="adaptive: tune Sympson-Hetter exposure parameters for this maximum exposure "
        "rate (0-1] as a live adaptive form does, and study the test with them",
    ),
    seed: int = typer.Option(1, "--seed", help="same seed, same candidates and responses"),
    out_dir: Path | None = typer.Option(
        None, "--out", help="write report.json and three SVG plots into this directory"
    ),
) -> None:
    """Simulate a fixed form or an adaptive test on a bank and report how well it measures."""
    _check_options(
        mode=mode,
        max_items=max_items,
        se_target=se_target,
        cut_theta=cut_theta,
        theta_mean=theta_mean,
        theta_sd=theta_sd,
        min_length=min_length,
        sympson_hetter=sympson_hetter,
    )
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"--out {out_dir} exists and is not a directory")
    try:
        bank = read_bank(bank_file)
    except BankFileError as exc:
        raise _fail(exc.message, exc.problems) from None
    cut = 0.0 if cut_theta is None else cut_theta
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    thetas = rng.normal(theta_mean, theta_sd, examinees)
    form: list[int] | None = None
    tuning: ExposureCalibration | None = None
    try:
        if mode is Mode.fixed:
            form = assemble_fixed_form(bank, form_length, cut)
            study = run_fixed(bank, form, thetas, rng, cut)
        else:
            selector = AdaptiveSelector(
                bank.items,
                domains=bank.domains,
                blueprint=bank.blueprint,
                enemies=bank.enemies,
                randomesque=randomesque,
            )
            sprt = SPRT(cut_theta) if cut_theta is not None else None
            stopping = StoppingRule(
                max_items=max_items, min_items=min_length or 1, se_target=se_target, sprt=sprt
            )
            if sympson_hetter is not None:
                tuning = _tune_exposure(selector, stopping, sympson_hetter, seed)
                selector = selector.with_exposure(tuning.parameters)
            study = run_adaptive(selector, stopping, thetas, rng, cut)
    except InvalidInput as exc:
        raise _fail(exc.message) from None
    seconds = time.perf_counter() - started
    metrics = summarize(study, cut, se_target)
    domains = len(set(bank.domains))
    out.print(
        f"{mode.value} test on {bank_file} ({bank.items.n_items} items, {domains} domains): "
        f"{examinees} candidates from N({theta_mean:g}, {theta_sd:g}), seed {seed}",
        highlight=False,
    )
    if tuning is not None:
        _print_tuning(tuning, sympson_hetter)
    _print_report(metrics, seconds)
    if out_dir is None:
        return
    options = {
        "bank": str(bank_file),
        "examinees": examinees,
        "mode": mode.value,
        "form_length": form_length if mode is Mode.fixed else None,
        "max_items": max_items if mode is Mode.adaptive else None,
        "se_target": se_target,
        "cut_theta": cut_theta,
        "sprt": mode is Mode.adaptive and cut_theta is not None,
        "theta_mean": theta_mean,
        "theta_sd": theta_sd,
        "randomesque": randomesque if mode is Mode.adaptive else None,
        "min_length": (min_length or 1) if mode is Mode.adaptive else None,
        "sympson_hetter": sympson_hetter,
        "seed": seed,
    }
    report = {
        "options": options,
        "metrics": metrics,
        "wall_time_seconds": round(seconds, 3),
        "form": None if form is None else [bank.ids[i] for i in form],
        "exposure": {
            item_id: float(r) for item_id, r in zip(bank.ids, study.exposure, strict=True)
        },
        "sympson_hetter": None if tuning is None else _tuning_report(tuning, bank),
    }
    for path in _write_outputs(out_dir, bank, study, form, report):
        out.print(f"wrote {path}", highlight=False)


_THETA_LIMIT = 4.0  # the range a live form's cut may take (``irt_scoring.check_cut``)


def _check_options(
    *,
    mode: Mode,
    max_items: int,
    se_target: float,
    cut_theta: float | None,
    theta_mean: float,
    theta_sd: float,
    min_length: int | None,
    sympson_hetter: float | None,
) -> None:
    """Refuse, naming the option, any number that would make the study meaningless: NaN or an
    infinity would otherwise print plausible-looking metrics or write invalid JSON."""
    numbers = {
        "--se-target": se_target,
        "--cut-theta": cut_theta,
        "--theta-mean": theta_mean,
        "--theta-sd": theta_sd,
        "--sympson-hetter": sympson_hetter,
    }
    for name, value in numbers.items():
        if value is not None and not math.isfinite(value):
            raise _fail(f"{name} must be a finite number (got {value})")
    if theta_sd <= 0:
        raise _fail(f"--theta-sd must be positive (got {theta_sd:g})")
    if se_target <= 0:
        raise _fail(f"--se-target must be positive (got {se_target:g})")
    if cut_theta is not None and not -_THETA_LIMIT <= cut_theta <= _THETA_LIMIT:
        raise _fail(
            f"--cut-theta must lie between {-_THETA_LIMIT:g} and {_THETA_LIMIT:g} "
            f"(got {cut_theta:g})"
        )
    if sympson_hetter is not None and not 0 < sympson_hetter <= 1:
        raise _fail(f"--sympson-hetter must lie in (0, 1] (got {sympson_hetter:g})")
    if mode is Mode.fixed:
        for name, given in (("--min-length", min_length), ("--sympson-hetter", sympson_hetter)):
            if given is not None:
                raise _fail(f"{name} applies to --mode adaptive only")
    if min_length is not None and min_length > max_items:
        raise _fail(f"--min-length ({min_length}) must not exceed --max-items ({max_items})")


def _tune_exposure(
    selector: AdaptiveSelector, stopping: StoppingRule, r_max: float, seed: int
) -> ExposureCalibration:
    """As a live form is tuned: N(0, 1) candidates, drawn apart from the studied ones."""
    return sympson_hetter_parameters(
        selector,
        stopping,
        r_max=r_max,
        n_examinees=FORM_TUNING_EXAMINEES,
        rounds=FORM_TUNING_ROUNDS,
        rng=np.random.default_rng([seed, 1]),
    )


def _print_tuning(tuning: ExposureCalibration, r_max: float | None) -> None:
    rounds = " -> ".join(f"{value:.3f}" for value in tuning.max_exposure_by_round)
    state = "converged" if tuning.converged else "did NOT converge"
    limited = int(np.sum(tuning.parameters < 1.0))
    out.print(
        f"Sympson-Hetter target {r_max:g}: {state} in {len(tuning.max_exposure_by_round)} "
        f"round(s) on {FORM_TUNING_EXAMINEES} candidates (max exposure {rounds}); "
        f"{limited} item(s) with K < 1",
        highlight=False,
    )


def _tuning_report(tuning: ExposureCalibration, bank: Bank) -> dict[str, Any]:
    return {
        "converged": tuning.converged,
        "examinees": FORM_TUNING_EXAMINEES,
        "max_exposure_by_round": list(tuning.max_exposure_by_round),
        "mean_length": tuning.mean_length,
        "fallback_rate": tuning.fallback_rate,
        "parameters": {
            item_id: float(k) for item_id, k in zip(bank.ids, tuning.parameters, strict=True)
        },
    }


def register(exams_app: typer.Typer) -> None:
    """Mount the command on the existing ``exams`` group without this module importing it."""
    exams_app.command("simulate")(simulate)
