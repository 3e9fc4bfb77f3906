"""`loa backup` and `loa restore`: a populated installation is backed up, restored into another
database and another evidence folder, and every table and every file compared."""
import io
import json
import shutil
import tarfile

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

from app.activities.models import Evidence
from app.backup import BackupError, restore
from app.cli import cli
from app.core.config import get_settings
from app.core.db import build_engine, normalise_url
from app.core.storage import LocalStorage, get_storage
from app.plans import services as plan_services
from app.plans.models import Plan
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import make_activity, make_plan, make_user, pdf_scan, token

runner = CliRunner()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _populate(client, session) -> None:
    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="sao_luu")
    reviewer = make_user(session, "reviewer", current.parent_id, username="khoi_phuc")
    headers = token(client, reporter)
    for day in range(3):
        created = client.post("/api/v1/activities", json=broadcast(current.id, start_date=f"2026-03-0{day + 1}"),
                              headers=headers).json()
        client.post(f"/api/v1/activities/{created['id']}/evidence", headers=headers,
                    files={"file": (f"anh-{day}.jpg", _jpeg(), "image/jpeg")})
    client.post(f"/api/v1/activities/{created['id']}/evidence", headers=headers,
                files={"file": ("bien-ban.pdf", pdf_scan(), "application/pdf")})
    make_activity(session, current.id, user=reporter, status="submitted")
    plan = make_plan(session, current.parent_id)
    plan_services.attach_document(session, plan, "Kế hoạch số 12.pdf", pdf_scan(2), user=reviewer)
    session.commit()  # the test is the unit of work


def _tables(url: str) -> dict[str, list]:
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            found = {"alembic_version": sorted(conn.execute(text("SELECT version_num FROM alembic_version")).all())}
            for table in SQLModel.metadata.sorted_tables:
                found[table.name] = sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
        return found
    finally:
        engine.dispose()


def _files(storage) -> dict[str, bytes]:
    return {key: storage.read(key) for key in storage.keys()}


@pytest.fixture
def restore_target(tmp_path):
    """An empty database of the same kind as the test database (and a cleanup)."""
    url = make_url(normalise_url(get_settings().database_url))
    if url.drivername.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"PostgreSQL backup test skipped: {tool} is not installed (apt-get install postgresql-client)")
    name = f"{url.database}_restore"
    admin = build_engine(url.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_elsewhere_has_every_row_and_every_file(client, session, tmp_path, restore_target):
    _populate(client, session)
    archive = tmp_path / "loa.tar.gz"
    result = runner.invoke(cli, ["backup", "--output", str(archive)])
    assert result.exit_code == 0, result.output

    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    # Three photos with their thumbnails, a scan and a plan document, each with its checksum.
    expected = set(session.execute(select(Evidence.path)).scalars())
    expected |= set(session.execute(select(Evidence.thumb_path).where(Evidence.thumb_path.is_not(None))).scalars())
    expected |= set(session.execute(select(Plan.document_path).where(Plan.document_path.is_not(None))).scalars())
    assert len(expected) == 8
    assert expected <= {f["key"] for f in manifest["files"]}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert manifest["database"]["revision"]

    restored_files = LocalStorage(tmp_path / "restored-media")
    summary = restore(archive, database_url=restore_target, storage=restored_files)
    assert summary.files == len(manifest["files"])

    original, copy = _tables(get_settings().database_url), _tables(restore_target)
    assert copy.keys() == original.keys()
    for name in original:
        assert copy[name] == original[name], f"table {name} differs after restore"
    assert len(copy["activity"]) == 4 and len(copy["evidence"]) == 4 and len(copy["unit"]) > 14_000
    assert _files(restored_files) == _files(get_storage())


def test_restore_refuses_an_installation_that_is_not_empty(client, session, tmp_path):
    _populate(client, session)
    archive = tmp_path / "loa.tar.gz"
    assert runner.invoke(cli, ["backup", "-o", str(archive)]).exit_code == 0
    result = runner.invoke(cli, ["restore", str(archive)])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line]
    assert line.startswith("loa: restore failed: the database is not empty")


def test_restore_refuses_a_damaged_archive_before_writing_anything(client, session, tmp_path, restore_target):
    _populate(client, session)
    archive = tmp_path / "loa.tar.gz"
    assert runner.invoke(cli, ["backup", "-o", str(archive)]).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith(".pdf") and member.name.startswith("media/evidence"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    storage = LocalStorage(tmp_path / "restored-media")
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore(damaged, database_url=restore_target, storage=storage)
    assert list(storage.keys()) == []
    engine = build_engine(restore_target)
    try:
        from sqlalchemy import inspect

        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
