"""The Loa application: routers of every domain, static files, error handling, health check."""
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text

from app.core import errors
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.static import STATIC_DIR, CachedStaticFiles, static_url
from app.core.templating import templates

API_DESCRIPTION = """
Loa's JSON API. Every call but `POST /api/v1/auth/token`, `/healthz` and this document needs
`Authorization: Bearer <token>`. Lists answer `{"items": [...], "next_cursor": "..."}`: pass
`cursor=<next_cursor>` for the next page (`limit` default 50, at most 500). Errors answer
`{"code": ..., "message": ..., "errors": [{"path": ..., "code": ..., "message": ...}]}`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI):
    get_settings().check_secure()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="Loa API", version="1", description=API_DESCRIPTION, lifespan=lifespan,
        openapi_url="/api/v1/openapi.json", docs_url="/api/docs", redoc_url=None,
    )
    app.add_middleware(GZipMiddleware, minimum_size=500)
    errors.install(app)
    templates.env.globals["static_url"] = static_url
    app.mount("/static", CachedStaticFiles(directory=str(STATIC_DIR)), name="static")

    from app.accounts import api as accounts_api, views as accounts_views
    from app.units import api as units_api, views as units_views

    for router in (accounts_views.router, accounts_api.router, units_views.router, units_api.router):
        app.include_router(router)
    for module in _optional_modules():
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    def healthz():
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return {"status": "ok", "database": "ok"}

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        return RedirectResponse(_home_for(request), status_code=303)

    return app


def _home_for(request: Request) -> str:
    return "/activities/home" if _has_route("activities.views") else "/units"


def _has_route(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"app.{module}") is not None


def _optional_modules():
    """Routers of the domains present, in a fixed order (each module exposes `router`)."""
    import importlib
    import importlib.util

    names = [
        "agencies.api", "audit.views", "audit.api", "accounts.admin_views", "accounts.admin_api",
        "plans.views", "plans.api", "plans.parse_views", "plans.parse_api", "activities.views", "activities.api", "reviews.views", "reviews.api",
        "dashboards.views", "dashboards.api", "reports.views", "reports.api",
        "offline.views",
    ]
    for name in names:
        if importlib.util.find_spec(f"app.{name}") is not None:
            yield importlib.import_module(f"app.{name}")


app = create_app()
