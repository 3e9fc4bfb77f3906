"""Peak memory of exporting activities to XLSX and CSV (`make bench`, or run this file alone).

Each export runs in a fresh subprocess over a scratch SQLite database; the figure is the
subprocess's peak resident set (ru_maxrss) minus that of the same process importing Loa
without exporting, at 20,000 and 200,000 activities: bounded memory means both are alike.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (20_000, 200_000)
PROVINCE_ID = 900_000_001

CHILD = r"""
import json, os, resource, sys, time
fmt, url = sys.argv[1], sys.argv[2]
from sqlmodel import Session
import app.models
from app.core.db import build_engine
from app.core.clock import utcnow
from app.accounts.models import User
from app.activities.queries import ActivityFilter
engine = build_engine(url)
out = {"baseline_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
started = time.perf_counter()
rows = 0
with Session(engine) as session:
    user = session.get(User, 1)
    if fmt == "xlsx":
        from app.reports.xlsx import write_activities_xlsx
        with open(os.devnull, "wb") as sink:
            rows = write_activities_xlsx(sink, session, user, ActivityFilter(), now=utcnow())
    elif fmt == "csv":
        from app.reports.csv import activity_csv
        for chunk in activity_csv(session, user, ActivityFilter(), now=utcnow()):
            rows += chunk.count(b"\n")
out["seconds"] = round(time.perf_counter() - started, 2)
out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out["rows"] = rows
print(json.dumps(out))
"""


def _fill(url: str, count: int) -> None:
    """A scratch database: one province, 50 communes, an admin and `count` activities."""
    import random
    import uuid
    from datetime import date, datetime, timedelta, timezone

    from sqlalchemy import insert
    from sqlmodel import Session, SQLModel

    import app.models  # noqa: F401
    from app.accounts.models import User
    from app.activities.models import Activity
    from app.activities.types import TYPES
    from app.core.db import build_engine
    from app.units.models import Unit

    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    rng = random.Random(7)
    with Session(engine) as session:
        session.add(Unit(id=PROVINCE_ID, code="99", name="Tỉnh Thử Nghiệm", short_name="Thử Nghiệm", level="province",
                         province_id=PROVINCE_ID, current_province_id=PROVINCE_ID))
        communes = []
        for i in range(50):
            uid = PROVINCE_ID + 1 + i
            communes.append(uid)
            session.add(Unit(id=uid, code=f"9{i:04d}", name=f"Xã Đồng Tâm {i}", short_name=f"Đồng Tâm {i}",
                             level="commune", parent_id=PROVINCE_ID, province_id=PROVINCE_ID, commune_id=uid,
                             current_province_id=PROVINCE_ID, current_commune_id=uid))
        session.add(User(id=1, username="admin", role="admin", unit_id=None, full_name="Quản trị",
                         password_hash="x"))
        session.commit()
        types = list(TYPES)
        now = datetime.now(timezone.utc)
        batch = []
        for n in range(count):
            t = types[n % len(types)]
            batch.append({
                "id": uuid.uuid4(), "type": t, "title": f"Tuyên truyền giảm nghèo bền vững số {n} ở thôn Đồng Quỹ",
                "start_date": date(2026, 1, 1) + timedelta(days=n % 330), "unit_id": rng.choice(communes),
                "status": "approved", "participants": rng.randint(0, 200), "participants_poor": rng.randint(0, 50),
                "airings": rng.randint(0, 10), "minutes_per_airing": 15, "minutes": 0, "copies": rng.randint(0, 500),
                "cost_local_vnd": rng.randint(0, 5_000_000), "cost_vnd": 0, "topics": ["giam_ngheo"],
                "audiences": ["ho_ngheo"], "details": {"programme_title": "Chuyện làng quê"},
                "notes": "Ghi chú có dấu: Hà Giang, Đắk Lắk", "version": 1, "created_by_id": 1,
                "created_at": now, "updated_at": now,
            })
            if len(batch) == 5000:
                session.execute(insert(Activity), batch)
                batch = []
        if batch:
            session.execute(insert(Activity), batch)
        session.commit()
    engine.dispose()


def _measure(fmt: str, url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "LOA_ENV": "test"}
    done = subprocess.run([sys.executable, "-c", CHILD, fmt, url], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(results: dict) -> None:
    figures = results.setdefault("reports", {})
    figures.pop("error", None)
    for count in SIZES:
        with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            started = time.perf_counter()
            _fill(url, count)
            fill_s = round(time.perf_counter() - started, 1)
            for fmt in ("xlsx", "csv"):
                m = _measure(fmt, url)
                key = f"{fmt}_{count}"
                figures[key] = {
                    "activities": count, "seconds": m["seconds"],
                    "peak_rss_mb": round(m["peak_kb"] / 1024, 1),
                    "export_extra_mb": round((m["peak_kb"] - m["baseline_kb"]) / 1024, 1),
                }
                print(f"   {key}: {figures[key]} (database filled in {fill_s} s)", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    figures: dict = {}
    run(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
