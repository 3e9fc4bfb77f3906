"""The activity summary stays exact: random sequences of writes through the real services (every
transition, edits that move an entry between units, types, tasks and months, deletes, bulk rows,
period approval, refused and stale writes) leave it equal to a recount of the activities after
every step; concurrent writers on PostgreSQL too. `loa summary check` finds drift and `rebuild`
repairs it; the summary answers the progress figures as the activities do."""
import os
import threading
import uuid
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import delete, select, text, update
from sqlmodel import Session
from typer.testing import CliRunner

from app.activities import services
from app.activities.models import Activity, ActivityCreate, ActivityTask, ActivityUpdate
from app.audit.models import AuditEntry
from app.cli import cli
from app.plans.models import Task
from app.core.clock import today
from app.progress import summary
from app.progress.models import ActivitySummary, ProvinceSummary
from app.reviews import services as reviews
from tests.activities_helpers import commune_pair, other_current_commune
from tests.factories import HAI_PHONG, make_agency, make_plan, make_task, make_user

TYPES = ("broadcast", "talk", "visual")
PLAN_B_START = date(2026, 1, 1)
REFUSED = (services.Invalid, services.Conflict, reviews.Invalid, reviews.WrongState)


def _world(session: Session) -> dict:
    """Three communes (one legacy), an agency, two plans whose three tasks cover them, an admin."""
    legacy, successor = commune_pair(session)
    other = other_current_commune(session, successor.id)
    plan_a = make_plan(session, HAI_PHONG, title="Kế hoạch A", period_start=date(2024, 1, 1),
                       period_end=date(2026, 12, 31))
    plan_b = make_plan(session, HAI_PHONG, title="Kế hoạch B", period_start=PLAN_B_START, period_end=date(2026, 12, 31))
    tasks_a = [make_task(session, plan_a, unit_ids=(HAI_PHONG,), title=f"Nhiệm vụ A{i}").id for i in (1, 2)]
    task_b = make_task(session, plan_b, unit_ids=(HAI_PHONG,), title="Nhiệm vụ B1").id
    return {"units": [(legacy.id, date(2024, 11, 1), date(2025, 6, 30)),
                      (successor.id, date(2025, 7, 1), today() - timedelta(days=1)),
                      (other.id, date(2025, 7, 1), today() - timedelta(days=1))],
            "tasks_a": tasks_a, "task_b": task_b, "agency": make_agency(session, HAI_PHONG).id,
            "admin": make_user(session, "admin", None, username="quan_tri")}


def _body(world, unit: int, day_share: float, kind: str, tasks: list[int], amount: int, agency: bool) -> dict:
    unit_id, first, last = world["units"][unit]
    day = first + timedelta(days=int((last - first).days * day_share))
    allowed = world["tasks_a"] + ([world["task_b"]] if day >= PLAN_B_START else [])
    body = {"type": kind, "start_date": day, "unit_id": unit_id, "cost_local_vnd": amount * 1000,
            "task_ids": sorted({allowed[i % len(allowed)] for i in tasks}),
            "agency_id": world["agency"] if agency else None}
    if kind == "broadcast":
        body.update(airings=amount, minutes_per_airing=5 + amount,
                    details={"channel": "commune_loudspeaker", "language": "vi"})
    elif kind == "talk":
        body.update(participants=10 * amount, participants_women=5 * amount, participants_poor=amount)
    else:
        body.update(items=amount, places=1 + amount % 3)
    return body


entries = st.fixed_dictionaries({
    "unit": st.integers(0, 2), "day_share": st.floats(0, 1), "kind": st.sampled_from(TYPES),
    "tasks": st.lists(st.integers(0, 2), max_size=3), "amount": st.integers(1, 40), "agency": st.booleans()})


def _assert_exact(engine) -> None:
    with Session(engine) as s:
        assert summary.stored(s) == summary.recount(s)
        assert summary.stored_provinces(s) == summary.recount_provinces(s)


def _clear(engine) -> None:
    with Session(engine) as s, summary.suspended(s):
        for table in (ActivityTask, AuditEntry, Activity, ActivitySummary, ProvinceSummary):
            s.execute(delete(table))
        s.commit()


@pytest.mark.property
def test_random_writes_keep_the_summary_exact(database, session):
    world = _world(session)
    admin = world["admin"]

    class Writes(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            _clear(database)
            self.s = Session(database, expire_on_commit=False)
            self.ids: list[uuid.UUID] = []

        def teardown(self):
            self.s.close()

        def _run(self, action) -> None:
            """A write through a service; refused writes roll back and must leave no trace."""
            try:
                action()
                self.s.commit()
            except REFUSED:
                self.s.rollback()
            except Exception as exc:  # noqa: BLE001 - forbidden or not found: the same expectation
                self.s.rollback()
                if type(exc).__name__ not in ("Forbidden", "NotFound"):
                    raise

        def _get(self, index: int) -> Activity | None:
            if not self.ids:
                return None
            return self.s.get(Activity, self.ids[index % len(self.ids)], populate_existing=True)

        @initialize(rows=st.lists(entries, min_size=1, max_size=3))
        def start(self, rows):
            for row in rows:
                self.create(row, False)

        @rule(entry=entries, submit=st.booleans())
        def create(self, entry, submit):
            body = _body(world, **entry) | {"status": "submitted" if submit else "draft"}

            def act():
                created, _ = services.create_activity(self.s, ActivityCreate(**body), user=admin)
                self.ids.append(created.id)
            self._run(act)

        @rule(rows=st.lists(entries, min_size=1, max_size=4))
        def bulk(self, rows):
            bodies = [{**_body(world, **row), "start_date": _body(world, **row)["start_date"].isoformat()}
                      for row in rows]

            def act():
                results = services.bulk_create(self.s, bodies, user=admin)
                self.ids += [uuid.UUID(r["id"]) for r in results if r["status"] == "created"]
            self._run(act)

        @rule(index=st.integers(0, 100), entry=entries, fields=st.sets(
            st.sampled_from(("unit", "date", "type", "tasks", "numbers")), min_size=1))
        def edit(self, index, entry, fields):
            activity = self._get(index)
            if activity is None:
                return
            new = _body(world, **entry)
            change = {"version": activity.version}
            if "unit" in fields or "date" in fields:
                change.update(unit_id=new["unit_id"], start_date=new["start_date"])
            if "type" in fields or "numbers" in fields:
                change.update({k: v for k, v in new.items() if k not in ("unit_id", "start_date", "task_ids")})
            if "tasks" in fields:
                change["task_ids"] = new["task_ids"]
            self._run(lambda: services.update_activity(self.s, activity, ActivityUpdate(**change), user=admin))

        @rule(index=st.integers(0, 100))
        def stale_edit(self, index):
            activity = self._get(index)
            if activity is not None:
                change = ActivityUpdate(version=activity.version - 1, cost_local_vnd=7000)
                self._run(lambda: services.update_activity(self.s, activity, change, user=admin))

        @rule(index=st.integers(0, 100), step=st.sampled_from(("submit", "approve", "return", "reopen", "delete")),
              any_state=st.booleans())
        def transition(self, index, step, any_state):
            """Mostly an entry the step applies to; sometimes any entry (a refusal changes nothing)."""
            starts = {"submit": ("draft", "returned"), "approve": ("submitted",), "return": ("submitted",),
                      "reopen": ("approved",), "delete": ("draft",)}[step]
            ids = self.ids if any_state else list(self.s.execute(
                select(Activity.id).where(Activity.id.in_(self.ids), Activity.status.in_(starts))
                .order_by(Activity.id)).scalars())
            self.s.rollback()
            if not ids:
                return
            activity = self.s.get(Activity, ids[index % len(ids)], populate_existing=True)
            if activity is None:  # deleted earlier
                return
            actions = {
                "submit": lambda: services.submit_activity(self.s, activity, user=admin),
                "approve": lambda: reviews.approve_activity(self.s, activity, user=admin),
                "return": lambda: reviews.return_activity(self.s, activity, "Bổ sung số liệu.", user=admin),
                "reopen": lambda: reviews.reopen_activity(self.s, activity, "Sai số người.", user=admin),
                "delete": lambda: services.delete_activity(self.s, activity, user=admin),
            }
            self._run(actions[step])

        @rule(indexes=st.lists(st.integers(0, 100), min_size=1, max_size=5))
        def approve_many(self, indexes):
            if self.ids:
                ids = [str(self.ids[i % len(self.ids)]) for i in indexes]
                self._run(lambda: reviews.approve_many(self.s, ids, user=admin))

        @rule(unit=st.integers(0, 2), share=st.floats(0, 1))
        def approve_period(self, unit, share):
            unit_id, first, last = world["units"][unit]
            day = first + timedelta(days=int((last - first).days * share))
            start = day.replace(day=1)
            end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            self._run(lambda: reviews.approve_period(self.s, unit_id, start, end, user=admin))

        @rule(index=st.integers(0, 100), task=st.integers(0, 2))
        def orm_link_change(self, index, task):
            """A write outside the services (a script, a later feature): links and a status by the ORM."""
            activity = self._get(index)
            if activity is None:
                return
            task_id = (world["tasks_a"] + [world["task_b"]])[task]
            link = self.s.get(ActivityTask, (activity.id, task_id))
            if link is None:
                self.s.add(ActivityTask(activity_id=activity.id, task_id=task_id))
            else:
                self.s.delete(link)
            activity.participants += 1
            activity.version += 1
            self.s.commit()

        @invariant()
        def exact(self):
            _assert_exact(database)

    Writes.TestCase.settings = settings(max_examples=15, stateful_step_count=30, deadline=None,
                                        suppress_health_check=list(HealthCheck))
    Writes.TestCase().runTest()


def test_the_summary_counts_each_activity_once_in_all_once_per_plan_and_once_per_task(session):
    world = _world(session)
    a1, a2 = world["tasks_a"]
    body = _body(world, 1, 0.99, "talk", [], 3, False) | {"task_ids": [a1, a2, world["task_b"]]}
    services.create_activity(session, ActivityCreate(**body), user=world["admin"])
    session.commit()
    rows = summary.stored(session)
    by_level = {(k[0], k[1]): v[:2] for k, v in rows.items()}  # (activities, sessions)
    plan_a, plan_b = session.get(Task, a1).plan_id, session.get(Task, world["task_b"]).plan_id
    assert by_level == {(0, 0): (1, 0), (plan_a, 0): (1, 0), (plan_b, 0): (1, 0), (plan_a, a1): (1, 0),
                        (plan_a, a2): (1, 0), (plan_b, world["task_b"]): (1, 0)}
    assert {v[VALUE_INDEX["participants"]] for v in rows.values()} == {30}


VALUE_INDEX = {c: i for i, c in enumerate(("activities",) + summary.SUMMED_COLUMNS)}


def test_a_write_the_summary_cannot_follow_is_refused(session):
    world = _world(session)
    with pytest.raises(summary.Untraceable):
        session.execute(text("UPDATE activity SET participants = 3"))
    session.rollback()
    created, _ = services.create_activity(session, ActivityCreate(**_body(world, 1, .5, "talk", [0], 2, False)),
                                          user=world["admin"])
    session.commit()
    # A plain UPDATE statement on the table is followed, whatever it changes.
    session.execute(update(Activity.__table__).where(Activity.__table__.c.id == created.id)
                    .values(participants=99, start_date=date(2025, 8, 1)))
    session.execute(delete(ActivityTask).where(ActivityTask.activity_id == created.id))
    session.commit()
    assert summary.check(session) == []


def test_a_rolled_back_write_leaves_the_summary_as_it_was(session):
    world = _world(session)
    services.create_activity(session, ActivityCreate(**_body(world, 1, .5, "talk", [0], 2, False)), user=world["admin"])
    session.commit()
    before = summary.stored(session)
    with Session(session.get_bind()) as other:
        other.execute(update(Activity.__table__).values(participants=50))
        other.rollback()
        other.commit()  # nothing of the rolled-back write is pending any more
    assert summary.stored(session) == before
    assert summary.check(session) == []


def _drifted(session, world) -> None:
    for share in (.2, .6):
        services.create_activity(session, ActivityCreate(**_body(world, 1, share, "talk", [0], 2, False)),
                                 user=world["admin"])
        session.commit()
    table = ActivitySummary.__table__
    first = session.execute(select(table).order_by(*table.primary_key.columns).limit(1)).mappings().one()
    with session.get_bind().begin() as conn:  # behind the application's back
        conn.execute(text("UPDATE activity_summary SET participants = participants + 5 "
                          "WHERE plan_id = 0 AND task_id = 0 AND month = :m"), {"m": first["month"]})
        conn.execute(text("DELETE FROM activity_summary WHERE task_id <> 0"))
        conn.execute(text("INSERT INTO activity_summary SELECT plan_id, task_id, unit_id, 190001, type, status, "
                          "agency_id, activities, " + ", ".join(summary.SUMMED_COLUMNS) + " FROM activity_summary "
                          "WHERE plan_id = 0 LIMIT 1"))


def test_check_reports_drift_row_by_row_and_rebuild_repairs_it(session):
    world = _world(session)
    _drifted(session, world)
    runner = CliRunner()
    result = runner.invoke(cli, ["summary", "check"])
    assert result.exit_code == 1
    assert "wrong row" in result.output and "participants expected" in result.output
    assert "missing row" in result.output and "extra row" in result.output and "month=190001" in result.output
    result = runner.invoke(cli, ["summary", "rebuild"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["summary", "check"])
    assert result.exit_code == 0 and "exact" in result.output
    session.rollback()
    assert summary.stored(session) == summary.recount(session)


def test_the_province_rows_add_up_the_summary_and_follow_a_unit_moved_to_another_province(session):
    """The national view's rows: each activity in its unit's province of the day and today's.
    A unit that changes province (a new load of the units) leaves drift that `check` reports and
    `rebuild_provinces` repairs."""
    from app.units.models import Unit

    world = _world(session)
    for share, tasks in ((.2, [0]), (.7, [0, 2])):
        services.create_activity(session, ActivityCreate(**_body(world, 1, share, "talk", tasks, 3, False)),
                                 user=world["admin"])
        session.commit()
    provinces = summary.stored_provinces(session)
    assert provinces == summary.recount_provinces(session)
    every = {k: v for k, v in provinces.items() if k[:2] == (0, 0)}
    assert sum(v[0] for v in every.values()) == 2
    unit = session.get(Unit, world["units"][1][0])
    assert {k[2:4] for k in every} == {(unit.province_id, unit.current_province_id)}

    other = session.execute(select(Unit.id).where(Unit.level == "province", Unit.id != unit.current_province_id,
                                                  Unit.valid_to.is_(None)).limit(1)).scalar_one()
    before = unit.current_province_id
    session.execute(update(Unit).where(Unit.id == unit.id).values(current_province_id=other))
    session.commit()
    try:
        drift = summary.check(session)
        assert drift and all(d.table == "activity_summary_province" for d in drift)
        assert "of the province rows" in drift[0].describe()
        summary.rebuild_provinces(session)
        session.commit()
        assert summary.check(session) == []
        assert {k[3] for k in summary.stored_provinces(session)} == {other}
    finally:  # the units are shared by the whole run: later tests expect the real map
        session.rollback()
        session.execute(update(Unit).where(Unit.id == unit.id).values(current_province_id=before))
        summary.rebuild_provinces(session)
        session.commit()


def test_the_migration_fills_the_summary_from_the_stored_activities(session):
    import importlib.util
    from pathlib import Path

    from sqlalchemy import insert

    world = _world(session)
    for share, tasks in ((.1, [0]), (.9, [0, 1, 2]), (.95, [])):
        body = _body(world, 1, share, "visual", tasks, 4, True)
        services.create_activity(session, ActivityCreate(**body), user=world["admin"])
        session.commit()
    path = next(Path("migrations/versions").glob("*_0011_activity_summary.py"))
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    expected = summary.stored(session)
    session.execute(delete(ActivitySummary))
    session.connection().execute(insert(migration._summary()).from_select(
        list(migration.KEYS) + ["activities", *migration.SUMMED], migration._recount()))
    assert summary.stored(session) == expected == summary.recount(session)
    session.rollback()


def test_the_demo_generator_builds_the_summary(session):
    from app.activities.generate import generate_activities

    generate_activities(session, 300, seed=5)
    assert summary.check(session) == []
    assert sum(v[0] for k, v in summary.stored(session).items() if k[:2] == (0, 0)) == 300


@pytest.mark.skipif(os.environ["DATABASE_URL"].startswith("sqlite"),
                    reason="concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
def test_concurrent_writers_keep_the_summary_exact(database, session):
    world = _world(session)
    admin = world["admin"]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(n: int) -> None:
        with Session(database, expire_on_commit=False) as s:
            try:
                barrier.wait()
                for i in range(12):
                    # The same unit, month, type and tasks for every thread: the same summary rows.
                    body = _body(world, 1, .5, "talk", [0, 2], 1 + (i + n) % 5, n % 2 == 0)
                    created, _ = services.create_activity(s, ActivityCreate(**body | {"status": "submitted"}),
                                                          user=admin)
                    s.commit()
                    activity = s.get(Activity, created.id)
                    if i % 3 == 0:
                        reviews.return_activity(s, activity, "Bổ sung.", user=admin)
                    else:
                        reviews.approve_activity(s, activity, user=admin)
                    s.commit()
                    if i % 4 == 0 and activity.status == "approved":
                        reviews.reopen_activity(s, activity, "Kiểm tra lại.", user=admin)
                        s.commit()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert summary.check(session) == []
    every = [v for k, v in summary.stored(session).items() if k[:2] == (0, 0)]
    assert sum(v[0] for v in every) == 48


def _plain(rows) -> list[tuple]:
    return sorted(tuple(v if isinstance(v, str) else int(v) for v in r) for r in rows)


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_the_summary_answers_the_progress_figures_of_the_demo_province(session, year):
    """Progress reads the summary: on the demo data, for the Hải Phòng reviewer and the national
    admin, both boundary choices, the summary gives what the activities give."""
    from app.progress import boundaries as pb
    from app.progress import figures
    from app.progress import progress as pp
    from app.progress.periods import parse
    from app.progress.selection import root_unit
    from app.demo import load_demo

    ctx = load_demo(session)
    session.commit()
    reviewer, admin = ctx.users["reviewer"], ctx.users["admin"]
    span = parse(year, today=today())
    task_ids = sorted(session.execute(select(Task.id)).scalars())
    compared = 0
    for user in (reviewer, admin):
        root = root_unit(session, user, ctx.current_province.id)
        for boundaries in pb.BOUNDARIES:
            for level in ("province", "district", "commune"):
                for typed in (False, True):
                    key = pb.activity_key(level, boundaries)
                    rows = pp._actuals_from_rows(session, user, task_ids, key, boundaries, span, root, typed)
                    read = summary.progress_amounts(
                        session, task_ids=task_ids, key=key, start=span.start, end=span.end,
                        statuses=figures.SUBMITTED_AND_APPROVED, metrics=pp.METRICS, typed=typed,
                        units=summary.units_in_view(session, user, root))
                    assert _plain(read) == _plain(rows), (user.username, boundaries, level, typed)
                    compared += len(rows)
        # End to end: every target row of the progress report, from the summary.
        report = pp.progress(session, user, unit_id=ctx.current_province.id, period=year)
        for r in report.rows:
            level = "commune" if r.unit_level == "village" else r.unit_level
            amounts = summary.progress_amounts(
                session, task_ids=[r.task_id], key=pb.activity_key(level, "current"), start=span.start, end=span.end,
                statuses=figures.SUBMITTED_AND_APPROVED, metrics=pp.METRICS, typed=True,
                units=summary.units_in_view(session, user, root))
            total = lambda status: sum(int(getattr(a, r.metric)) for a in amounts  # noqa: E731
                                       if a.key == r.unit_id and a.status == status
                                       and r.activity_type in (None, a.type))
            assert (total("approved"), total("submitted")) == (r.approved, r.submitted), r
    assert compared > 0


def test_a_span_that_cuts_a_month_is_not_read_from_the_summary():
    assert summary.month_range(date(2026, 1, 1), date(2026, 12, 31)) == (202601, 202612)
    assert summary.month_range(date(2024, 2, 1), date(2024, 2, 29)) == (202402, 202402)
    for start, end in ((date(2026, 1, 15), date(2026, 3, 31)), (date(2026, 1, 1), date(2026, 3, 30))):
        with pytest.raises(summary.CutMonth):
            summary.month_range(start, end)


def test_a_rolled_back_savepoint_takes_its_deltas_with_it(session):
    world = _world(session)

    def entry(participants: int) -> Activity:
        return Activity(type="talk", title="Nói chuyện chuyên đề", unit_id=world["units"][1][0],
                        start_date=date(2025, 9, 3), participants=participants)

    session.add(entry(3))
    session.flush()
    savepoint = session.begin_nested()
    session.add(entry(5))
    session.flush()
    savepoint.rollback()
    session.add(entry(7))
    session.commit()
    assert summary.check(session) == []
    assert [v[VALUE_INDEX["participants"]] for k, v in summary.stored(session).items()] == [10]


@pytest.mark.skipif(os.environ["DATABASE_URL"].startswith("sqlite"),
                    reason="several server processes on one database need PostgreSQL")
def test_two_server_processes_with_writers_on_both_keep_the_summary_exact(database, session, tmp_path):
    """Two `loa serve` processes on one PostgreSQL, as behind a load balancer: entries logged on one
    are approved, returned, edited into another month and type, or deleted on the other, by four
    writers at once on the same summary rows; the summary equals a recount afterwards."""
    import subprocess
    import sys
    import time as clock

    import httpx

    from tests.conftest import _free_port
    from tests.factories import PASSWORD

    world = _world(session)
    session.commit()
    ports = [_free_port(), _free_port()]
    env = {**os.environ, "LOA_ENV": "test", "LOA_MEDIA_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    servers = [subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(p)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    errors: list[BaseException] = []
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/livez").status_code == 200:
                        break
                except httpx.HTTPError:
                    clock.sleep(0.1)
        token = httpx.post(f"{bases[0]}/api/v1/auth/token",
                           data={"username": world["admin"].username, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        barrier = threading.Barrier(4)

        def writer(n: int) -> None:
            here, there = httpx.Client(base_url=bases[n % 2], headers=headers, timeout=60), \
                httpx.Client(base_url=bases[1 - n % 2], headers=headers, timeout=60)
            try:
                barrier.wait()
                for i in range(10):
                    body = _body(world, 1, .5, "talk", [0, 2], 1 + (i + n) % 5, n % 2 == 0)
                    body["start_date"] = body["start_date"].isoformat()
                    created = here.post("/api/v1/activities", json=body | {"status": "draft" if i % 4 == 0 else
                                                                                    "submitted"})
                    assert created.status_code == 201, created.text
                    entry = created.json()
                    if i % 4 == 0:  # a draft edited into another month and type, then sent and approved
                        moved = there.patch(f"/api/v1/activities/{entry['id']}", json={
                            "version": entry["version"], "type": "broadcast", "airings": 3, "minutes_per_airing": 10,
                            "participants": 0, "participants_women": 0, "participants_poor": 0,
                            "details": {"channel": "commune_loudspeaker", "language": "vi"},
                            "start_date": (date.fromisoformat(body["start_date"]) - timedelta(days=40)).isoformat()})
                        assert moved.status_code == 200, moved.text
                        sent = here.post(f"/api/v1/activities/{entry['id']}/submit",
                                         params={"version": moved.json()["version"]})
                        assert sent.status_code == 200, sent.text
                        approved = there.post(f"/api/v1/activities/{entry['id']}/approve")
                        assert approved.status_code == 200, approved.text
                    elif i % 4 == 1:
                        returned = there.post(f"/api/v1/activities/{entry['id']}/return", json={"comment": "Bổ sung."})
                        assert returned.status_code == 200, returned.text
                    else:
                        approved = there.post(f"/api/v1/activities/{entry['id']}/approve")
                        assert approved.status_code == 200, approved.text
                    if i % 5 == 4:
                        draft = there.post("/api/v1/activities", json=body)
                        assert draft.status_code == 201, draft.text
                        assert here.delete(f"/api/v1/activities/{draft.json()['id']}").status_code == 204
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                here.close()
                there.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    assert errors == []
    session.expire_all()
    assert summary.check(session) == []
    every = [v for k, v in summary.stored(session).items() if k[:2] == (0, 0)]
    assert sum(v[0] for v in every) == 40
