"""Paging by cursor gives every row once, in one stable order, the same on SQLite and PostgreSQL,
even when many rows share the date or the time they are sorted by (the id breaks the tie)."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from app.activities.models import Activity
from tests.factories import HAI_PHONG, login, make_user, token
from tests.activities_helpers import commune_pair

SAME_TIME = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def many(session):
    """45 entries of a commune of Hải Phòng: three dates, three update times, three submission
    times, fifteen entries on each."""
    _, commune = commune_pair(session)
    for i in range(45):
        session.add(Activity(type="broadcast", title="Phát thanh tuyên truyền giảm nghèo", unit_id=commune.id,
                             start_date=date(2026, 3, 1 + i % 3), status="submitted",
                             submitted_at=SAME_TIME + timedelta(minutes=i % 3),
                             updated_at=SAME_TIME + timedelta(seconds=i % 3), created_at=SAME_TIME))
    session.commit()
    return list(session.exec(select(Activity)).all())


def _pages(client, url: str, headers) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers).json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            return pages


def test_the_activity_list_pages_newest_first_with_the_id_breaking_ties(session, client, many):
    headers = token(client, make_user(session, "reviewer", HAI_PHONG))
    pages = _pages(client, "/api/v1/activities?limit=7", headers)
    expected = [str(a.id) for a in sorted(many, key=lambda a: (a.start_date, a.id.int), reverse=True)]
    assert [i for page in pages for i in page] == expected
    assert [len(p) for p in pages] == [7] * 6 + [3]


def test_the_change_feed_pages_oldest_change_first_with_the_id_breaking_ties(session, client, many):
    headers = token(client, make_user(session, "reviewer", HAI_PHONG))
    pages = _pages(client, "/api/v1/activities?updated_since=2026-01-01T00:00:00Z&limit=4", headers)
    expected = [str(a.id) for a in sorted(many, key=lambda a: (a.updated_at, a.id.int))]
    assert [i for page in pages for i in page] == expected


def test_the_review_queue_pages_oldest_submission_first(session, client, many, monkeypatch):
    from app.reviews import queries

    monkeypatch.setattr(queries, "QUEUE_LIMIT", 10)
    login(client, make_user(session, "reviewer", HAI_PHONG))
    seen, url, pages = [], "/reviews", 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages += 1
        seen += re.findall(r'name="ids" value="([0-9a-f-]{36})"', page.text)
        more = re.search(r'href="(/reviews\?[^"]*cursor=[^"]+)"', page.text)
        url = more.group(1).replace("&amp;", "&") if more else None
    expected = [str(a.id) for a in sorted(many, key=lambda a: (a.submitted_at, a.id.int))]
    assert seen == expected
    assert pages == 5
    assert "45 hoạt động chờ duyệt" in client.get("/reviews").text


def test_a_cursor_loa_did_not_hand_out_is_refused_not_a_500(session, client, many):
    headers = token(client, make_user(session, "reviewer", HAI_PHONG))
    response = client.get("/api/v1/activities?cursor=bm90LWEtY3Vyc29y", headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
