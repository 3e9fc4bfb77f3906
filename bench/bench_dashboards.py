"""Response times of the province dashboard and the progress endpoint (`make bench`, or run alone).

For SQLite (a scratch file) and PostgreSQL (database `loa_bench_dashboards`, when reachable), a
child process migrates a fresh database, loads the real administrative units, generates
LOA_BENCH_ACTIVITIES activities (default 200,000; the target is 1,000,000) over every commune of
both eras from 2022 to today, gives each of the 34 current provinces a 2025–2026 plan with three
tasks assigned to all its communes, links every activity since 1/1/2025 to its province's task,
and then requests, through the ASGI app in-process, as the Hải Phòng reviewer:
  - GET /dashboard?period=2026       (headline, progress bars, charts, child-unit table)
  - GET /api/v1/progress?plan_id=..&period=2026, and &period=plan (legacy communes rolled up)
  - GET /api/v1/completeness?plan_id=..&period=2026
  - GET /api/v1/progress?period=2026 as a national admin (the national view: one row per province)
and, on PostgreSQL, the rows one request reads from the activity tables (`activity_rows_read`:
seq_tup_read + idx_tup_fetch of activity and activity_task in pg_stat_user_tables, around it);
and the lists, first page and a deep page (a cursor 50,000 rows down, or 90% of the way for a
shorter list): GET /api/v1/activities (newest first), the change feed (?updated_since=) and the
review queue page /reviews;
each 3 times to warm up, then LOA_BENCH_REPEAT times (default 30); p50 and p95 in milliseconds.
Targets with 1M activities: p95 ≤ 300 ms on PostgreSQL, ≤ 1 s on SQLite.
The requests are timed in a fresh process (as a server runs), not in the one that generated the
data. LOA_BENCH_REUSE=1 keeps a PostgreSQL database that an earlier run filled (BENCH_PG_DB) and
only measures: filling 10,000,000 activities takes about half an hour.
LOA_BENCH_DATABASES=postgresql skips SQLite; LOA_BENCH_ONLY=activity_list,change_feed,review_queue
measures only the requests whose names start so.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "loa_bench_dashboards")

SETUP = r"""
import json, os, statistics, sys, time
from datetime import date
from sqlalchemy import case, insert, literal, select, text
from sqlmodel import Session
import app.models
from app.core.db import get_engine
from app.migrate import upgrade
from app.units.loader import load_units
from app.accounts import services as accounts
from app.accounts.models import Role, UserCreate
from app.activities.generate import generate_activities
from app.activities.models import Activity, ActivityTask
from app.progress import summary
from app.plans.models import Plan, Target, Task, TaskUnit
from app.units.models import Unit

n, repeat = int(sys.argv[1]), int(sys.argv[2])
HAI_PHONG = int(sys.argv[3])
out = {"activities": n}
engine = get_engine()
started = time.perf_counter()
upgrade("head")
with Session(engine) as s:
    load_units(s)
    accounts.create_user(s, UserCreate(username="duyet", full_name="Bench", role=Role.reviewer, unit_id=HAI_PHONG,
                                       password="bench-password-1"), user=None)
    accounts.create_user(s, UserCreate(username="quantri", full_name="Bench", role=Role.admin, unit_id=None,
                                       password="bench-password-1"), user=None)
    s.commit()  # services leave the commit to their caller (one unit of work)
    provinces = s.execute(select(Unit.id).where(Unit.level == "province", Unit.valid_to.is_(None))).scalars().all()
    groups = (("Phát thanh trên loa truyền thanh", "airings", 200), ("Băng rôn, tờ rơi", "activities", 12),
              ("Tập huấn, đối thoại, nói chuyện", "participants", 300))
    for pid in provinces:
        plan = Plan(title="Kế hoạch truyền thông giảm nghèo 2025–2026", unit_id=pid, period_start=date(2025, 1, 1),
                    period_end=date(2026, 12, 31), status="active")
        s.add(plan); s.flush()
        for position, (title, metric, qty) in enumerate(groups):
            task = Task(plan_id=plan.id, title=title, position=position, report_deadline=date(2026, 11, 20))
            s.add(task); s.flush()
            s.add(Target(task_id=task.id, metric=metric, quantity=qty, period="year", per_unit=True))
            s.execute(insert(TaskUnit.__table__).from_select(["task_id", "unit_id"], select(literal(task.id), Unit.id)
                      .where(Unit.level == "commune", Unit.valid_to.is_(None), Unit.province_id == pid)))
    s.commit()
    generate_activities(s, n)
    position = case((Activity.type == "broadcast", 0), (Activity.type.in_(("visual", "leaflet")), 1), else_=2)
    linked = (select(Activity.id, Task.id).select_from(Activity).join(Unit, Unit.id == Activity.unit_id)
              .join(Plan, Plan.unit_id == Unit.current_province_id).join(Task, (Task.plan_id == Plan.id) & (Task.position == position))
              .where(Activity.start_date >= date(2025, 1, 1)))
    with summary.suspended(s):  # links of every activity at once: the summary is rebuilt after
        s.execute(insert(ActivityTask.__table__).from_select(["activity_id", "task_id"], linked))
    summary.rebuild(s)
    s.commit()
    if engine.dialect.name == "postgresql":
        # As a running database is: vacuumed (visibility map, hint bits set) as well as analysed,
        # rather than every first read of the freshly loaded rows paying for it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        s.execute(text("ANALYZE"))
        s.commit()
    plan_id = s.execute(select(Plan.id).where(Plan.unit_id == HAI_PHONG)).scalar_one()
    out["summary_rows"] = s.execute(select(text("count(*)")).select_from(summary.SUMMARY)).scalar_one()
    out["activity_task_rows"] = s.execute(select(text("count(*)")).select_from(ActivityTask)).scalar_one()
    out["in_province"] = s.execute(select(text("count(*)")).select_from(Activity).join(Unit, Unit.id == Activity.unit_id)
                                   .where(Unit.current_province_id == HAI_PHONG)).scalar_one()
out["setup_seconds"] = round(time.perf_counter() - started, 1)
print("RESULT " + json.dumps(out))
"""

# The requests are timed in a fresh process, as a running server is: the process that generated
# the data holds a large heap, whose garbage collections would be timed with each request.
MEASURE = r"""
import json, os, statistics, sys, time
from sqlalchemy import select, text
from sqlmodel import Session
import app.models
from app.core.db import get_engine
from app.activities.models import Activity
from app.plans.models import Plan
from app.units.models import Unit

n, repeat = int(sys.argv[1]), int(sys.argv[2])
HAI_PHONG = int(sys.argv[3])
engine = get_engine()
out = {}
with Session(engine) as s:
    plan_id = s.execute(select(Plan.id).where(Plan.unit_id == HAI_PHONG)).scalar_one()

from fastapi.testclient import TestClient
from app.main import create_app
client = TestClient(create_app())
r = client.post("/login", data={"username": "duyet", "password": "bench-password-1", "next": "/"}, follow_redirects=False)
assert r.status_code == 303, r.text
token = client.post("/api/v1/auth/token", data={"username": "duyet", "password": "bench-password-1"}).json()["access_token"]
bearer = {"Authorization": f"Bearer {token}"}
national = client.post("/api/v1/auth/token", data={"username": "quantri", "password": "bench-password-1"}).json()
national = {"Authorization": f"Bearer {national['access_token']}"}
urls = {
    "dashboard_province_2026": ("/dashboard?period=2026", {}),
    "national_progress_api_2026": ("/api/v1/progress?period=2026", national),
    "progress_api_2026": (f"/api/v1/progress?plan_id={plan_id}&period=2026", bearer),
    "progress_api_whole_plan": (f"/api/v1/progress?plan_id={plan_id}&period=plan", bearer),
    "completeness_api_2026": (f"/api/v1/completeness?plan_id={plan_id}&period=2026", bearer),
}

# Lists: the first page and a deep page (a cursor far down the order, as a client holds it after
# paging that far) of the activity list, the change feed and the review queue, as the reviewer.
from sqlalchemy import func
from app.core.pagination import encode_cursor
scope = select(Unit.id).where((Unit.province_id == HAI_PHONG) | (Unit.current_province_id == HAI_PHONG))
with Session(engine) as s:
    def deep_key(columns, *where):
        visible = s.execute(select(func.count()).select_from(Activity).where(Activity.unit_id.in_(scope), *where)).scalar_one()
        depth = min(50_000, visible * 9 // 10)
        order = [c.desc() for c in columns] if columns[0] is Activity.start_date else list(columns)
        row = s.execute(select(*columns).where(Activity.unit_id.in_(scope), *where).order_by(*order)
                        .offset(depth).limit(1)).one()
        return depth, encode_cursor([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row])
    list_depth, list_cursor = deep_key((Activity.start_date, Activity.id))
    feed_depth, feed_cursor = deep_key((Activity.updated_at, Activity.id))
    queue_depth, queue_cursor = deep_key((Activity.submitted_at, Activity.id), Activity.status == "submitted")
out["deep_page_rows_down"] = {"activity_list": list_depth, "change_feed": feed_depth, "review_queue": queue_depth}
since = "2000-01-01T00:00:00Z"
urls.update({
    "activity_list_first_page": ("/api/v1/activities?limit=50", bearer),
    "activity_list_deep_page": (f"/api/v1/activities?limit=50&cursor={list_cursor}", bearer),
    "change_feed_first_page": (f"/api/v1/activities?updated_since={since}&limit=50", bearer),
    "change_feed_deep_page": (f"/api/v1/activities?updated_since={since}&limit=50&cursor={feed_cursor}", bearer),
    "review_queue_first_page": ("/reviews", {}),
    "review_queue_deep_page": (f"/reviews?cursor={queue_cursor}", {}),
})


def _activity_counters() -> int:
    # Rows read from the activity tables so far (sequential scans + index fetches), as PostgreSQL's
    # own per-table counters say.
    import psycopg
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(conn.execute("SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0) "
                                "FROM pg_stat_user_tables WHERE relname IN ('activity', 'activity_task')").fetchone()[0])


def activity_rows_read(url, headers) -> int:
    # The activity rows one request reads: the counters' delta around it. A backend reports its
    # counters when it ends, so the pool's connections are closed before and after the request.
    engine.dispose()
    time.sleep(0.5)
    before = _activity_counters()
    assert client.get(url, headers=headers).status_code == 200
    engine.dispose()
    time.sleep(1.0)
    return _activity_counters() - before


only = os.environ.get("LOA_BENCH_ONLY")
if only:
    urls = {k: v for k, v in urls.items() if any(k.startswith(p) for p in only.split(","))}
for name, (url, headers) in urls.items():
    times = []
    for i in range(3 + repeat):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        elapsed = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        if i >= 3:
            times.append(elapsed)
    times.sort()
    out[name] = {"p50_ms": round(statistics.median(times), 1),
                 "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)], 1)}
    if engine.dialect.name == "postgresql":
        out[name]["activity_rows_read"] = activity_rows_read(url, headers)
        out[name]["bytes"] = len(r.content)
print("RESULT " + json.dumps(out))
"""


def _pg_url(reuse: bool) -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
            if not (reuse and exists):
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_DB}")
    except Exception:  # noqa: BLE001 — no server: the PostgreSQL figures are skipped
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}"


def _child(code: str, url: str, n: int, repeat: int) -> dict:
    from app.units.loader import CURRENT, unit_id

    env = {**os.environ, "DATABASE_URL": url, "LOA_ENV": "test", "PYTHONPATH": str(ROOT)}
    env.setdefault("LOA_MEDIA_DIR", tempfile.mkdtemp(prefix="loa-bench-media-"))
    proc = subprocess.run([sys.executable, "-c", code, str(n), str(repeat), str(unit_id(CURRENT, "province", "31"))],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(line[len("RESULT "):])


def _filled(url: str) -> dict | None:
    """What a database filled by an earlier run holds (LOA_BENCH_REUSE=1), or None if empty."""
    from sqlalchemy import create_engine, inspect, text

    from app.core.db import normalise_url
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("activity_summary"):
                return None
            n = conn.execute(text("SELECT count(*) FROM activity")).scalar_one()
            summed = conn.execute(text("SELECT coalesce(sum(activities), 0) FROM activity_summary "
                                       "WHERE plan_id = 0 AND task_id = 0")).scalar_one()
            return {"activities": n, "summary_rows": conn.execute(text("SELECT count(*) FROM activity_summary"))
                    .scalar_one(), "reused": True} if n and summed == n else None
    finally:
        engine.dispose()


def _measure(url: str, n: int, repeat: int, reuse: bool = False) -> dict:
    out = (_filled(url) if reuse else None) or _child(SETUP, url, n, repeat)
    return {**out, **_child(MEASURE, url, out["activities"], repeat)}


def run(results: dict) -> None:
    sys.path.insert(0, str(ROOT))
    n = int(os.environ.get("LOA_BENCH_ACTIVITIES", "200000"))
    repeat = int(os.environ.get("LOA_BENCH_REPEAT", "30"))
    out = results.setdefault("dashboards", {})
    engines = os.environ.get("LOA_BENCH_DATABASES", "sqlite,postgresql").split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory(prefix="loa-bench-dash-") as tmp:
            print(f"   sqlite, {n} activities", flush=True)
            out[f"sqlite_{n}"] = _measure(f"sqlite:///{tmp}/bench.db", n, repeat)
    if "postgresql" not in engines:
        return
    reuse = os.environ.get("LOA_BENCH_REUSE") == "1"
    pg = _pg_url(reuse)
    if pg:
        print(f"   postgresql, {n} activities", flush=True)
        measured = _measure(pg, n, repeat, reuse)
        out[f"postgresql_{measured['activities']}"] = measured
    else:
        out["postgresql"] = "skipped: no server at BENCH_PG_URL"


if __name__ == "__main__":
    results: dict = {}
    run(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
