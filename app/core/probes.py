"""Probes for load balancers and Kubernetes: /livez (the process answers; no database), /readyz
(the database answers, its schema is at the newest migration and evidence storage takes a write)
and /healthz (the database answers; kept for existing checks)."""
import logging
from functools import lru_cache

from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.core import storage
from app.core.db import get_engine
from app.migrate import alembic_config

router = APIRouter(tags=["health"])
log = logging.getLogger("loa.probes")


@lru_cache
def migration_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@router.get("/livez")
def livez():
    return {"status": "ok"}


@router.get("/healthz")
def healthz():
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return {"status": "ok", "database": "ok"}


@router.get("/readyz")
def readyz():
    checks = {"database": "ok", "migrations": "ok", "storage": "ok"}
    try:
        with get_engine().connect() as conn:
            current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        if current != migration_heads():
            checks["migrations"] = "behind"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unreachable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    try:
        storage.get_storage().check_writable()
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: storage not writable: %s", exc)
        checks["storage"] = "not_writable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)
