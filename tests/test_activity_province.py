"""Every entry carries the province its unit lies in today, whichever path writes it, and keeps it
when the entry or its unit moves: a province's reviewer finds the province's entries in the list
and the review queue through it (app/activities/provinces.py, `access.activity_scope_condition`)."""
import importlib.util
import os
import re
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session
from typer.testing import CliRunner

from app import access
from app.activities.generate import generate_activities
from app.activities import services
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.cli import cli
from app.progress import summary
from app.units import loader
from app.units.models import Unit, UnitSuccessor, today_province_id
from tests.activities_helpers import LEGACY_DAY, broadcast, commune_pair
from tests.factories import DA_NANG, HAI_PHONG, login, make_activity, make_user, token


def _commune_of(session, province_id: int) -> Unit:
    return session.execute(select(Unit).where(Unit.province_id == province_id, Unit.level == "commune",
                                              Unit.valid_to.is_(None)).order_by(Unit.code).limit(1)).scalar_one()


def _stored_province(session, activity_id) -> int | None:
    session.expire_all()
    return session.execute(select(Activity.province_id).where(Activity.id == uuid.UUID(str(activity_id)))).scalar_one()


def _listed(client, headers) -> set[str]:
    return {item["id"] for item in client.get("/api/v1/activities?limit=200", headers=headers).json()["items"]}


def _queued(client, user) -> set[str]:
    login(client, user)
    page = client.get("/reviews")
    assert page.status_code == 200
    client.cookies.clear()
    return set(re.findall(r'name="ids" value="([0-9a-f-]{36})"', page.text))


def test_entries_logged_one_by_one_or_in_bulk_carry_their_units_province_of_today(session, client):
    legacy, current = commune_pair(session)  # a Hải Dương commune of 2024, the Hải Phòng commune it went into
    officer = make_user(session, "reporter", current.id, username="canbo_hp")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    headers = token(client, officer)
    one = client.post("/api/v1/activities", json=broadcast(current.id, status="submitted"), headers=headers)
    old = client.post("/api/v1/activities", json=broadcast(legacy.id, start_date=LEGACY_DAY, status="submitted"),
                      headers=headers)
    bulk = client.post("/api/v1/activities/bulk", headers=headers,
                       json=[broadcast(current.id, status="submitted"),
                             broadcast(legacy.id, start_date=LEGACY_DAY, status="submitted")])
    assert one.status_code == old.status_code == 201, (one.text, old.text)
    ids = [one.json()["id"], old.json()["id"]] + [row["id"] for row in bulk.json()["results"]]
    assert [row["status"] for row in bulk.json()["results"]] == ["created", "created"]
    assert [_stored_province(session, i) for i in ids] == [HAI_PHONG] * 4
    assert _queued(client, reviewer) == set(ids)
    assert _listed(client, token(client, reviewer)) == set(ids)


def test_an_edit_that_moves_an_entry_to_another_province_moves_it_between_their_queues(session, client):
    hai_phong, da_nang = _commune_of(session, HAI_PHONG), _commune_of(session, DA_NANG)
    admin = make_user(session, "admin", None, username="quantri")
    reviewers = {p: make_user(session, "reviewer", p, username=f"duyet_{p}") for p in (HAI_PHONG, DA_NANG)}
    headers = token(client, admin)
    entry = client.post("/api/v1/activities", json=broadcast(hai_phong.id), headers=headers).json()
    moved = client.patch(f"/api/v1/activities/{entry['id']}", json={"version": entry["version"], "unit_id": da_nang.id},
                         headers=headers)
    assert moved.status_code == 200, moved.text
    assert client.post(f"/api/v1/activities/{entry['id']}/submit", headers=headers).status_code == 200
    assert _stored_province(session, entry["id"]) == DA_NANG
    assert _queued(client, reviewers[DA_NANG]) == {entry["id"]}
    assert _queued(client, reviewers[HAI_PHONG]) == set()


def test_entries_written_through_the_orm_or_generated_in_bulk_carry_their_units_province(session):
    legacy, current = commune_pair(session)
    by_orm = make_activity(session, legacy.id, start_date=date(2024, 5, 10))
    assert _stored_province(session, by_orm.id) == HAI_PHONG
    generate_activities(session, 300, seed=3)  # COPY on PostgreSQL, one INSERT per batch elsewhere
    session.commit()
    query = (select(func.count()).select_from(Activity).join(Unit, Unit.id == Activity.unit_id)
             .where(Activity.province_id.is_distinct_from(today_province_id())))
    assert session.execute(query).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(Activity)).scalar_one() == 301


def _moved_to(unit_id: int, province_id: int, real_rows):
    """The units' dataset as a new load would bring it, with `unit_id` moved into `province_id`."""
    def rows():
        units, successors = real_rows()
        for row in units:
            if row["id"] == unit_id:
                row.update(parent_id=province_id, province_id=province_id, current_province_id=province_id)
        return units, successors
    return rows


def test_a_unit_moved_to_another_province_by_a_new_load_of_the_units_takes_its_entries_along(
        session, client, monkeypatch):
    from app.units.models import VillageCreate
    from app.units.services import create_village

    commune = _commune_of(session, HAI_PHONG)
    reviewers = {p: make_user(session, "reviewer", p, username=f"duyet_{p}") for p in (HAI_PHONG, DA_NANG)}
    village = create_village(session, commune, VillageCreate(name="Thôn Đông"),
                             user=make_user(session, "admin", None, username="quantri_thon"))
    session.commit()
    entry = make_activity(session, commune.id, status="submitted", start_date=date(2026, 3, 2))
    at_village = make_activity(session, village.id, status="submitted", start_date=date(2026, 3, 3))
    real_rows = loader.build_units
    moved_rows = _moved_to(commune.id, DA_NANG, real_rows)

    runner = CliRunner()
    try:
        monkeypatch.setattr(loader, "build_units", moved_rows)
        result = runner.invoke(cli, ["units", "load"])
        assert result.exit_code == 0, result.output
        # The commune's villages (added by users, not in the dataset) move with it, and their entries.
        assert _queued(client, reviewers[DA_NANG]) == {str(entry.id), str(at_village.id)}
        assert _listed(client, token(client, reviewers[DA_NANG])) == {str(entry.id), str(at_village.id)}
        assert _queued(client, reviewers[HAI_PHONG]) == set()
        session.expire_all()
        assert session.get(Unit, village.id).current_province_id == DA_NANG
    finally:
        session.rollback()
        monkeypatch.setattr(loader, "build_units", real_rows)
        result = runner.invoke(cli, ["units", "load"])
    assert result.exit_code == 0, result.output
    assert _queued(client, reviewers[HAI_PHONG]) == {str(entry.id), str(at_village.id)}
    assert _stored_province(session, entry.id) == _stored_province(session, at_village.id) == HAI_PHONG


@pytest.mark.skipif(os.environ["DATABASE_URL"].startswith("sqlite"),
                    reason="a writer beside the load needs PostgreSQL (SQLite takes one writer at a time)")
def test_an_entry_logged_while_the_load_moves_its_commune_follows_the_commune(database, session, client,
                                                                             monkeypatch):
    """An officer's entry inserted before a new load of the units commits, and committed after it,
    read the commune's old province: the load waits for it and moves it too, in the list, the
    queue and the figures."""
    commune = _commune_of(session, HAI_PHONG)
    officer = make_user(session, "reporter", commune.id, username="canbo_chuyen")
    reviewer = make_user(session, "reviewer", DA_NANG, username="duyet_dn")
    session.commit()
    real_rows = loader.build_units
    moved_rows = _moved_to(commune.id, DA_NANG, real_rows)

    def moved() -> bool:
        with Session(database) as other:
            return other.execute(select(today_province_id()).where(Unit.id == commune.id)).scalar_one() == DA_NANG

    results = []
    monkeypatch.setattr(loader, "build_units", moved_rows)
    try:
        with Session(database, expire_on_commit=False) as writer:
            body = ActivityCreate(**broadcast(commune.id, status="submitted"))
            entry, _ = services.create_activity(writer, body, user=writer.get(type(officer), officer.id))
            writer.flush()  # inserted with the commune's province of the moment, not yet committed
            load = threading.Thread(target=lambda: results.append(CliRunner().invoke(cli, ["units", "load"])))
            load.start()
            deadline = time.monotonic() + 60
            while not moved() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert moved(), "the load did not commit the new units"
            writer.commit()
            load.join(timeout=120)
        assert not load.is_alive()
        assert results[0].exit_code == 0, results[0].output
        assert "Warning" not in results[0].output
        assert _stored_province(session, entry.id) == DA_NANG
        assert summary.check(session) == []
        assert _queued(client, reviewer) == {str(entry.id)}
    finally:
        session.rollback()  # an open transaction would hold the next load up for a minute
        monkeypatch.setattr(loader, "build_units", real_rows)
        restored = CliRunner().invoke(cli, ["units", "load"])
    assert restored.exit_code == 0, restored.output
    assert _stored_province(session, entry.id) == HAI_PHONG


def test_a_scope_that_reaches_into_two_provinces_keeps_both(session, client):
    """A legacy commune's officer sees what is logged at the communes it went into: were one of them
    in another province, the entries' province must not narrow the scope to one."""
    legacy, current = commune_pair(session)
    elsewhere = _commune_of(session, DA_NANG)
    session.add(UnitSuccessor(predecessor_id=legacy.id, successor_id=elsewhere.id, is_default=False))
    session.commit()
    try:
        officer = make_user(session, "reporter", legacy.id, username="canbo_cu")
        assert access.scope_province_id(session, legacy) is None
        assert access.scope_province_id(session, current) == HAI_PHONG
        here = make_activity(session, current.id, start_date=date(2026, 3, 2))
        there = make_activity(session, elsewhere.id, start_date=date(2026, 3, 2))
        assert _listed(client, token(client, officer)) == {str(here.id), str(there.id)}
    finally:
        session.rollback()
        session.execute(UnitSuccessor.__table__.delete().where(UnitSuccessor.predecessor_id == legacy.id,
                                                               UnitSuccessor.successor_id == elsewhere.id))
        session.commit()


def test_the_migration_gives_every_stored_entry_its_units_province(session):
    legacy, current = commune_pair(session)
    entries = [make_activity(session, legacy.id, start_date=date(2024, 5, 10)),
               make_activity(session, current.id), make_activity(session, _commune_of(session, DA_NANG).id)]
    session.execute(update(Activity).values(province_id=None))
    path = next(Path("migrations/versions").glob("*_0015_activity_province.py"))
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    session.connection().execute(migration.fill())
    assert [_stored_province(session, e.id) for e in entries] == [HAI_PHONG, HAI_PHONG, DA_NANG]
