from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from extender.cli import app as cli
from extender.config import PROJECT_ROOT
from extender.curriculum.content import ContentError, TrackSpec, load_tracks

SHIPPED = PROJECT_ROOT / "content"


def _copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(SHIPPED / "tracks", target / "tracks")
    return target


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_it_loads_the_shipped_frameworks() -> None:
    specs = {s.code: s for s in load_tracks(SHIPPED)}
    assert set(specs) == {"CPEHR", "CPHIT", "CPHIE"}
    for spec in specs.values():
        assert len(spec.domains) >= 5 and spec.objective_count >= 25
        assert sum(d.weight for d in spec.domains) == 100


def test_it_names_file_and_key_of_an_unknown_key(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    _edit(content / "tracks/cphit.yaml", lambda d: d["domains"][1].update(colour="blue"))
    with pytest.raises(ContentError) as err:
        load_tracks(content)
    [problem] = err.value.problems
    assert problem.file == "content/tracks/cphit.yaml"
    assert problem.field == "domains[1].colour"
    assert "unknown key" in problem.message


def test_it_refuses_weights_that_do_not_sum_to_100(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    _edit(content / "tracks/cpehr.yaml", lambda d: d["domains"][0].update(weight=25))
    with pytest.raises(ContentError) as err:
        load_tracks(content)
    assert "content/tracks/cpehr.yaml" in str(err.value)
    assert "weights sum to 105%" in str(err.value)


def test_it_reports_problems_in_every_file_at_once(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    _edit(content / "tracks/cpehr.yaml", lambda d: d.pop("summary"))
    _edit(
        content / "tracks/cphie.yaml",
        lambda d: d["domains"][0]["objectives"][0].update(level="memorize"),
    )
    with pytest.raises(ContentError) as err:
        load_tracks(content)
    text = str(err.value)
    assert "content/tracks/cpehr.yaml: summary: Field required" in text
    assert "content/tracks/cphie.yaml: domains[0].objectives[0].level" in text


def test_it_refuses_a_code_defined_twice(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    shutil.copy(content / "tracks/cpehr.yaml", content / "tracks/zz-copy.yaml")
    with pytest.raises(ContentError, match="CPEHR is already defined in content/tracks/cpehr"):
        load_tracks(content)


def test_it_reports_invalid_yaml_with_its_line(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    (content / "tracks/cpehr.yaml").write_text("code: CPEHR\ndomains: [unclosed\n")
    with pytest.raises(ContentError, match=r"cpehr.yaml: line \d+: invalid YAML"):
        load_tracks(content)


def test_the_cli_exits_2_naming_the_problem(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    _edit(content / "tracks/cpehr.yaml", lambda d: d.update(owner="me"))
    result = CliRunner().invoke(cli, ["content", "validate", "--dir", str(content)])
    assert result.exit_code == 2
    assert "content/tracks/cpehr.yaml: owner: unknown key" in result.output
    ok = CliRunner().invoke(cli, ["content", "validate", "--dir", str(SHIPPED)])
    assert ok.exit_code == 0, ok.output


def _track(weights: list[int]) -> dict[str, object]:
    return {
        "code": "TEST",
        "name": "Test track",
        "summary": "A track for tests only.",
        "description": "Long enough description.",
        "eligibility": "Anyone who can read.",
        "domains": [
            {
                "code": f"TEST-{i + 1}",
                "name": f"Domain {i + 1}",
                "weight": w,
                "description": "Some work here.",
                "objectives": [
                    {
                        "code": f"TEST-{i + 1}.1",
                        "statement": "Do a concrete thing well.",
                        "level": "apply",
                        "tags": ["x"],
                    }
                ],
            }
            for i, w in enumerate(weights)
        ],
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=8))
def test_it_accepts_weights_exactly_when_they_sum_to_100(weights: list[int]) -> None:
    from pydantic import ValidationError

    try:
        TrackSpec.model_validate(_track(weights))
        accepted = True
    except ValidationError as exc:
        accepted = False
        assert f"sum to {sum(weights)}%" in str(exc)
    assert accepted == (sum(weights) == 100)
