"""`extender credentials ...` commands.

``verify`` exits 0 when the credential is valid, 1 when it is not (every check printed), and
2 when it cannot run (unreadable file, bad options), like every other command's usage errors.
Without ``--offline`` it checks this deployment's credentials against the database and fetches
another issuer's did:web document and status lists over HTTP (a short timeout; when the issuer
cannot be reached, the key and status checks fail saying so).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from extender.accounts.audit import Actor
from extender.config import get_settings
from extender.db import get_engine, session_factory, unit_of_work
from extender.errors import DomainError

if TYPE_CHECKING:
    from extender.credentials.vc.keys import IssuerKey
    from extender.credentials.vc.verify import VerificationReport

app = typer.Typer(help="Credentials commands.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
CLI_ACTOR = Actor.system("cli")


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def _factory() -> sessionmaker[Session]:
    return session_factory(get_engine(get_settings().resolved_database_url()))


@app.command("list")
def list_credentials(
    holder: str = typer.Option("", "--holder", help="only this holder's email"),
) -> None:
    """Issued credentials with their status."""
    from extender.credentials import service

    with _factory()() as session:
        rows = service.list_credentials(session, None, holder_email=holder, limit=10_000)
        for r in rows:
            c = r.credential
            until = c.valid_until.strftime("%Y-%m-%d") if c.valid_until else "no expiry"
            out.print(
                f"{c.id}  {r.holder.email}  {c.achievement_id}  "
                f"issued {c.issued_at:%Y-%m-%d}  until {until}  {r.status}",
                highlight=False,
            )
    out.print(f"{len(rows)} credential(s)")


@app.command("export")
def export(
    credential_id: str = typer.Argument(..., help="credential id (see `list`)"),
    fmt: str = typer.Option("json", "--format", help="json (with its Data Integrity proof) or jwt"),
    out_file: Path = typer.Option(..., "--out", help="file to write"),
    alg: str = typer.Option(
        "", "--alg", help="for jwt: sign afresh with the active key of EdDSA or RS256"
    ),
) -> None:
    """Write a credential as signed JSON-LD or as a JWT."""
    from extender.credentials import issuance, lifecycle
    from extender.credentials.vc.keys import SUPPORTED_ALGS, cast_alg

    if fmt not in ("json", "jwt"):
        _fail(f"unknown format {fmt}; use json or jwt")
    if alg and (fmt != "jwt" or alg not in SUPPORTED_ALGS):
        _fail("--alg applies to --format jwt and must be EdDSA or RS256")
    settings = get_settings()
    try:
        with unit_of_work(_factory()) as session:
            cred = lifecycle.get(session, credential_id)
            if fmt == "json":
                text = json.dumps(cred.document, indent=2, ensure_ascii=False) + "\n"
            elif alg:
                text = issuance.jwt_with(session, settings, cred, cast_alg(alg)) + "\n"
            else:
                text = cred.jwt + "\n"
    except DomainError as exc:
        _fail(exc.message)
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out_file}: {exc.strerror}")
    out.print(f"wrote credential {credential_id} as {fmt} to {out_file}")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read the {what} {path}: {getattr(exc, 'strerror', None) or exc}")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read(path, what))
    except json.JSONDecodeError as exc:
        _fail(f"the {what} {path} is not JSON: {exc}")
    except RecursionError:
        _fail(f"the {what} {path} is nested too deeply to be read")


def _document(text: str) -> dict[str, Any] | str:
    from extender.credentials.vc.verify import MAX_DOCUMENT_BYTES

    stripped = text.strip()
    if len(stripped.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        return stripped  # refused, with its size, by the verifier's format check
    if stripped.startswith(("{", "[", '"')):
        try:
            value = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            return stripped  # reported by the verifier's format check
        if isinstance(value, dict | str):
            return value
    return stripped


def _print_report(report: VerificationReport) -> NoReturn:
    for check in report.checks:
        mark = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
        out.print(f"{mark} {check.name}: {check.reason}", highlight=False)
    out.print("VALID" if report.valid else "NOT VALID", highlight=False)
    raise typer.Exit(code=0 if report.valid else 1)


def _offline_inputs(
    keys: Path | None, status_list: list[Path]
) -> tuple[dict[str, IssuerKey], list[dict[str, Any]]]:
    """The issuer keys and signed status lists given for --offline verification."""
    from extender.credentials import verification

    assert keys is not None
    try:
        key_set = verification.keys_from_jwks(_read_json(keys, "key file"))
    except verification.OfflineInputError as exc:
        _fail(str(exc))
    lists = [_read_json(p, "status list file") for p in status_list]
    if not all(isinstance(d, dict) for d in lists):
        _fail("a status list file is not a JSON object")
    return key_set, lists


def _verify_transcript(
    document: dict[str, Any], offline: bool, keys: Path | None, status_list: list[Path]
) -> NoReturn:
    """A signed transcript: the issuer's proof over it, and each credential in it as if it
    were verified alone (online against this deployment, or offline with the given files)."""
    from extender.credentials import issuer, transcript, verification

    if offline:
        key_set, lists = _offline_inputs(keys, status_list)
        resolve_key, _ = verification.offline_resolvers(key_set, lists)
        method = str((document.get("proof") or {}).get("verificationMethod", ""))
        report = transcript.verify_transcript(
            document,
            method.split("#", 1)[0],
            resolve_key,
            lambda cred: verification.verify_offline(cred, key_set, lists),
        )
        _print_report(report)
    try:
        with _factory()() as session:
            settings = get_settings()
            report = transcript.verify_transcript(
                document,
                issuer.issuer_did(settings),
                issuer.key_resolver(session, settings),
                lambda cred: verification.verify_online(session, settings, cred),
            )
            session.rollback()
    except DomainError as exc:
        _fail(exc.message)
    _print_report(report)


@app.command("verify")
def verify(
    file: Path = typer.Argument(
        ..., help="a credential (JSON-LD with a proof, or a JWT) or a signed transcript"
    ),
    offline: bool = typer.Option(False, "--offline", help="use only the files given below"),
    keys: Path | None = typer.Option(None, "--keys", help="issuer JWKS or DID document (JSON)"),
    status_list: list[Path] = typer.Option(
        [], "--status-list", help="a signed status list credential (JSON); repeatable"
    ),
) -> None:
    """Check signature, issuer key, dates, status and OB 3.0 schema; exit 0 valid, 1 not."""
    from extender.credentials import transcript, verification
    from extender.credentials.vc.verify import refused_early

    if offline and keys is None:
        _fail("--offline needs --keys FILE (the issuer's JWKS or DID document)")
    if not offline and (keys is not None or status_list):
        _fail("--keys and --status-list are for --offline verification")
    document = _document(_read(file, "credential file"))
    if isinstance(document, dict) and transcript.is_transcript(document):
        _verify_transcript(document, offline, keys, status_list)
    # Too large, too deeply nested, blank-node ids...: the same limits as the API, reported
    # as a failed format check before any key, status list or database is looked at.
    early = refused_early(document)
    if early is not None:
        _print_report(early)
    if offline:
        key_set, lists = _offline_inputs(keys, status_list)
        report = verification.verify_offline(document, key_set, lists)
    else:
        try:
            with _factory()() as session:
                report = verification.verify_online(session, get_settings(), document)
                session.rollback()
        except DomainError as exc:
            _fail(exc.message)
    _print_report(report)


@app.command("revoke")
def revoke(
    credential_id: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why; shown to verifiers and audited"),
) -> None:
    """Revoke a credential (final); the status list shows it at once."""
    from extender.credentials import lifecycle

    try:
        with unit_of_work(_factory()) as session:
            lifecycle.change_status(
                session, CLI_ACTOR, lifecycle.get(session, credential_id), "revoke", reason
            )
    except DomainError as exc:
        _fail(exc.message)
    out.print(f"revoked {credential_id}")


@app.command("rotate-key")
def rotate_key(
    alg: str = typer.Option("EdDSA", "--alg", help="EdDSA (Ed25519) or RS256"),
) -> None:
    """A new signing key; the old one is retired but stays published."""
    from extender.credentials import issuer

    try:
        with unit_of_work(_factory()) as session:
            row = issuer.rotate_key(session, CLI_ACTOR, get_settings(), alg)
            kid = row.kid
    except DomainError as exc:
        _fail(exc.message)
    out.print(f"new {alg} key {kid} is active; older keys stay published for verification")


@app.command("issue-due")
def issue_due(email: str = typer.Argument(..., help="the learner's email")) -> None:
    """Issue (or queue for approval) every achievement a learner newly meets."""
    from extender.accounts import service as accounts
    from extender.credentials import issuance
    from extender.credentials.models import Credential

    try:
        with unit_of_work(_factory()) as session:
            user = accounts.find_user_by_email(session, email)
            if user is None:
                _fail(f"no user {email}")
            due = issuance.issue_due(session, CLI_ACTOR, user.id, get_settings())
            lines = [
                f"issued {d.achievement_id} ({d.id})"
                if isinstance(d, Credential)
                else f"pending approval {d.achievement_id} ({d.id})"
                for d in due
            ]
    except DomainError as exc:
        _fail(exc.message)
    for line in lines or ["nothing new is due"]:
        out.print(line)
