"""Every route of the app, walked as anonymous, as each role inside its scope and as users of another
scope. Routes are discovered from the app's route table, so a new route is covered as soon as it
exists; a new path parameter must be added to PARAM_FACTORIES below.

Scope A is a commune of Thành phố Hải Phòng, scope B a commune of Thành phố Đà Nẵng. The rules:
no credentials → 401 (API) or a redirect to /login (HTML); reads of another scope's object → 404;
writes to it → 403 or 404 (422 only when the request was refused before the object was looked
at, and then without showing the object); never a 2xx or a 5xx, and never an audit row.
"""
import functools
import re
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.accounts.security import hash_password
from app.audit.models import AuditEntry
from app.main import create_app
from tests.accounts_helpers import commune_a, commune_b
from tests.factories import DA_NANG, HAI_PHONG, make_activity, make_agency, make_plan, make_task

SKIP_PREFIXES = ("/static", "/api/v1/openapi", "/openapi", "/api/docs", "/docs")
# /login and the token endpoint are how one signs in; "/" only redirects to the home page. The probes
# hold no data; /metrics has its own token (tests/test_metrics.py).
SKIP_PATHS = {"/healthz", "/livez", "/readyz", "/metrics", "/login", "/api/v1/auth/token", "/"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Administrative units and agencies are public reference data: anyone signed in may read any of them.
PUBLIC_READS = {"/units/{unit_id}", "/api/v1/units/{unit_id}", "/api/v1/agencies/{agency_id}"}
# Files the browser fetches before anyone signs in (installable app); they hold no data.
PUBLIC_PATHS = {"/sw.js", "/manifest.webmanifest"}
# Text planted in scope B's objects; it must never appear in an answer to a user of scope A.
SECRET = "BIMATB"
_HASH = hash_password("mat-khau-phan-quyen")


# --- discovery -------------------------------------------------------------------------------------

def _route_table():
    app = create_app()
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers
        contexts = app.routes
    else:
        contexts = list(iter_route_contexts(app.routes))
    for rc in contexts:
        path, methods = getattr(rc, "path", None), getattr(rc, "methods", None)
        if not path or not methods:
            continue
        original = getattr(rc, "original_route", rc)
        yield path, methods, original


def _cases():
    seen = set()
    for path, methods, route in _route_table():
        if path in SKIP_PATHS or path.startswith(SKIP_PREFIXES):
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in seen:
                seen.add((method, path))
                yield pytest.param(method, path, route, id=f"{method} {path}")


CASES = list(_cases())
PARAM_CASES = [c for c in CASES if "{" in c.values[1]]
GET_CASES = [c for c in CASES if c.values[0] == "GET"]


def _params(path: str) -> list[str]:
    return re.findall(r"{([^}:]+)(?::[^}]*)?}", path)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def _answers_json(response) -> bool:
    """Pages fetch some JSON outside /api (offline bootstrap); those answer 401 like the API."""
    return response.headers.get("content-type", "").startswith("application/json")


# --- the two scopes --------------------------------------------------------------------------------

@dataclass
class Scope:
    """Objects of one scope, by the name of the path parameter that addresses them."""
    name: str
    commune_id: int
    province_id: int
    ids: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)


def _user(session, role: str, unit_id, username: str, full_name: str) -> User:
    user = User(username=username, full_name=full_name, role=Role(role), unit_id=unit_id, password_hash=_HASH)
    session.add(user)
    session.commit()
    return user


def _evidence(session, activity, user, marker: str) -> str:
    from app.activities.models import Evidence
    from app.core.config import get_settings

    relative = f"evidence/{uuid.uuid4()}.jpg"
    file = get_settings().media_dir / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"\xff\xd8\xff\xd9")
    row = Evidence(activity_id=activity.id, kind="photo", filename=f"{marker}.jpg", content_type="image/jpeg",
                   size_bytes=4, path=relative, created_by_id=user.id)
    session.add(row)
    session.commit()
    return str(row.id)


def _plan_document(marker: str) -> str:
    from app.core.config import get_settings

    relative = f"plans/{uuid.uuid4()}.txt"
    file = get_settings().media_dir / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(f"Kế hoạch {marker}", encoding="utf-8")
    return relative


def build_scope(session, name: str, commune_id: int, province_id: int, marker: str) -> Scope:
    scope = Scope(name, commune_id, province_id)
    p = scope.people
    p["admin"] = _user(session, "admin", None, f"admin.{name}", "Quản trị")
    p["reviewer"] = _user(session, "reviewer", province_id, f"reviewer.{name}", "Thẩm định")
    p["reporter"] = _user(session, "reporter", commune_id, f"reporter.{name}", "Báo cáo")
    p["viewer"] = _user(session, "viewer", commune_id, f"viewer.{name}", "Người xem")
    victim = _user(session, "reporter", commune_id, f"victim.{name}", f"Nạn nhân {marker}")
    _, api_token = account_services.issue_token(session, victim, f"token {marker}")
    session.commit()  # the test is the unit of work
    agency = make_agency(session, province_id, name=f"Cơ quan {name}")
    plan = make_plan(session, commune_id, title=f"Kế hoạch {marker}", document_name=f"{marker}.txt",
                     document_path=_plan_document(marker))
    task = make_task(session, plan, unit_ids=(commune_id,), title=f"Nhiệm vụ {marker}")
    activity = make_activity(session, commune_id, user=victim, title=f"Hoạt động {marker}", task_ids=(task.id,),
                             start_date=date(2026, 3, 2))
    scope.ids.update({
        "unit_id": commune_id, "commune_id": commune_id, "province_id": province_id, "user_id": victim.id,
        "token_id": api_token.id, "agency_id": agency.id, "plan_id": plan.id, "task_id": task.id,
        "activity_id": str(activity.id), "evidence_id": _evidence(session, activity, victim, marker),
    })
    return scope


# Every path parameter name → how to fill it from a scope. A route with a parameter missing here
# fails the suite on purpose: add the parameter (and, if needed, a factory in build_scope).
PARAM_FACTORIES = {
    "unit_id": lambda s: s.ids["unit_id"],
    "commune_id": lambda s: s.ids["commune_id"],
    "province_id": lambda s: s.ids["province_id"],
    "user_id": lambda s: s.ids["user_id"],
    "token_id": lambda s: s.ids["token_id"],
    "agency_id": lambda s: s.ids["agency_id"],
    "plan_id": lambda s: s.ids["plan_id"],
    "task_id": lambda s: s.ids["task_id"],
    "activity_id": lambda s: s.ids["activity_id"],
    "evidence_id": lambda s: s.ids["evidence_id"],
}


def fill(path: str, scope: Scope) -> str:
    url = path
    for name in _params(path):
        if name not in PARAM_FACTORIES:
            pytest.fail(f"The route {path} has a path parameter {{{name}}} that the permission suite does not know. "
                        f"Add '{name}' to PARAM_FACTORIES in tests/test_permissions.py (and create the object in "
                        f"build_scope) so that scope A/B checks cover this route.")
        value = str(PARAM_FACTORIES[name](scope))
        url = re.sub(r"{" + name + r"(?::[^}]*)?}", lambda _: value, url)
    return url


@pytest.fixture(scope="module")
def app_client(database):
    """One app for the whole suite: building an app per route would triple its run time."""
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def client(app_client):
    app_client.cookies.clear()
    return app_client


@pytest.fixture
def world(session):
    a = build_scope(session, "a", commune_a(session).id, HAI_PHONG, "CUAA")
    b = build_scope(session, "b", commune_b(session).id, DA_NANG, SECRET)
    return a, b


# --- requests --------------------------------------------------------------------------------------

def _as(client, session, user: User | None, api: bool) -> dict:
    """Signs the client in as `user` (cookie with CSRF header for HTML, Bearer for the API)."""
    client.cookies.clear()
    if user is None:
        return {}
    if api:
        raw, _ = account_services.issue_token(session, user, "suite")
        session.commit()  # the test is the unit of work
        return {"Authorization": f"Bearer {raw}"}
    cookie, auth = account_services.start_session(session, user)
    session.commit()
    client.cookies.set("loa_session", cookie)
    return {"X-CSRF-Token": auth.csrf_token}


@functools.lru_cache
def _openapi() -> dict:
    return create_app().openapi()


def _schema_sample(schema: dict, components: dict, scope: Scope, name: str = "", depth: int = 0):
    """A minimal value for a JSON schema; fields named like path parameters get scope's ids."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if name in PARAM_FACTORIES:
        return PARAM_FACTORIES[name](scope)
    if name.endswith("_ids") and name[:-1] in PARAM_FACTORIES:
        return [PARAM_FACTORIES[name[:-1]](scope)]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return _schema_sample(options[0], components, scope, name, depth)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {prop: _schema_sample(sub, components, scope, prop, depth + 1)
                for prop, sub in schema.get("properties", {}).items() if prop in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer" or kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-03-02"
    if schema.get("format") == "date-time":
        return "2026-03-02T08:00:00+07:00"
    return "x" * max(2, schema.get("minLength", 2))


def _request(client, method: str, path: str, route, url: str, headers: dict, scope: Scope):
    """Sends the request with a plausible body, so that checks inside the handler are reached."""
    kwargs = {"headers": headers, "follow_redirects": False}
    if method in WRITE_METHODS:
        if is_api(path):
            spec = _openapi()
            operation = spec["paths"].get(path, {}).get(method.lower(), {})
            content = operation.get("requestBody", {}).get("content", {})
            components = spec.get("components", {}).get("schemas", {})
            if "application/json" in content:
                kwargs["json"] = _schema_sample(content["application/json"]["schema"], components, scope)
            elif content:
                schema = next(iter(content.values()))["schema"]
                body = _schema_sample(schema, components, scope)
                kwargs["data"] = {k: str(v) for k, v in body.items() if not isinstance(v, (list, dict))}
        else:
            form = {"csrf_token": headers.get("X-CSRF-Token", "")}
            for param in getattr(getattr(route, "dependant", None), "body_params", []):
                key = getattr(param, "alias", None) or param.name
                if key in PARAM_FACTORIES:
                    form[key] = str(PARAM_FACTORIES[key](scope))
                elif key != "csrf_token":
                    form[key] = "1" if "int" in str(getattr(param, "field_info", "")) else "xx"
            kwargs["data"] = form
    return client.request(method, url, **kwargs)


def _audit_count(session, user: User) -> int:
    session.expire_all()
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.user_id == user.id, AuditEntry.entity.not_in(("session", "api_token")))
    return session.execute(query).scalar_one()


# --- the suite -------------------------------------------------------------------------------------

def test_the_suite_sees_the_routes_of_every_domain():
    paths = {c.values[1] for c in CASES}
    assert {"/admin/users", "/api/v1/users/{user_id}", "/api/v1/audit", "/audit", "/units/{unit_id}"} <= paths


def test_an_unknown_path_parameter_fails_loudly_with_what_to_do():
    scope = Scope("a", 1, 1)
    with pytest.raises(pytest.fail.Exception, match="Add 'widget_id' to PARAM_FACTORIES"):
        fill("/widgets/{widget_id}", scope)


@pytest.mark.parametrize("method,path,route", CASES)
def test_anonymous_requests_are_refused(method, path, route, client, session, world):
    a, _ = world
    response = _request(client, method, path, route, fill(path, a), {}, a)
    if path in PUBLIC_PATHS:
        assert response.status_code == 200 and SECRET not in response.text and "CUAA" not in response.text
    elif is_api(path) or _answers_json(response):
        assert response.status_code == 401, f"{method} {path}: {response.status_code} {response.text[:300]}"
        assert response.json()["code"] in ("not_authenticated", "invalid_token")
    else:
        assert response.status_code == 303, f"{method} {path}: {response.status_code} {response.text[:300]}"
        assert response.headers["location"].startswith("/login"), response.headers["location"]


# Accounts and tokens are personal: a reporter does not see a colleague's account even in its commune.
PERSONAL_PARAMS = {"user_id", "token_id"}
OUTSIDERS = [("reporter", "a", "b"), ("viewer", "a", "b"), ("reviewer", "b", "a")]


@pytest.mark.parametrize("method,path,route", PARAM_CASES)
def test_objects_of_another_scope_do_not_exist_for_its_outsiders(method, path, route, client, session, world):
    scopes = {"a": world[0], "b": world[1]}
    for role, home, other in OUTSIDERS:
        actor = scopes[home].people[role]
        target = scopes[other]
        url = fill(path, target)
        headers = _as(client, session, actor, is_api(path))
        before = _audit_count(session, actor)
        response = _request(client, method, path, route, url, headers, target)
        who = f"{role} of scope {home.upper()} → {method} {url} ({path})"
        assert response.status_code < 500, f"{who}: server error {response.status_code} {response.text[:300]}"
        assert _audit_count(session, actor) == before, f"{who}: the write went through (audit row written)"
        if method == "GET":
            if path in PUBLIC_READS:
                assert response.status_code == 200, who
                continue
            assert response.status_code == 404, f"{who}: expected 404, got {response.status_code}"
        else:
            assert response.status_code in (403, 404, 422), f"{who}: expected 403/404, got {response.status_code}"
            if response.status_code == 422 and target.name == "b":
                assert SECRET not in response.text, f"{who}: the 422 answer shows the other scope's data"


@pytest.mark.parametrize("method,path,route", GET_CASES)
def test_every_role_in_scope_reads_without_server_errors(method, path, route, client, session, world):
    a, _ = world
    url = fill(path, a)
    for role in ("admin", "reviewer", "reporter", "viewer"):
        headers = _as(client, session, a.people[role], is_api(path))
        response = client.get(url, headers=headers, follow_redirects=False)
        who = f"{role} of scope A → GET {url} ({path})"
        assert response.status_code < 500, f"{who}: server error {response.status_code} {response.text[:300]}"
        assert response.status_code != 401, f"{who}: signed in but answered 401"
        if role == "admin":
            assert response.status_code not in (403, 404), f"{who}: admins see everything, got {response.status_code}"
        elif not set(_params(path)) & PERSONAL_PARAMS:
            assert response.status_code != 404, f"{who}: every role reads its own scope, got 404"


@pytest.mark.parametrize("method,path,route", [c for c in GET_CASES if "{" not in c.values[1]])
def test_lists_never_show_another_scopes_objects(method, path, route, client, session, world):
    a, _ = world
    for role in ("reporter", "viewer", "reviewer"):
        headers = _as(client, session, a.people[role], is_api(path))
        response = client.get(path, headers=headers, follow_redirects=False)
        who = f"{role} of scope A → GET {path}"
        assert response.status_code < 500, f"{who}: server error {response.status_code} {response.text[:300]}"
        assert SECRET not in response.text, f"{who}: the answer shows an object of scope B"


def _rows_in(session, unit_ids: set[int]) -> dict[str, int]:
    """How many rows of every table with a `unit_id` column belong to these units."""
    from sqlmodel import SQLModel

    session.expire_all()
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        if "unit_id" in table.c and table.name != "audit_entry":
            query = select(func.count()).select_from(table).where(table.c.unit_id.in_(unit_ids))
            counts[table.name] = session.execute(query).scalar_one()
    return counts


WRITE_CASES = [c for c in CASES if c.values[0] in WRITE_METHODS and "{" not in c.values[1]]


@pytest.mark.parametrize("method,path,route", WRITE_CASES)
def test_writes_cannot_create_anything_in_another_scope(method, path, route, client, session, world):
    """Bodies name the other scope's unit, plan, task...: nothing may be written there."""
    scopes = {"a": world[0], "b": world[1]}
    for role, home, other in OUTSIDERS:
        actor, target = scopes[home].people[role], scopes[other]
        units = {target.commune_id, target.province_id}
        headers = _as(client, session, actor, is_api(path))
        before = _rows_in(session, units)
        response = _request(client, method, path, route, path, headers, target)
        who = f"{role} of scope {home.upper()} → {method} {path} naming scope {other.upper()}'s objects"
        assert response.status_code < 500, f"{who}: server error {response.status_code} {response.text[:300]}"
        assert _rows_in(session, units) == before, f"{who}: wrote into the other scope ({response.status_code})"
