"""The API keeps the contract of its OpenAPI document: a property-based run of every operation, as a
national admin and as a commune reporter, with data that fits the schema (positive) and data that
does not (negative). It fails on a server error, a status the operation does not document, a body
or content type other than documented, invalid input accepted, or valid input refused.

"Valid input refused" is judged by the error codes: a request that fits the schema may still break
a rule of the domain the schema cannot state (a date in the future, a unit outside the scope, a
breakdown above its total, a cursor this API did not hand out) and is then refused with that rule's
code; a refusal with a code of the schema's kind (a missing field, a wrong type, a bound) means the
document and the server disagree.

Kept to a few minutes on two cores by `CONTRACT_EXAMPLES` examples per operation, role and phase.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.accounts import services as account_services  # noqa: E402
from tests.activities_helpers import commune_pair  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from tests.factories import make_activity  # noqa: E402

# Property-based and a few minutes long: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.property

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "8"))

# Codes that say the request did not fit the schema: a request generated from the schema must
# never be refused with one of them.
SCHEMA_CODES = {
    "missing", "unknown_field", "extra_forbidden", "int_parsing", "int_type", "int_from_float", "float_parsing",
    "string_type", "date_parsing", "date_from_datetime_parsing", "date_type", "datetime_parsing", "uuid_parsing",
    "uuid_type", "bool_parsing", "bool_type", "bool_not_allowed", "list_type", "dict_type", "model_attributes_type",
    "enum", "literal_error", "string_too_long", "too_long", "too_short", "greater_than_equal", "less_than_equal",
    "greater_than", "less_than", "json_invalid", "union_tag_invalid", "union_tag_not_found", "string_pattern_mismatch",
}


def refuses_no_valid_input(ctx, response, case):
    """A request generated from the schema is not refused for a reason the schema states."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        errors = []
    schema_errors = [e for e in errors if e.get("code") in SCHEMA_CODES]
    if schema_errors or (response.status_code == 400 and not errors):
        raise AssertionError(f"A request that fits the schema was refused ({response.status_code}): {schema_errors}")
    return None


@pytest.fixture
def actors(database):
    """A national admin and a commune reporter with a token each, and an entry of the reporter."""
    with Session(database, expire_on_commit=False) as session:
        _, commune = commune_pair(session)
        # Written directly: no password is needed, and hashing one for each of ~100 operations costs.
        admin = User(username="quan_tri", role=Role.admin, full_name="Quản trị", password_hash="-")
        reporter = User(username="to_ha", role=Role.reporter, unit_id=commune.id, full_name="Tô Hà", password_hash="-")
        session.add_all([admin, reporter])
        session.commit()
        make_activity(session, commune.id, user=reporter)
        tokens = {}
        for user in (admin, reporter):
            raw, _ = account_services.issue_token(session, user, "contract")
            tokens[user.role] = {"Authorization": f"Bearer {raw}"}
        session.commit()  # services never commit: the request's unit of work does, and here there is none
        return tokens


def _schema():
    """The document as the app serves it, called in-process (ASGI); the requests reach the test
    database, which conftest.py set up before this module is imported."""
    from app.main import create_app

    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app())
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES)
    return loaded


schema = _schema()


def _call(case, headers):
    excluded = [positive_data_acceptance]
    if case.path == "/api/v1/activities/bulk":
        # Bulk answers each row (a row that breaks the schema is an `error` row in a 200), by design.
        excluded.append(negative_data_rejection)
    # The generated case carries a placeholder token where the operation needs one (our real token
    # replaces it), and none where a negative case leaves it out to see the 401.
    sent = headers if "Authorization" in (case.headers or {}) else {}
    case.call_and_validate(headers=sent, excluded_checks=excluded, additional_checks=[refuses_no_valid_input])


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)


@schema.parametrize()
@SETTINGS
def test_every_operation_keeps_its_contract_for_the_national_admin(case, actors):
    _call(case, actors["admin"])


@schema.parametrize()
@SETTINGS
def test_every_operation_keeps_its_contract_for_a_commune_reporter(case, actors):
    _call(case, actors["reporter"])


def test_a_number_is_not_a_time_in_the_change_feed(client, actors):
    response = client.get("/api/v1/activities", params={"updated_since": "0.5"}, headers=actors["admin"])
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("query.updated_since", "datetime_parsing")]
    ok = client.get("/api/v1/activities", params={"updated_since": "2026-01-01T00:00:00Z"}, headers=actors["admin"])
    assert ok.status_code == 200


def test_an_unsupported_method_names_every_method_the_path_serves(client):
    response = client.request("TRACE", "/api/v1/activities")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"
    assert response.json()["code"] == "method_not_allowed"
    patch_bulk = client.patch("/api/v1/activities/bulk", json=[])
    assert patch_bulk.status_code == 405 and patch_bulk.headers["Allow"] == "POST"
