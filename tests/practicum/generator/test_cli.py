from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extender.practicum.generator.cli import app

runner = CliRunner()


def test_it_writes_bundle_key_and_accounts_and_prints_a_summary(tmp_path: Path) -> None:
    out, key, accounts = tmp_path / "bundle.json", tmp_path / "key.json", tmp_path / "staff.json"
    result = runner.invoke(
        app,
        [
            "generate",
            "--patients",
            "30",
            "--seed",
            "9",
            "--out",
            str(out),
            "--key",
            str(key),
            "--accounts",
            str(accounts),
            "--defects",
            "none,duplicates=2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "total_resources" in result.output and "Patient" in result.output
    assert json.loads(out.read_text())["type"] == "transaction"
    assert len(json.loads(key.read_text())["duplicates"]) == 2
    assert "access_policy" in json.loads(accounts.read_text())


def test_it_exits_2_naming_a_bad_patient_count(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--patients", "3", "--out", str(tmp_path / "b.json")])
    assert result.exit_code == 2
    assert "patients" in result.output
    assert not (tmp_path / "b.json").exists()


def test_it_exits_2_naming_a_bad_defect_or_date(tmp_path: Path) -> None:
    out = str(tmp_path / "b.json")
    bad_defect = runner.invoke(app, ["generate", "--out", out, "--defects", "gremlins=3"])
    assert bad_defect.exit_code == 2 and "gremlins" in bad_defect.output
    bad_date = runner.invoke(app, ["generate", "--out", out, "--as-of", "yesterday"])
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output
    bad_number = runner.invoke(app, ["generate", "--out", out, "--seed", "abc"])
    assert bad_number.exit_code == 2


def test_it_mounts_as_extender_practicum_generate(tmp_path: Path) -> None:
    import typer

    main = typer.Typer()

    @main.command()
    def version() -> None:
        """Stand-in for the main CLI's own commands."""

    main.add_typer(app, name="practicum")
    out = tmp_path / "bundle.json"
    result = runner.invoke(main, ["practicum", "generate", "--patients", "30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_it_writes_the_interface_inbox_as_one_hl7_batch(tmp_path: Path) -> None:
    from extender.practicum import hl7v2

    out, inbox = tmp_path / "bundle.json", tmp_path / "inbox.hl7"
    args = ["generate", "--patients", "30", "--seed", "9", "--out", str(out), "--inbox", str(inbox)]
    result = runner.invoke(
        app, [*args, "--lab-messages", "3", "--defects", "none,misidentified=1,resent=1"]
    )
    assert result.exit_code == 0, result.output
    assert "Interface inbox" in result.output and "5 HL7 v2 messages" in result.output
    messages = hl7v2.split_batch(inbox.read_bytes().decode("utf-8"))
    assert len(messages) == 5
    assert all(hl7v2.parse(m).message_type == "ORU^R01" for m in messages)
    refused = runner.invoke(app, [*args, "--defects", "none,resent=1"])
    assert refused.exit_code != 0
    assert "resent_lab_messages cannot exceed lab_messages" in refused.output
