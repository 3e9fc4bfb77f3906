"""Property-based tests of the activities API (Hypothesis): random Unicode text (unpaired
surrogates, NUL, control characters, combining marks, very long strings) and random numbers and
list sizes in create and patch bodies. Whatever is sent: never a 5xx; an accepted entry reads back
as the text rule says (NFC, line breaks unified, control characters removed, trimmed); a refused
one stores nothing; the list, the change feed and the exports still answer afterwards.

Deterministic (derandomize) and bounded in examples so that it runs in CI in well under a minute."""
import json
import re
import unicodedata
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.activities.models import Activity
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import make_user, token

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])

# Characters that have broken text handling before, mixed into ordinary Unicode.
TRICKY = ["\x00", "\udfff", "\ud800", "\udc00", "\u0301", "\u0309", "\u0323", "\r\n", "\r", "\x0b", "\x0c",
          "\x85", "\u2028", "\u2029", "\x1b", "\x7f", "\x9f", "\t", "\n", " ", "\u00a0", "\ufeff", "\uffff",
          "\U0001f600", "=", "ệ", "Đ", "e\u0302\u0323"]
CHAR = st.one_of(st.characters(), st.sampled_from(TRICKY), st.characters(categories=["Cs", "Cc", "Mn"]))
SHORT_TEXT = st.lists(CHAR, max_size=12).map("".join)
TEXT = st.one_of(SHORT_TEXT, SHORT_TEXT, st.builds(lambda s, n: (s or "a") * n, SHORT_TEXT,
                                                   st.sampled_from([50, 300, 3000])))
NUMBER = st.one_of(st.integers(0, 2000), st.integers(-10, 10), st.integers(-(2**70), 2**70),
                   st.sampled_from([10**15, 10**15 + 1, 2**31, 2**63, 1.0, 2.5, True, None, "12", ""]))
TASK_IDS = st.one_of(st.just([]), st.lists(st.integers(-3, 2**40), max_size=4),
                     st.sampled_from([60, 100_000]).map(lambda n: list(range(1, n + 1))))
CHANNEL = st.one_of(st.just("commune_loudspeaker"), st.just("television"), TEXT)

_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def expected_text(value: str) -> str:
    """The documented rule, restated independently of Loa's code."""
    value = _BREAKS.sub("\n", value)
    value = "".join(c for c in value if c in "\t\n" or (unicodedata.category(c) != "Cc" and c not in "\ufffe\uffff"))
    return unicodedata.normalize("NFC", value).strip()


def has_surrogate(value) -> bool:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _fields():
    return st.fixed_dictionaries({}, optional={
        "title": TEXT, "notes": TEXT, "topics": st.lists(TEXT, max_size=25), "audiences": st.lists(TEXT, max_size=4),
        "programme_title": TEXT, "channel": CHANNEL, "airings": NUMBER, "minutes_per_airing": NUMBER,
        "cost_local_vnd": NUMBER, "cost_mobilised_vnd": NUMBER, "task_ids": TASK_IDS,
    })


def _body(base: dict, fields: dict) -> dict:
    body = dict(base)
    details = dict(body.get("details") or {})
    for key, value in fields.items():
        if key in ("programme_title", "channel"):
            details[key] = value
        else:
            body[key] = value
    body["details"] = details
    return body


def _send(client, method: str, url: str, body: dict, headers: dict):
    # ensure_ascii writes an unpaired surrogate as the JSON escape "\udfff", as a client would.
    return client.request(method, url, content=json.dumps(body).encode("ascii"),
                          headers={**headers, "Content-Type": "application/json"})


def _check_read_back(stored: dict, sent: dict) -> None:
    if "title" in sent:
        title = expected_text(sent["title"])
        assert stored["title"] == (title or "Phát thanh, truyền hình"), (stored["title"], sent["title"])
    if "notes" in sent:
        assert stored["notes"] == (expected_text(sent["notes"]) or None)
    for name in ("topics", "audiences"):
        if name in sent:
            assert stored[name] == [t for t in map(expected_text, sent[name]) if t]
    details = sent.get("details", {})
    if "programme_title" in details:
        assert stored["details"].get("programme_title", "") == expected_text(details["programme_title"])
    for name in ("airings", "minutes_per_airing", "cost_local_vnd", "cost_mobilised_vnd"):
        if name in sent:
            assert stored[name] == int(sent[name])
    assert stored["minutes"] == stored["airings"] * stored["minutes_per_airing"]


def _still_answers(client, headers) -> None:
    for url in ("/api/v1/activities?limit=500", "/api/v1/activities?updated_since=2000-01-01T00:00:00Z&limit=500",
                "/api/v1/reports/activities.csv", "/api/v1/reports/activities.xlsx"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text[:300])
        if url.endswith(".csv"):
            response.content.decode("utf-8-sig")  # every stored text can be written as UTF-8


def _count(session) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(Activity)).scalar_one()


def _reporter(client, session):
    _, current = commune_pair(session)
    return token(client, make_user(session, "reporter", current.id, username="to_ha")), current


def test_any_create_body_answers_without_a_server_error_and_stores_what_it_says(client, session):
    headers, current = _reporter(client, session)
    base = broadcast(current.id)

    @SETTINGS
    @given(fields=_fields())
    def create(fields):
        body = _body({**base, "id": str(uuid.uuid4())}, fields)
        before = _count(session)
        response = _send(client, "POST", "/api/v1/activities", body, headers)
        assert response.status_code < 500, response.text[:500]
        if response.status_code == 201:
            assert not has_surrogate(body)
            stored = client.get(f"/api/v1/activities/{body['id']}", headers=headers)
            assert stored.status_code == 200
            _check_read_back(stored.json(), body)
            assert _count(session) == before + 1
        else:
            assert 400 <= response.status_code < 500 and response.json()["errors"]
            assert _count(session) == before
            if has_surrogate(body):
                assert any(e["code"] == "invalid_character" for e in response.json()["errors"])

    create()
    _still_answers(client, headers)


def test_any_patch_body_answers_without_a_server_error_and_a_refused_one_changes_nothing(client, session):
    headers, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id, topics=["Chính sách"]), headers=headers)
    assert created.status_code == 201
    url = f"/api/v1/activities/{created.json()['id']}"

    @SETTINGS
    @given(fields=_fields())
    def patch(fields):
        before = client.get(url, headers=headers).json()
        body = _body({"version": before["version"], "details": before["details"]}, fields)
        response = _send(client, "PATCH", url, body, headers)
        assert response.status_code < 500, response.text[:500]
        after = client.get(url, headers=headers)
        assert after.status_code == 200
        if response.status_code == 200:
            assert not has_surrogate(body)
            assert after.json()["version"] == before["version"] + 1
            _check_read_back(after.json(), body)
        else:
            assert 400 <= response.status_code < 500
            assert after.json() == before

    patch()
    _still_answers(client, headers)
