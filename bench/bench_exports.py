"""Time and peak memory of exporting a province-year on PostgreSQL, against a COPY of the same rows.

`make bench BENCH_ARGS=exports`. The database is LOA_BENCH_EXPORT_URL, filled beforehand with
`loa db upgrade && loa units load && loa demo --activities 1000000`; without it, a scratch database
`loa_bench_exports` is created and filled with LOA_BENCH_ACTIVITIES activities (default 200,000).
The export is the activities of Thành phố Hải Phòng (current, with the legacy Hải Dương) in
LOA_BENCH_EXPORT_YEAR (default 2025), as a national admin, CSV and XLSX, each in a fresh process
(seconds, peak resident set, and what the export added to it; the export's modules are loaded
before the clock starts, as in a running server), then of January alone: memory is flat when the
year adds no more than the month. Two COPYs of the same rows give
the database's own speed: `COPY (SELECT activity.* …) TO STDOUT` and the export's row query (unit,
agency, author and task names joined in) inside a COPY.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCRATCH_DB = os.environ.get("BENCH_PG_DB", "loa_bench_exports")

CHILD = r"""
import json, os, resource, sys, time
from datetime import date
fmt, province, year, span = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
from sqlmodel import Session
import app.models
from app.core.db import get_engine
from app.core.clock import utcnow
from app.accounts.models import User
from app.activities.queries import ActivityFilter
# The export's modules are loaded before the clock starts: a server has them loaded already.
from sqlalchemy.dialects import postgresql
from app.activities.queries import activity_query
from app.reports.columns import row_query
from app.reports.csv import activity_csv
from app.reports.xlsx import write_activities_xlsx
last = date(year, 12, 31) if span == "year" else date(year, 1, 31)
f = ActivityFilter(unit_id=province, date_from=date(year, 1, 1), date_to=last)
admin = User(id=0, username="bench", full_name="Bench", role="admin", unit_id=None, password_hash="x")
out = {"baseline_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
started = time.perf_counter()
rows = size = 0
with Session(get_engine()) as session:
    if fmt == "xlsx":
        path = f"/tmp/loa-bench-export-{os.getpid()}.xlsx"
        with open(path, "wb") as sink:
            rows = write_activities_xlsx(sink, session, admin, f, now=utcnow())
        size = os.path.getsize(path)
        os.unlink(path)
    elif fmt == "csv":
        for chunk in activity_csv(session, admin, f, now=utcnow()):
            rows += chunk.count(b"\n")
            size += len(chunk)
        rows -= 3  # the generation line, the filter line and the header
    elif fmt in ("copy_rows", "copy_export_query"):
        query = activity_query(session, admin, f) if fmt == "copy_rows" else row_query(session, admin, f)
        sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        raw = session.connection().connection.driver_connection
        with raw.cursor().copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for data in copy:
                rows += bytes(data).count(b"\n")
                size += len(data)
out["seconds"] = round(time.perf_counter() - started, 2)
out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out["rows"] = rows
out["bytes"] = size
print("RESULT " + json.dumps(out))
"""


def _scratch(n: int) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{SCRATCH_DB}"
    env = {**os.environ, "DATABASE_URL": url, "LOA_ENV": "test"}
    loa = [str(Path(sys.executable).parent / "loa")]
    for args in (["db", "upgrade"], ["units", "load"], ["demo", "--activities", str(n)]):
        subprocess.run(loa + args, cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def _run_child(url: str, fmt: str, province: int, year: int, span: str = "year") -> dict:
    env = {**os.environ, "DATABASE_URL": url, "LOA_ENV": "test", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", CHILD, fmt, str(province), str(year), span], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(line[len("RESULT "):])


def run(results: dict) -> None:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text

    from app.core.db import normalise_url
    from app.units.loader import CURRENT, unit_id

    url = os.environ.get("LOA_BENCH_EXPORT_URL")
    if not url:
        n = int(os.environ.get("LOA_BENCH_ACTIVITIES", "200000"))
        print(f"   filling {SCRATCH_DB} with {n} activities", flush=True)
        url = _scratch(n)
    year = int(os.environ.get("LOA_BENCH_EXPORT_YEAR", "2025"))
    province = unit_id(CURRENT, "province", "31")
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM activity")).scalar_one()
    engine.dispose()
    out = results.setdefault("exports", {})
    key = f"postgresql_{total}"
    figures = out[key] = {"activities": total, "export": f"Hải Phòng (current) {year}, as a national admin"}
    _run_child(url, "copy_rows", province, year)  # warm-up: the rows' pages in the cache, as for the others
    for fmt in ("copy_rows", "copy_export_query", "csv", "xlsx"):
        m = _run_child(url, fmt, province, year)
        figures[fmt] = {"seconds": m["seconds"], "rows": m["rows"], "mb": round(m["bytes"] / 2**20, 1),
                        "peak_rss_mb": round(m["peak_kb"] / 1024, 1),
                        "export_extra_mb": round((m["peak_kb"] - m["baseline_kb"]) / 1024, 1)}
        print(f"   {fmt}: {figures[fmt]}", flush=True)
    for fmt in ("csv", "xlsx"):
        # Memory flat: the export of one month adds about what the export of the year adds.
        m = _run_child(url, fmt, province, year, "january")
        figures[f"{fmt}_one_month"] = {"seconds": m["seconds"], "rows": m["rows"],
                                       "export_extra_mb": round((m["peak_kb"] - m["baseline_kb"]) / 1024, 1)}
        print(f"   {fmt}_one_month: {figures[f'{fmt}_one_month']}", flush=True)
    for fmt in ("csv", "xlsx"):
        figures[f"{fmt}_vs_copy"] = round(figures[fmt]["seconds"] / max(figures["copy_export_query"]["seconds"], .01), 1)

if __name__ == "__main__":
    results: dict = {}
    run(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
