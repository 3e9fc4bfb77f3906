"""Prometheus metrics (prometheus_client), served at /metrics to holders of LOA_METRICS_TOKEN.

With several worker processes every process writes its values to files in PROMETHEUS_MULTIPROC_DIR
(`loa serve --workers N` sets one up) and a scrape, answered by any one worker, adds them up."""
import os
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)

from app.core.config import get_settings

REQUESTS = Counter("loa_http_requests", "HTTP requests answered, by route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("loa_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DB_POOL_IN_USE = Gauge("loa_db_pool_connections_in_use", "Database connections checked out of the pools.",
                       multiprocess_mode="livesum")
DB_POOL_OPEN = Gauge("loa_db_pool_connections_open", "Database connections the pools hold open.",
                     multiprocess_mode="livesum")
ACTIVITIES_LOGGED = Counter("loa_activities_logged", "Activities logged (form, API and bulk).")
REVIEWS = Counter("loa_reviews", "Review decisions, by decision (approve, return, reopen).", ["decision"])
EXPORT_SECONDS = Histogram("loa_export_duration_seconds", "Time to produce an export, by format.", ["format"],
                           buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
# Collectors that count from the database when Prometheus scrapes, by name (the domains add theirs
# from app/main.py: core knows no domain).
SCRAPE_COLLECTORS: dict[str, object] = {}


def count_on_scrape(name: str, collector) -> None:
    SCRAPE_COLLECTORS[name] = collector


def watch_pool(engine) -> None:
    """Counts the connections of an engine's pool as they open, close, leave and come back."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(*_):
        DB_POOL_OPEN.inc()

    @event.listens_for(engine, "close")
    def _close(*_):
        DB_POOL_OPEN.dec()

    @event.listens_for(engine, "checkout")
    def _checkout(*_):
        DB_POOL_IN_USE.inc()

    @event.listens_for(engine, "checkin")
    def _checkin(*_):
        DB_POOL_IN_USE.dec()


def exposition() -> bytes:
    registry = CollectorRegistry()
    for collector in SCRAPE_COLLECTORS.values():
        registry.register(collector)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY) + generate_latest(registry)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request):
    token = get_settings().metrics_token
    if not token:
        return Response("Not Found", status_code=404, media_type="text/plain")
    sent = request.headers.get("authorization", "")
    if not secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return Response("Unauthorized", status_code=401, media_type="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
