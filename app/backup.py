"""`loa backup` and `loa restore`: one archive (.tar.gz) holding a consistent copy of the database
(pg_dump on PostgreSQL, SQLite's online backup API on SQLite), every file of evidence storage and
a manifest with the SHA-256 of each. A restore checks every checksum and goes only into an empty
installation (a database without tables, a storage without files)."""
import hashlib
import io
import json
import mimetypes
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.core.db import build_engine, normalise_url
from app.core.storage import Storage

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


@dataclass
class Summary:
    database: str
    files: int
    bytes: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_command(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, which goes in PGPASSWORD (not on the
    process list)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _dump_database(url: str, folder: Path) -> Path:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        target = folder / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target
    target = folder / PG_FILE
    dsn, env = _pg_command(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), "--dbname", dsn], env)
    return target


def _revision(url: str) -> list[str]:
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup(target: Path, *, database_url: str, storage: Storage) -> Summary:
    """Writes the archive to `target` (through a temporary name, so a failed backup leaves no
    half-written archive under the final name)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        loa_version = version("loa")
    except PackageNotFoundError:
        loa_version = "unknown"
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    total = 0
    with tempfile.TemporaryDirectory(prefix="loa-backup-") as folder:
        dump = _dump_database(database_url, Path(folder))
        manifest = {
            "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "loa_version": loa_version,
            "database": {"engine": "sqlite" if dump.name == SQLITE_FILE else "postgresql", "file": dump.name,
                         "sha256": _sha256_file(dump), "size": dump.stat().st_size,
                         "revision": _revision(database_url)},
            "files": [],
        }
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            for key in storage.keys():
                data = storage.read(key)
                _add_bytes(archive, f"media/{key}", data)
                manifest["files"].append({"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                total += len(data)
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    partial.replace(target)
    return Summary(manifest["database"]["engine"], len(manifest["files"]), total)


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError("not a Loa backup: the archive has no manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    return manifest


def _require_empty(database_url: str, storage: Storage) -> None:
    url = normalise_url(database_url)
    if not (url.startswith("sqlite") and not _sqlite_path(url).exists()):
        engine = build_engine(url)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise BackupError(f"the database is not empty ({len(tables)} tables); restore needs an empty one")
    if next(iter(storage.keys()), None) is not None:
        raise BackupError("evidence storage is not empty; restore needs an empty one")


def _check(folder: Path, name: str, sha256: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise BackupError(f"the archive lacks {name}")
    if _sha256_file(path) != sha256:
        raise BackupError(f"checksum mismatch for {name}: the archive is damaged")
    return path


def _restore_database(engine_name: str, dump: Path, database_url: str) -> None:
    url = normalise_url(database_url)
    if engine_name == "sqlite":
        source = sqlite3.connect(dump)
        destination = sqlite3.connect(_sqlite_path(url))
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    dsn, env = _pg_command(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", dsn, str(dump)], env)


def restore(source: Path, *, database_url: str, storage: Storage) -> Summary:
    """Brings a backup back into an empty installation; every checksum is checked before anything
    is written."""
    with tempfile.TemporaryDirectory(prefix="loa-restore-") as tmp:
        folder = Path(tmp)
        try:
            with tarfile.open(source, "r:gz") as archive:
                archive.extractall(folder, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"cannot read the archive: {exc}") from None
        manifest = _read_manifest(folder)
        database = manifest["database"]
        url = normalise_url(database_url)
        if database["engine"] == "sqlite" and not url.startswith("sqlite"):
            raise BackupError("this backup holds a SQLite database; restore it into SQLite")
        if database["engine"] == "postgresql" and not url.startswith("postgresql"):
            raise BackupError("this backup holds a PostgreSQL database; restore it into PostgreSQL")
        _require_empty(database_url, storage)
        dump = _check(folder, database["file"], database["sha256"])
        files = [(_check(folder, f"media/{item['key']}", item["sha256"]), item) for item in manifest["files"]]
        _restore_database(database["engine"], dump, database_url)
        total = 0
        for path, item in files:
            content = path.read_bytes()
            storage.save(item["key"], content, mimetypes.guess_type(item["key"])[0] or "application/octet-stream")
            total += len(content)
    return Summary(database["engine"], len(files), total)
