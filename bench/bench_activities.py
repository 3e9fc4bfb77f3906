"""Logging budgets: the broadcast form's size on the wire, and the API under load.

- Page size: the broadcast form over HTTP with gzip — cold (HTML + every stylesheet and script it
  links, and the service worker if there is one; scripts loaded only on demand are listed apart)
  and warm (the HTML only; static files carry content hashes and are cached for a year).
- Throughput: Loa served by uvicorn in a subprocess (`--workers`, one per core as `loa serve
  --workers` would run it) on a scratch SQLite database, then on PostgreSQL when reachable. A
  second process (`bench/loadgen.py`) sends broadcast POSTs open-loop at 200/s for 10 s, three
  times (latency is measured from each request's scheduled time, so queueing counts; the verdict
  takes the median run), then closed-loop with 32 clients for the saturation throughput. The
  server's CPU time per request is read from /proc during the open-loop runs. Two scenarios, on
  the same server one after the other:
  - `one_commune`: one reporter logs every entry in one commune (same month and type), so every
    transaction adds to the same activity summary rows: the worst case for their row locks;
  - `spread`: SPREAD_REPORTERS reporters, each in a commune of their own (communes taken evenly
    through the list, so across provinces), take turns: entries update as many summary rows.
PostgreSQL is BENCH_PG_URL's server. Measure on one that runs autovacuum, as production does: with
autovacuum off (a CI server may turn it off) the one-commune figures fall run after run, and the
bench says so.
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RATE, DURATION, RUNS = 200, 10.0, 3
SATURATION_CLIENTS, SATURATION_SECONDS = 32, 8.0
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"
# Requests beyond this answer 503 (counted as errors) rather than queueing without bound.
LIMIT_CONCURRENCY = 64
SPREAD_REPORTERS = 40
# As `loa serve --workers` (WEB_CONCURRENCY): one process per core unless told otherwise.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))

SETUP = r"""
import sys
from sqlmodel import Session
import app.models
from app.core.db import get_engine
from app.migrate import upgrade
from app.units.loader import load_units
from app.accounts import services
from app.accounts.models import Role, UserCreate
upgrade("head")
with Session(get_engine()) as session:
    load_units(session)
    from sqlalchemy import select
    from app.units.models import Unit
    current = session.execute(select(Unit).where(Unit.level == "commune", Unit.valid_to.is_(None))
                              .order_by(Unit.id).limit(1)).scalars().one()
    services.create_user(session, UserCreate(username="bench", full_name="Bench", role=Role.reporter,
                         unit_id=current.id, password=sys.argv[1]), user=None)
    session.commit()  # services leave the unit of work to their caller
    # The spread scenario: reporters in communes other than the first, taken evenly through the list.
    communes = session.execute(select(Unit.id).where(Unit.level == "commune", Unit.valid_to.is_(None),
                                                     Unit.id != current.id).order_by(Unit.id)).scalars().all()
    step = max(1, len(communes) // int(sys.argv[2]))
    spread = []
    for i, unit_id in enumerate(communes[::step][:int(sys.argv[2])]):
        reporter = services.create_user(session, UserCreate(username=f"bench{i}", full_name=f"Bench {i}",
                                        role=Role.reporter, unit_id=unit_id, password=sys.argv[1]), user=None)
        spread.append([services.issue_token(session, reporter, "bench")[0], unit_id])
    session.commit()
    import json
    print(json.dumps(spread))
    print(current.id)
"""



def _free_port() -> int:
    if os.environ.get("BENCH_PORT"):  # a port set aside for the bench on a shared machine
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(url: str, media: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "LOA_MEDIA_DIR": media, "LOA_ENV": "development",
            "PYTHONPATH": str(ROOT)}


class Server:
    """Loa under uvicorn in its own process, on a scratch database with one reporter."""

    def __init__(self, url: str):
        self.url = url
        self.media = tempfile.mkdtemp(prefix="loa-bench-media-")
        env = _env(url, self.media)
        out = subprocess.run([PYTHON, "-c", SETUP, PASSWORD, str(SPREAD_REPORTERS)], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True)
        lines = out.stdout.strip().splitlines()
        self.unit_id = int(lines[-1])
        self.spread_file = Path(self.media) / "spread.json"  # [[token, unit_id], ...] for loadgen
        self.spread_file.write_text(lines[-2])
        self.spread_units = len(json.loads(lines[-2]))
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "app.main:app", "--port", str(self.port), "--log-level", "error",
             "--no-access-log", "--limit-concurrency", str(LIMIT_CONCURRENCY), "--workers", str(WORKERS)],
            env=env, cwd=ROOT)
        self._wait()

    def _wait(self) -> None:
        import httpx

        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def token(self) -> str:
        import httpx

        response = httpx.post(self.base + "/api/v1/auth/token", data={"username": "bench", "password": PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _load(server: Server, token: str, mode: str, rate: float, duration: float, unit: str) -> dict:
    out = subprocess.run([PYTHON, str(ROOT / "bench" / "loadgen.py"), server.base, token, unit, mode,
                          str(rate), str(duration)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def page_size(server: Server) -> dict:
    import httpx

    with httpx.Client(base_url=server.base, headers={"Accept-Encoding": "gzip"}) as client:
        login = client.post("/login", data={"username": "bench", "password": PASSWORD, "next": "/"})
        assert login.status_code in (200, 303), login.status_code

        def wire(path: str) -> int:
            with client.stream("GET", path) as response:
                return len(b"".join(response.iter_raw()))

        html_bytes = wire("/activities/new?type=broadcast")
        page = client.get("/activities/new?type=broadcast").text
        assets = sorted(set(re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page)
                            + re.findall(r'<script[^>]+src="([^"]+)"', page)))
        # Scripts named in data- attributes are fetched only when needed (e.g. a queue to send).
        lazy = sorted(set(re.findall(r'data-[a-z-]+="(/static/[^"]+\.js[^"]*)"', page)))
        sizes = {path.split("?")[0]: wire(path) for path in assets}
        lazy_sizes = {path.split("?")[0]: wire(path) for path in lazy}
        for worker in ("/sw.js", "/service-worker.js", "/static/sw.js"):
            if client.get(worker).status_code == 200:
                sizes[worker] = wire(worker)
                break
    cold = html_bytes + sum(sizes.values())
    return {"html_gzip_bytes": html_bytes, "assets_gzip_bytes": sizes, "lazy_assets_gzip_bytes": lazy_sizes,
            "cold_kb": round(cold / 1024, 1), "cold_with_lazy_kb": round((cold + sum(lazy_sizes.values())) / 1024, 1),
            "warm_kb": round(html_bytes / 1024, 1), "budget_cold_kb": 30, "budget_warm_kb": 8,
            "within_budget": cold <= 30 * 1024 and html_bytes <= 8 * 1024}


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process and its children, from /proc (Linux only)."""
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        ticks = 0
        for p in [str(pid), *children]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _scenario(server: Server, token: str, unit: str, label: str) -> dict:
    runs = []
    for _ in range(RUNS):
        before = _cpu_seconds(server.process.pid)
        run = _load(server, token, "open", RATE, DURATION, unit)
        after = _cpu_seconds(server.process.pid)
        if before is not None and after is not None and run["requests"]:
            run["server_cpu_ms_per_request"] = round((after - before) * 1000 / (run["requests"] + 20), 2)
        runs.append(run)
    saturation = _load(server, token, "closed", SATURATION_CLIENTS, SATURATION_SECONDS, unit)
    median_p95 = statistics.median(r["p95_ms"] for r in runs)
    return {"scenario": label, f"open_loop_{RATE}_per_s": runs, "median_p95_ms": median_p95,
            "median_cpu_ms_per_request": statistics.median(r.get("server_cpu_ms_per_request", 0) for r in runs),
            "saturation": saturation,
            "p95_within_25_ms": bool(median_p95 <= 25 and not any(r["errors"] for r in runs))}


def _pg_state(url: str) -> dict | None:
    """What PostgreSQL's figures depend on beyond Loa: every update of a summary row leaves a dead
    version of it that only (auto)vacuum clears, and each later update of that row walks past them
    all, so a row that every request updates (the one-commune scenario) gets slower as a run goes
    on when autovacuum is off or falls behind. A transaction left open in the same database keeps
    even vacuum from clearing them."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        oldest = conn.execute("SELECT coalesce(extract(epoch FROM max(now() - xact_start)), 0) FROM pg_stat_activity "
                              "WHERE (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL) AND pid <> pg_backend_pid()"
                              ).fetchone()[0]
        dead = dict(conn.execute("SELECT relname, n_dead_tup FROM pg_stat_user_tables "
                                 "WHERE relname IN ('activity_summary', 'activity_summary_province')").fetchall())
    return {"autovacuum": autovacuum, "oldest_open_transaction_s": round(float(oldest)),
            "summary_dead_row_versions": dead}


def throughput(server: Server) -> dict:
    """Both scenarios: one commune first (as this bench has always measured), then the spread."""
    one = _scenario(server, server.token(), str(server.unit_id),
                    "one reporter, one commune, one month and type: every entry updates the same summary rows")
    if (state := _pg_state(server.url)) is not None:
        one["postgresql_after"] = state
        if state["autovacuum"] != "on":
            print("   autovacuum is off on this PostgreSQL: the one-commune figures are not production's", flush=True)
    spread = _scenario(server, "@" + str(server.spread_file), "0",
                       f"{server.spread_units} reporters, each in a commune of their own, taking turns")
    if (state := _pg_state(server.url)) is not None:
        spread["postgresql_after"] = state
    return {"one_commune": one, "spread": spread}


def _pg_database() -> str | None:
    try:
        import psycopg

        name = f"loa_bench_{os.getpid()}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    except Exception:  # noqa: BLE001 — PostgreSQL is optional here
        return None


def _drop_pg(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(results: dict) -> None:
    out = results.setdefault("activities", {})
    out["cpus"] = os.cpu_count()
    out["server_workers"] = WORKERS
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        server = Server(f"sqlite:///{tmp}/bench.db")
        try:
            out["broadcast_form"] = page_size(server)
            print(f"   form: cold {out['broadcast_form']['cold_kb']} KB, warm {out['broadcast_form']['warm_kb']} KB",
                  flush=True)
            out["api_sqlite"] = throughput(server)
            print(f"   sqlite: {out['api_sqlite']}", flush=True)
        finally:
            server.stop()
    url = _pg_database()
    if url is None:
        out["api_postgresql"] = "PostgreSQL not reachable"
        return
    try:
        server = Server(url)
        try:
            out["api_postgresql"] = throughput(server)
            print(f"   postgresql: {out['api_postgresql']}", flush=True)
        finally:
            server.stop()
    finally:
        _drop_pg(url)


if __name__ == "__main__":
    results: dict = {}
    run(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
