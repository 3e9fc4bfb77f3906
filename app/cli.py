"""The `loa` command: database, units, demo data, users and the web server."""
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session

from app import demo as demo_data
from app.accounts import services
from app.accounts.models import Role, User, UserCreate
from app.activities import provinces as activity_provinces
from app.activities.generate import generate_activities
from app.backup import BackupError, backup as write_backup, restore as read_backup
from app.core import logs
from app.core.config import InsecureSettings, get_settings
from app.core.db import get_engine, wait_for_older_transactions
from app.core.storage import get_storage
from app.migrate import upgrade
from app.progress import summary as activity_summary
from app.units.loader import load_units
from app.units.models import Unit

cli = typer.Typer(help="Loa: communication work of the sustainable poverty-reduction programme.",
                  no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
units_cli = typer.Typer(help="Administrative units.", no_args_is_help=True)
user_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
summary_cli = typer.Typer(help="The activity summary that figures are read from.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(units_cli, name="units")
cli.add_typer(user_cli, name="user")
cli.add_typer(summary_cli, name="summary")


def fail(message: str) -> None:
    typer.echo(f"loa: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _session() -> Iterator:
    """The command's unit of work: committed once when the command has done everything, rolled
    back entirely when it fails."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
        session.commit()


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")):
    """Apply database migrations."""
    try:
        upgrade(revision)
    except Exception as exc:  # noqa: BLE001 - one line for the operator, not a traceback
        fail(f"migration failed: {exc}")
    typer.echo("Database is up to date.")


UNITS_LOAD_WAIT_SECONDS = 60


@units_cli.command("load")
def units_load(if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when units exist.")):
    """Load legacy and current administrative units and the 2025 mapping (idempotent)."""
    still_open = 0
    try:
        with _session() as session:
            if if_empty and session.execute(select(func.count()).select_from(Unit)).scalar_one() > 0:
                typer.echo("Units already loaded.")
                return
            before = activity_provinces.unit_provinces(session)
            result = load_units(session)
            changed = activity_provinces.unit_provinces(session) != before
        # A unit that changed province takes its activities into that province's lists and review
        # queue, and its summary rows into that province's figures. An entry written by a
        # transaction that read the units before they were saved must be in first.
        with _session() as session:
            if changed:
                still_open = wait_for_older_transactions(session, UNITS_LOAD_WAIT_SECONDS)
            moved = activity_provinces.refresh(session)
            if changed or moved:  # (moved alone: an earlier load stopped before this step)
                activity_summary.rebuild_provinces(session)
    except Exception as exc:  # noqa: BLE001
        fail(f"loading units failed: {exc}")
    typer.echo(f"Units: {result.inserted} added, {result.updated} refreshed, {result.successors} successor links "
               f"in {result.seconds:.1f} s." + (f" {moved} activities moved to another province." if moved else ""))
    if still_open:
        typer.echo(f"Warning: {still_open} transactions begun before the units were saved were still open after "
                   f"{UNITS_LOAD_WAIT_SECONDS} s; run `loa units load` again once they have ended.", err=True)


@cli.command("demo")
def demo(if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when users exist."),
         activities: int = typer.Option(0, "--activities", help="Also generate N activities over 2022–2026.")):
    """Load demo agencies, users, a plan and activities of one province."""
    try:
        with _session() as session:
            if if_empty and demo_data.is_loaded(session):
                typer.echo("Demo data already loaded.")
            else:
                demo_data.load_demo(session)
                typer.echo("Demo data loaded.")
            settings = get_settings()
            if settings.is_development:
                typer.echo(f"Demo users: {', '.join(demo_data.DEMO_USERNAMES)} — password: {settings.demo_password}")
            if activities:
                started = time.perf_counter()
                count = generate_activities(session, activities)
                typer.echo(f"Generated {count} activities in {time.perf_counter() - started:.1f} s.")
    except Exception as exc:  # noqa: BLE001
        fail(f"demo data failed: {exc}")


@summary_cli.command("rebuild")
def summary_rebuild():
    """Recompute the activity summary from the activities (a repair; writers wait meanwhile)."""
    started = time.perf_counter()
    try:
        with _session() as session:
            rows = activity_summary.rebuild(session)
    except Exception as exc:  # noqa: BLE001
        fail(f"rebuilding the summary failed: {exc}")
    typer.echo(f"Activity summary rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s.")


@summary_cli.command("check")
def summary_check(limit: int = typer.Option(50, "--limit", help="Rows of drift to print at most.")):
    """Compare the activity summary with a recount of the activities; exit 1 on any drift."""
    try:
        with _session() as session:
            drift = activity_summary.check(session)
    except Exception as exc:  # noqa: BLE001
        fail(f"checking the summary failed: {exc}")
    if not drift:
        typer.echo("Activity summary is exact.")
        return
    for row in drift[:limit]:
        typer.echo(row.describe())
    more = f" (first {limit} shown)" if len(drift) > limit else ""
    typer.echo(f"Activity summary drifts on {len(drift)} rows{more}: run `loa summary rebuild`.", err=True)
    raise typer.Exit(1)


@cli.command("serve")
def serve(host: str = typer.Option("127.0.0.1", envvar="HOST"), port: int = typer.Option(8000, envvar="PORT"),
          workers: int = typer.Option(1, envvar="WEB_CONCURRENCY"),
          migrate: bool = typer.Option(False, "--migrate", help="Apply migrations before serving.")):
    """Serve Loa over HTTP."""
    settings = get_settings()
    try:
        settings.check_secure()
    except InsecureSettings as exc:
        fail(str(exc))
    logs.configure(settings.log_lines, settings.log_level)
    _metrics_folder(workers)
    if migrate:
        db_upgrade("head")
    typer.echo(f"Loa is serving on http://{host}:{port}")
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, proxy_headers=True, log_level="info",
                log_config=logs.uvicorn_log_config(), access_log=False)


def _metrics_folder(workers: int) -> None:
    """Several worker processes share their metrics through files in PROMETHEUS_MULTIPROC_DIR: a
    fresh folder when none is given; a given one is emptied of a previous run's files."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    elif workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="loa-metrics-")


@cli.command("backup")
def backup(output: Optional[str] = typer.Option(None, "--output", "-o",
                                               help="Archive to write (default: loa-backup-<UTC time>.tar.gz here).")):
    """Back up the database and every evidence file into one archive with a manifest of checksums."""
    target = Path(output or f"loa-backup-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.tar.gz")
    started = time.perf_counter()
    try:
        summary = write_backup(target, database_url=get_settings().database_url, storage=get_storage())
    except BackupError as exc:
        fail(f"backup failed: {exc}")
    except Exception as exc:  # noqa: BLE001
        fail(f"backup failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    typer.echo(f"Backup written to {target}: {summary.database} database, {summary.files} files "
               f"({summary.bytes / 1_000_000:.1f} MB) in {time.perf_counter() - started:.1f} s.")


@cli.command("restore")
def restore(archive: str = typer.Argument(..., help="Archive written by `loa backup`.")):
    """Restore a backup into an empty installation (empty database and evidence storage)."""
    if not Path(archive).is_file():
        fail(f"no such archive: {archive}")
    try:
        summary = read_backup(Path(archive), database_url=get_settings().database_url, storage=get_storage())
    except BackupError as exc:
        fail(f"restore failed: {exc}")
    except Exception as exc:  # noqa: BLE001
        fail(f"restore failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    typer.echo(f"Restored the {summary.database} database and {summary.files} files.")


@user_cli.command("create")
def user_create(username: str = typer.Option(..., "--username"), role: str = typer.Option(..., "--role"),
                unit: Optional[int] = typer.Option(None, "--unit", help="Scope unit id (all roles but admin)."),
                agency: Optional[int] = typer.Option(None, "--agency"),
                full_name: str = typer.Option("", "--full-name"), phone: Optional[str] = typer.Option(None, "--phone"),
                password: Optional[str] = typer.Option(None, "--password")):
    """Create a user (asks for the password when not given)."""
    if role not in Role.__members__:
        fail(f"unknown role {role!r}; choose one of {', '.join(Role.__members__)}")
    if role != "admin" and unit is None:
        fail("--unit is required for every role but admin")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(username=username, role=Role(role), unit_id=unit, agency_id=agency, full_name=full_name,
                          phone=phone, password=password)
        with _session() as session:
            user = services.create_user(session, data, user=None)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except services.UserInputError as exc:
        fail(exc.message)
    except Exception as exc:  # noqa: BLE001
        fail(str(exc).splitlines()[0])
    typer.echo(f"User {user.username} created (id {user.id}).")


@user_cli.command("passwd")
def user_passwd(username: str = typer.Argument(...), password: Optional[str] = typer.Option(None, "--password")):
    """Set a user's password (asks for it when not given)."""
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with _session() as session:
        user = session.execute(select(User).where(User.username == username.lower())).scalars().first()
        if user is None:
            fail(f"no user named {username!r}")
        try:
            services.set_password(session, user, password, user=None)
        except services.UserInputError as exc:
            fail(exc.message)
    typer.echo(f"Password of {username} changed.")


def main() -> None:
    cli(prog_name="loa")


if __name__ == "__main__":
    sys.exit(main())
