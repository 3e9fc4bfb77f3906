"""The OpenAPI document of the JSON API: the error envelope on every 4xx an operation can give,
the Bearer scheme on every operation that needs a token, and the per-type description of an
activity (see app/activities/schemas.py).

The statuses each operation may answer follow from how it is built, so that a new route is
documented like the others without a list to keep up to date:
- a token is needed (`api_user` among its dependencies): 401, and 403 (role, scope, or the CSRF
  check of a cookie-authenticated write);
- it takes parameters or a body: 422; a path parameter or a filter by id (`unit_id`, `plan_id`…),
  which answers 404 outside the scope: 404; a `cursor`: 400;
- it changes a versioned record (PATCH, DELETE): 409.
Anything else (413, 429, 409 of a POST) is declared on the route with `errors_doc`.
"""
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi import routing
from fastapi.routing import APIRoute
from app.core.errors import ERROR_DESCRIPTIONS, ErrorBody

ERROR_REF = "#/components/schemas/ErrorBody"
BEARER = "bearer"


def install(app: FastAPI, authenticated, extra_schemas=None) -> None:
    """`authenticated`: the dependency that requires a token; `extra_schemas()`: components to add
    or replace (name → schema)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, authenticated, extra_schemas() if extra_schemas else {})
        return app.openapi_schema
    app.openapi = openapi


def _calls(dependant: Dependant, target) -> bool:
    return any(d.call is target or _calls(d, target) for d in dependant.dependencies)


def _error_response(status: int) -> dict[str, Any]:
    response = {"description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def needs_token(route, operation: dict[str, Any], authenticated) -> bool:
    """`api_user` among the dependencies, or an operation that identifies its caller itself and
    says so with `openapi_extra={"security": ...}`."""
    return _calls(route.dependant, authenticated) or "security" in operation


def _statuses(route, method: str, operation: dict[str, Any], authenticated) -> set[int]:
    params = operation.get("parameters", [])
    statuses: set[int] = set()
    if needs_token(route, operation, authenticated):
        statuses |= {401, 403}
    if params or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(400)  # a body that is not text (bytes that are not UTF-8)
    if any(p["in"] == "path" for p in params) or any(p["in"] == "query" and p["name"].endswith("_id") for p in params):
        statuses.add(404)
    if any(p["in"] == "query" and p["name"] == "cursor" for p in params):
        statuses.add(400)
    if method in ("patch", "delete"):
        statuses.add(409)
    return statuses


def build(app: FastAPI, authenticated, extra: dict[str, Any]) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error.pop("$defs", {}))
    schemas["ErrorBody"] = error
    schemas.update(extra)
    components["securitySchemes"] = {BEARER: {"type": "http", "scheme": "bearer",
                                              "description": "A token from `POST /api/v1/auth/token`"}}
    for route in routing.iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation["responses"]
            for status in _statuses(route, method.lower(), operation, authenticated):
                responses.setdefault(str(status), _error_response(status))
            for status, response in responses.items():
                if status.startswith("4") and int(status) in ERROR_DESCRIPTIONS:
                    documented = _error_response(int(status))
                    if response.get("description") not in (None, "", "Validation Error"):
                        documented["description"] = response["description"]
                    responses[status] = documented
            if needs_token(route, operation, authenticated):
                operation["security"] = [{BEARER: []}]
            operation["responses"] = dict(sorted(responses.items()))
    return schema
