"""The Loa application: routers of every domain, static files, error handling, probes and metrics."""
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse

from app import models as _tables  # noqa: F401 - every table, and the hooks that keep the activity summary exact
from app.accounts import admin_api, admin_views
from app.accounts import api as accounts_api
from app.accounts import views as accounts_views
from app.accounts.deps import OptionalUser
from app.activities import api as activities_api
from app.activities import views as activities_views
from app.agencies import api as agencies_api
from app.audit import api as audit_api
from app.audit import views as audit_views
from app.accounts.deps import api_user
from app.activities.schemas import activity_schemas
from app.core import errors, logs, metrics, openapi, probes
from app.core.edge import TextEdge
from app.core.request_context import RequestContext
from app.dashboards import api as dashboards_api
from app.dashboards import views as dashboards_views
from app.offline import views as offline_views
from app.plans import api as plans_api
from app.plans import parse_api, parse_views
from app.plans import views as plans_views
from app.reports import api as reports_api
from app.reports import views as reports_views
from app.reviews import api as reviews_api
from app.reviews import views as reviews_views
from app.reviews.metrics import PendingSubmissions
from app.units import api as units_api
from app.units import views as units_views
from app.core.config import get_settings

from app.core.headers import SecurityHeaders
from app.core.uploads import UploadLimit
from app.core.static import STATIC_DIR, CachedStaticFiles, static_url
from app.core.templating import templates

API_DESCRIPTION = """
Loa's JSON API. Every call but `POST /api/v1/auth/token`, `/healthz` and this document needs
`Authorization: Bearer <token>`. Lists answer `{"items": [...], "next_cursor": "..."}`: pass
`cursor=<next_cursor>` for the next page (`limit` default 50, at most 500). Errors answer
`{"code": ..., "message": ..., "errors": [{"path": ..., "code": ..., "message": ...}]}`.
"""


# Order matters where paths overlap: fixed paths (/plans/import) before parametrised ones.
# Requests are matched against routes in this order, so the busiest writes (officers logging
# activities, by API and by form) come first.
ROUTERS = [
    activities_api.router, activities_views.router,
    accounts_views.router, accounts_api.router, admin_views.router, admin_api.router,
    audit_views.router, audit_api.router, units_views.router, units_api.router, agencies_api.router,
    parse_views.router, parse_api.router, plans_views.router, plans_api.router,
    reviews_views.router, reviews_api.router,
    dashboards_views.router, dashboards_api.router, reports_views.router, reports_api.router,
    offline_views.router,
]


@asynccontextmanager
async def lifespan(app: FastAPI):
    get_settings().check_secure()
    yield
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


class Loa(FastAPI):
    def build_middleware_stack(self):
        # Outside Starlette's error middleware, so the 500 page carries the request id too.
        return RequestContext(super().build_middleware_stack())


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_lines, settings.log_level)
    app = Loa(
        title="Loa API", version="1", description=API_DESCRIPTION, lifespan=lifespan,
        openapi_url="/api/v1/openapi.json", docs_url="/api/docs", redoc_url=None,
    )
    # zlib's default level: Starlette's 9 took 6 ms for the 77 KB of a province's dashboard, 6 takes
    # 1.4 for 3 % more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    app.add_middleware(TextEdge)
    app.add_middleware(UploadLimit)
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    openapi.install(app, api_user, activity_schemas)
    templates.env.globals["static_url"] = static_url
    app.mount("/static", CachedStaticFiles(directory=str(STATIC_DIR)), name="static")

    for router in ROUTERS:
        app.include_router(router)

    app.include_router(probes.router)
    app.include_router(metrics.router)
    metrics.count_on_scrape("loa_pending_submissions", PendingSubmissions())

    @app.get("/", include_in_schema=False)
    def home(user: OptionalUser):
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse("/activities/home" if user.role == "reporter" else "/dashboard", status_code=303)

    return app


app = create_app()
