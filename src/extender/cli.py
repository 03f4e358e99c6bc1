"""The `extender` command. Every failure exits with code 2 and one line naming the problem."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from extender.assessment import cli as exams_cli
from extender.assessment.bank import ItemIn
from extender.config import ConfigurationError, Settings, get_settings, mask_url
from extender.credentials import cli as credentials_cli
from extender.curriculum.content import ContentError, TrackSpec
from extender.curriculum.lessons import LessonCatalog
from extender.placement import cli as placement_cli
from extender.placement import match_cli
from extender.practicum.generator import cli as practicum_cli
from extender.practicum.scenarios import ScenarioSpec

app = typer.Typer(
    help="Extender: learn, practise, certify and place health-IT extenders.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
content_app = typer.Typer(
    help="Shipped content: tracks, lessons, items, scenarios.", no_args_is_help=True
)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(users_app, name="users")
app.add_typer(practicum_cli.app, name="practicum", help="Practicum sandbox tools.")
app.add_typer(exams_cli.app, name="exams")
app.add_typer(credentials_cli.app, name="credentials")
placement_cli.app.command("match")(match_cli.match)
app.add_typer(placement_cli.app, name="placement")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.resolved_secret_key()
        return settings
    except ConfigurationError as exc:
        fail(str(exc))


def _check_database(url: str) -> None:
    from extender.db import get_engine

    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        fail(f"cannot reach the database at {mask_url(url)}: {reason}")
    except Exception as exc:  # a malformed URL raises before any connection is tried
        fail(f"cannot use the database URL {mask_url(url)}: {exc}")


def _require_migrated(url: str) -> None:
    from extender import migrate

    heads, current = migrate.script_heads(url), migrate.current_heads(url)
    if current != heads:
        fail(
            f"the database at {mask_url(url)} is at revision "
            f"{', '.join(sorted(current)) or 'none'}, not {', '.join(sorted(heads))}; "
            "run `extender db upgrade`"
        )


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Create or migrate the schema to the latest revision."""
    from extender import migrate

    url = _settings().resolved_database_url()
    _check_database(url)
    try:
        migrate.upgrade(url, revision)
    except (SQLAlchemyError, FileNotFoundError) as exc:
        fail(f"migration failed on {mask_url(url)}: {exc}")
    at = ", ".join(sorted(migrate.current_heads(url)))
    out.print(f"database {mask_url(url)} is at revision {at}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from extender import migrate

    url = _settings().resolved_database_url()
    _check_database(url)
    out.print(", ".join(sorted(migrate.current_heads(url))) or "none (run `extender db upgrade`)")


def _fail_with_problems(exc: ContentError, where: str, consequence: str) -> NoReturn:
    for problem in exc.problems:
        err.print(f"[red]{problem}[/]", highlight=False, soft_wrap=True)
    fail(f"{len(exc.problems)} problem(s) in {where}; {consequence}")


def _load_specs(content_dir: Path) -> list[TrackSpec]:
    from extender.curriculum.content import load_tracks

    try:
        return load_tracks(content_dir)
    except ContentError as exc:
        _fail_with_problems(exc, str(content_dir), "nothing loaded")


def _load_scenarios(content_dir: Path) -> dict[str, ScenarioSpec]:
    from extender.practicum.scenarios import load_scenarios

    try:
        return load_scenarios(content_dir)
    except ContentError as exc:
        _fail_with_problems(exc, f"{content_dir}/scenarios", "nothing loaded")


def _load_lessons(content_dir: Path, specs: list[TrackSpec], scenarios: set[str]) -> LessonCatalog:
    from extender.curriculum.lessons import load_lessons

    catalog = load_lessons(content_dir, specs, scenarios)
    if catalog.problems:
        _fail_with_problems(
            ContentError(catalog.problems), f"{content_dir}/lessons", "nothing loaded"
        )
    return catalog


def _load_items(content_dir: Path, specs: list[TrackSpec]) -> dict[str, list[ItemIn]]:
    from extender.assessment.bank import load_bank_files

    objectives = {o.code: t.code for t in specs for d in t.domains for o in d.objectives}
    try:
        return load_bank_files(content_dir, objectives)
    except ContentError as exc:
        _fail_with_problems(exc, f"{content_dir}/items", "nothing loaded")


@content_app.command("validate")
def content_validate(
    content_dir: Annotated[Path | None, typer.Option("--dir", help="content folder")] = None,
) -> None:
    """Check every content file; exit 2 naming the file and field of each problem."""
    directory = content_dir or _settings().content_dir
    specs = _load_specs(directory)
    scenarios = _load_scenarios(directory)
    lessons = _load_lessons(directory, specs, set(scenarios))
    items = _load_items(directory, specs)
    for spec in specs:
        out.print(
            f"{spec.code}: {len(spec.domains)} domains, {spec.objective_count} objectives, "
            f"weights {sum(d.weight for d in spec.domains)}%"
        )
    out.print(f"{len(scenarios)} practicum scenarios: {', '.join(sorted(scenarios)) or 'none'}")
    out.print("item bank: " + ", ".join(f"{t} {len(i)} items" for t, i in sorted(items.items())))
    count = sum(len(m.lessons) for m in lessons.modules)
    out.print(f"{len(lessons.modules)} modules, {count} lessons")
    for code, gaps in sorted(lessons.gaps.items()):
        if gaps:
            out.print(f"coverage gap in {code}: no lesson teaches {', '.join(gaps)}")
        else:
            out.print(f"{code}: every objective is taught by a lesson")
    out.print(f"content in {directory} is valid")


def _sync_content(settings: Settings, content_dir: Path) -> None:
    from extender.accounts.audit import Actor
    from extender.assessment.bank import sync_bank
    from extender.curriculum.learning import sync_lessons
    from extender.curriculum.service import sync_catalog
    from extender.db import get_engine, session_factory, unit_of_work

    specs = _load_specs(content_dir)
    lessons = _load_lessons(content_dir, specs, set(_load_scenarios(content_dir)))
    items = _load_items(content_dir, specs)
    with unit_of_work(session_factory(get_engine(settings.resolved_database_url()))) as session:
        report = sync_catalog(session, Actor.system("cli"), specs, content_dir.name)
        modules, lesson_count = sync_lessons(session, Actor.system("cli"), lessons)
        item_counts = sync_bank(session, Actor.system("cli"), items)
    out.print(
        f"catalog: {report.tracks} tracks, {report.domains} domains, "
        f"{report.objectives} objectives ({report.created} created, {report.updated} "
        f"updated, {report.removed} removed); {modules} modules, {lesson_count} lessons; "
        f"items: {item_counts['created']} new, {item_counts['new_version']} new versions"
    )


@content_app.command("load")
def content_load(
    content_dir: Annotated[Path | None, typer.Option("--dir", help="content folder")] = None,
) -> None:
    """Validate the content and load the catalog into the database (idempotent)."""
    settings = _settings()
    url = settings.resolved_database_url()
    _check_database(url)
    _require_migrated(url)
    _sync_content(settings, content_dir or settings.content_dir)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="sign-in email")],
    name: Annotated[str, typer.Option(help="display name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[str | None, typer.Option(help="role to grant, e.g. platform_admin")] = None,
    org: Annotated[str | None, typer.Option(help="organization slug for --role")] = None,
) -> None:
    """Create an account, optionally with a role in an organization."""
    from extender.accounts import service as accounts
    from extender.accounts.audit import Actor
    from extender.db import get_engine, session_factory, unit_of_work
    from extender.errors import DomainError

    settings = _settings()
    url = settings.resolved_database_url()
    _check_database(url)
    _require_migrated(url)
    if bool(role) != bool(org):
        fail("--role and --org go together")
    actor = Actor.system("cli")
    try:
        with unit_of_work(session_factory(get_engine(url))) as session:
            user = accounts.create_user(
                session, actor, email=email, display_name=name, password=password
            )
            if role and org:
                accounts.grant_role(
                    session,
                    actor,
                    user=user,
                    org=accounts.get_organization(session, org),
                    role=role,
                )
    except DomainError as exc:
        fail(exc.message)
    out.print(f"created {email}")


def _serve(host: str, port: int) -> None:
    import uvicorn

    out.print(f"Extender is serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run("extender.app:asgi", factory=True, host=host, port=port, log_level="warning")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
) -> None:
    """Serve the web app and API on an existing, migrated database."""
    url = _settings().resolved_database_url()
    _check_database(url)
    _require_migrated(url)
    _serve(host, port)


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="seed only, do not serve")] = False,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
) -> None:
    """Migrate, load content, seed the demo world (idempotent) and serve it."""
    from extender import demo as demo_world
    from extender import migrate
    from extender.credentials import demo as credentials_demo
    from extender.db import get_engine, session_factory, unit_of_work

    # Credentials name their issuer by the site's address (did:web), so the demo signs for
    # the address it serves on unless EXTENDER_BASE_URL says otherwise.
    os.environ.setdefault("EXTENDER_BASE_URL", f"http://{host}:{port}")
    get_settings.cache_clear()
    settings = _settings()
    url = settings.resolved_database_url()
    _check_database(url)
    migrate.upgrade(url)
    _sync_content(settings, settings.content_dir)
    today = datetime.now(UTC).date()
    with unit_of_work(session_factory(get_engine(url))) as session:
        report = demo_world.seed_demo(session, today)
        credentials_demo.seed(session, settings, today)
    out.print(
        f"demo world: {report.created_orgs} organizations, {report.created_users} accounts, "
        f"{report.created_cohorts} cohorts, {report.created_enrollments} enrollments created "
        "(existing ones kept)"
    )
    out.print(f"\nDemo sign-ins (password for all: [bold]{demo_world.DEMO_PASSWORD}[/]):")
    for role, email in demo_world.demo_logins():
        out.print(f"  {role:<20} {email}")
    out.print("  (learners: learner01 … learner30 @extender.test)")
    out.print(
        "Credentials: learner01 holds a valid, shared CPEHR certification, learner02 an "
        "expired one, learner03 a revoked one. A cohort-match round for riverbend-academy is "
        "ready to run; the CPEHR adaptive form waits as a draft on the exam committee's page."
    )
    if not no_serve:
        _serve(host, port)


def main() -> None:
    try:
        app()
    except OperationalError as exc:  # a database that went away mid-command
        err.print(f"error: database error: {str(exc.orig).strip()}")
        sys.exit(2)


if __name__ == "__main__":
    main()
