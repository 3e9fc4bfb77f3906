"""The reviewer's day without JavaScript: the queue a page at a time in the chosen order, evidence
per row, decisions on the entry's own page leading to the next entry, confirmed bulk approvals and
the approval of a commune's month as one audited decision."""
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.activities.models import Activity, Evidence
from app.audit.models import AuditEntry
from tests.dashboards_helpers import other_current_commune
from tests.factories import HAI_PHONG, login, make_activity, make_user


def _submitted(session, unit_id, day, submitted_minutes_ago=0, **kw):
    at = datetime(2026, 11, 20, 8, tzinfo=timezone.utc) - timedelta(minutes=submitted_minutes_ago)
    return make_activity(session, unit_id, status="submitted", start_date=day, submitted_at=at, **kw)


def _setup(session, client):
    commune = other_current_commune(session)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    return commune, reviewer, login(client, reviewer)


def _row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="row-[^"]+" class="[^"]*" data-id="([^"]+)"', html)


def test_the_queue_is_paged_past_its_first_page_without_losing_or_repeating_an_entry(session, client):
    commune, _, _ = _setup(session, client)
    entries = [_submitted(session, commune.id, date(2026, 10, 1) + timedelta(days=i % 20), submitted_minutes_ago=i,
                          title=f"Phát thanh số {i}") for i in range(63)]
    first = client.get("/reviews").text
    assert "63 hoạt động chờ duyệt" in first and "hiển thị 200" not in first
    seen = _row_ids(first)
    assert len(seen) == 50
    following = re.search(r'href="/reviews\?([^"]*cursor=[^"]+)">Trang sau', first).group(1).replace("&amp;", "&")
    second = client.get(f"/reviews?{following}").text
    seen += _row_ids(second)
    assert sorted(seen) == sorted(str(e.id) for e in entries) and "Trang sau" not in second


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="/reviews\?([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_queue_page_leads_back_to_the_page_before_it_as_well_as_to_the_next(session, client):
    commune, _, _ = _setup(session, client)
    for i in range(120):
        _submitted(session, commune.id, date(2026, 10, 1) + timedelta(days=i % 20), submitted_minutes_ago=i)
    first = client.get("/reviews").text
    assert _link(first, "prev") is None and "Về đầu hàng chờ" not in first
    second = client.get(f"/reviews?{_link(first, 'next')}").text
    third = client.get(f"/reviews?{_link(second, 'next')}").text
    assert len(_row_ids(third)) == 20 and _link(third, "next") is None
    back_to_second = client.get(f"/reviews?{_link(third, 'prev')}").text
    assert _row_ids(back_to_second) == _row_ids(second)
    assert "Trang trước" in back_to_second and "Trang sau" in back_to_second and "Về đầu hàng chờ" in back_to_second
    back_to_first = client.get(f"/reviews?{_link(back_to_second, 'prev')}").text
    assert _row_ids(back_to_first) == _row_ids(first) and _link(back_to_first, "prev") is None
    assert _link(back_to_first, "next") == _link(first, "next")


def test_the_page_before_is_the_first_page_once_entries_before_it_were_decided(session, client):
    commune, _, _ = _setup(session, client)
    entries = [_submitted(session, commune.id, date(2026, 10, 1), submitted_minutes_ago=100 - i) for i in range(60)]
    first = client.get("/reviews").text
    second = client.get(f"/reviews?{_link(first, 'next')}").text
    for entry in entries[:45]:  # decided meanwhile by another reviewer
        entry.status = "approved"
        session.add(entry)
    session.commit()
    before = client.get(f"/reviews?{_link(second, 'prev')}").text
    assert _row_ids(before) == [str(e.id) for e in entries[45:]] and _link(before, "prev") is None


def test_the_queue_says_what_it_sorts_by_and_sorts_by_activity_date_when_asked(session, client):
    commune, _, _ = _setup(session, client)
    late_sent_early_done = _submitted(session, commune.id, date(2026, 9, 1), submitted_minutes_ago=0)
    early_sent_late_done = _submitted(session, commune.id, date(2026, 11, 1), submitted_minutes_ago=60)
    by_submission = client.get("/reviews").text
    assert "sắp xếp theo thời điểm gửi, cũ nhất trước" in by_submission
    assert _row_ids(by_submission) == [str(early_sent_late_done.id), str(late_sent_early_done.id)]
    by_date = client.get("/reviews", params={"sort": "date"}).text
    assert "sắp xếp theo ngày thực hiện, cũ nhất trước" in by_date
    assert _row_ids(by_date) == [str(late_sent_early_done.id), str(early_sent_late_done.id)]


def test_each_queue_row_shows_its_evidence_count_and_a_thumbnail(session, client):
    commune, _, _ = _setup(session, client)
    with_photo = _submitted(session, commune.id, date(2026, 10, 5), submitted_minutes_ago=9, title="Có ảnh")
    without = _submitted(session, commune.id, date(2026, 10, 6), title="Không ảnh")
    photo = Evidence(activity_id=with_photo.id, kind="photo", filename="a.jpg", content_type="image/jpeg",
                     size_bytes=10, path="x/a.jpg", thumb_path="x/a-thumb.jpg")
    session.add_all([photo, Evidence(activity_id=with_photo.id, kind="pdf", filename="ds.pdf",
                                     content_type="application/pdf", size_bytes=10, path="x/ds.pdf")])
    session.commit()
    page = client.get("/reviews").text
    row = page[page.index(f'data-id="{with_photo.id}"'):page.index(f'data-id="{without.id}"')]
    assert f"/activities/{with_photo.id}/evidence/{photo.id}/thumb" in row and "2 tệp" in row
    assert "Không có" in page[page.index(f'data-id="{without.id}"'):]


def test_on_the_entrys_own_page_a_reviewer_approves_returns_and_moves_on_to_the_next_entry(session, client):
    commune, _, csrf = _setup(session, client)
    first = _submitted(session, commune.id, date(2026, 10, 1), submitted_minutes_ago=30, title="Mục thứ nhất")
    second = _submitted(session, commune.id, date(2026, 10, 2), submitted_minutes_ago=20, title="Mục thứ hai")
    page = client.get(f"/activities/{first.id}?queue=1&sort=date").text
    assert "Thẩm định" in page and f'action="/reviews/{first.id}/approve"' in page
    assert '<input type="hidden" name="sort" value="date">' in page
    approved = client.post(f"/reviews/{first.id}/approve", data={"csrf_token": csrf, "from": "detail", "sort": "date"},
                           follow_redirects=False)
    assert approved.status_code == 303 and approved.headers["location"].startswith(f"/activities/{second.id}?")
    next_page = client.get(approved.headers["location"]).text
    assert "Đã duyệt mục trước." in next_page and "Mục thứ hai" in next_page
    empty = client.post(f"/reviews/{second.id}/return", data={"csrf_token": csrf, "from": "detail", "comment": " "})
    assert empty.status_code == 422 and "Cần ghi lý do trả lại" in empty.text and "Mục thứ hai" in empty.text
    returned = client.post(f"/reviews/{second.id}/return", data={"csrf_token": csrf, "from": "detail",
                                                                 "comment": "Thiếu ảnh"}, follow_redirects=False)
    assert returned.headers["location"].startswith("/reviews?") and "decided=returned" in returned.headers["location"]
    assert "Hàng chờ theo bộ lọc này đã hết" in client.get(returned.headers["location"]).text
    # An approved entry is reopened from its own page, with a reason.
    reopen_page = client.get(f"/activities/{first.id}").text
    assert "Mở lại để sửa" in reopen_page
    assert client.post(f"/reviews/{first.id}/reopen", data={"csrf_token": csrf, "reason": ""}).status_code == 422
    reopened = client.post(f"/reviews/{first.id}/reopen", data={"csrf_token": csrf, "reason": "Sai ngày"},
                           follow_redirects=False)
    assert reopened.status_code == 303
    session.expire_all()
    assert [session.get(Activity, a.id).status for a in (first, second)] == ["returned", "returned"]


def test_a_reporter_sees_no_review_panel_on_an_entry(session, client):
    commune = other_current_commune(session)
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa")
    entry = _submitted(session, commune.id, date(2026, 10, 1), user=reporter)
    login(client, reporter)
    page = client.get(f"/activities/{entry.id}").text
    assert "Thẩm định" not in page and "/approve" not in page


def test_a_communes_month_is_approved_in_one_confirmed_decision_recorded_as_one_audit_event(session, client):
    commune, reviewer, csrf = _setup(session, client)
    october = [_submitted(session, commune.id, date(2026, 10, d)) for d in (3, 17, 31)]
    november = _submitted(session, commune.id, date(2026, 11, 2))
    page = client.get("/reviews").text
    assert "Duyệt theo xã và tháng" in page and "10/2026" in page
    ask = client.post("/reviews/period", data={"csrf_token": csrf, "period_unit_id": str(commune.id),
                                               "month": "2026-10"})
    assert ask.status_code == 200 and "Duyệt 3 hoạt động?" in ask.text and f"{commune.name}, tháng 10/2026" in ask.text
    done = client.post("/reviews/period", data={"csrf_token": csrf, "period_unit_id": str(commune.id),
                                                "month": "2026-10", "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303 and "approved=3" in done.headers["location"]
    session.expire_all()
    assert [session.get(Activity, a.id).status for a in october] == ["approved"] * 3
    assert session.get(Activity, november.id).status == "submitted"
    events = list(session.execute(select(AuditEntry).where(AuditEntry.action == "approve_period")).scalars())
    assert len(events) == 1 and events[0].user_id == reviewer.id
    listed = events[0].changes["activity_ids"]["after"]
    assert sorted(listed) == sorted(str(a.id) for a in october)


def test_a_bulk_approval_of_a_filter_names_the_filter_in_words_before_approving(session, client):
    commune, _, csrf = _setup(session, client)
    _submitted(session, commune.id, date(2026, 10, 3), type="training", sessions=1)
    ask = client.post("/reviews/approve", data={"csrf_token": csrf, "all": "1", "unit_id": str(commune.id),
                                                "type": "training", "date_from": "2026-10-01"})
    assert ask.status_code == 200
    assert (f"đơn vị {commune.name}; loại “Tập huấn, bồi dưỡng”; thực hiện từ ngày 01/10/2026" in ask.text)
    assert 'name="confirm" value="1"' in ask.text and "Hủy, về hàng chờ" in ask.text


def test_a_decision_from_the_entrys_page_on_an_entry_already_decided_shows_the_entry_as_it_is_now(session, client):
    commune, _, csrf = _setup(session, client)
    entry = _submitted(session, commune.id, date(2026, 10, 1), submitted_minutes_ago=30, title="Mục đã có người duyệt")
    assert client.post(f"/reviews/{entry.id}/approve", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    # A second reviewer's page was opened before the first decision: their return now finds it approved.
    late = client.post(f"/reviews/{entry.id}/return", data={"csrf_token": csrf, "from": "detail", "comment": "Thiếu ảnh"})
    assert late.status_code == 409
    assert "Mục đã có người duyệt" in late.text and "Đã duyệt" in late.text
    assert "Chỉ trả lại được hoạt động đã gửi" in late.text or "người khác" in late.text


def test_an_entry_approved_with_its_communes_month_shows_that_approval_in_its_own_history(session, client):
    commune, reviewer, csrf = _setup(session, client)
    october = [_submitted(session, commune.id, date(2026, 10, d), title=f"Phát thanh ngày {d}") for d in (3, 9)]
    done = client.post("/reviews/period", data={"csrf_token": csrf, "period_unit_id": str(commune.id),
                                                "month": "2026-10", "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303
    entry = client.get(f"/activities/{october[0].id}").text
    history_link = f'/audit?entity=activity&amp;entity_id={october[0].id}'
    assert history_link in entry, "the entry's page links to its history"
    history = client.get(history_link.replace("&amp;", "&")).text
    assert f"Duyệt theo kỳ: duyệt cùng 2 hoạt động của {commune.name} tháng 10/2026" in history
    assert re.search(r"Trạng thái:</span>\s*<del[^>]*>Đã gửi</del> → <ins[^>]*>Đã duyệt</ins>", history)
    # The other entry's history holds only its own decision.
    other = client.get(f"/audit?entity=activity&entity_id={october[1].id}").text
    assert other.count("Duyệt theo kỳ") == 1


def _period_rows(html: str) -> list[tuple[str, str, str]]:
    section = html.split('id="h-periods"', 1)[1] if 'id="h-periods"' in html else ""
    return re.findall(r"<tr><td>([^<]+)</td><td>(\d\d/\d{4})</td><td class=\"num\">([^<]+)</td>", section)


def test_the_months_to_approve_are_those_of_the_entries_on_the_page_counted_in_full(session, client):
    from tests.dashboards_helpers import make_village

    commune, _, _ = _setup(session, client)
    second = other_current_commune(session, commune.id)
    village = make_village(session, commune)
    # Page 1 (the 50 submitted first): the commune's October, partly from its village; 40 more of the
    # same October come later, and the second commune's months only after the first page.
    for i in range(50):
        _submitted(session, village.id if i % 5 == 0 else commune.id, date(2026, 10, 1 + i % 28),
                   submitted_minutes_ago=500 - i)
    for i in range(40):
        _submitted(session, commune.id, date(2026, 10, 2), submitted_minutes_ago=300 - i)
    for i in range(5):
        _submitted(session, second.id, date(2026, 9, 10), submitted_minutes_ago=100 - i)
    first = client.get("/reviews").text
    assert _period_rows(first) == [(commune.name, "10/2026", "90")], "the page's commune-month, every entry counted"
    second_page = re.search(r'href="/reviews\?([^"]*cursor=[^"]+)">Trang sau', first).group(1).replace("&amp;", "&")
    rows = _period_rows(client.get(f"/reviews?{second_page}").text)
    assert rows == [(second.name, "09/2026", "5"), (commune.name, "10/2026", "90")]


def test_the_months_to_approve_read_no_more_than_the_pages_communes_whatever_the_queue_holds(session, client):
    """The months list counts each commune-month of the page up to the most one decision approves,
    so its cost is bounded by the page, not by the length of the queue."""
    from app.reviews import queries

    commune, reviewer, _ = _setup(session, client)
    for i in range(12):
        _submitted(session, commune.id, date(2026, 10, 5), submitted_minutes_ago=i)
    from app.activities.queries import ActivityFilter

    rows, _, _ = queries.queue(session, reviewer, ActivityFilter(), limit=5)
    groups = queries.period_groups(session, reviewer, ActivityFilter(), rows, count_limit=10)
    assert [(g.unit.id, g.month, g.count, g.more) for g in groups] == [(commune.id, "2026-10", 10, True)]
    assert "hơn 10" == groups[0].count_text


def test_a_queue_page_runs_a_fixed_handful_of_statements_however_many_commune_months_it_shows(
        session, client, database):
    """The page's commune-months are counted in one statement on PostgreSQL (one per month on
    SQLite, where a statement costs no round trip), and the queue's scope is built once: the page
    used to run four statements per commune-month (70 ms of 110 at 1,000,000 activities)."""
    from sqlalchemy import event

    from tests.dashboards_helpers import other_current_commune as commune_after

    commune, _, _ = _setup(session, client)
    communes = [commune]
    while len(communes) < 6:
        communes.append(commune_after(session, *(c.id for c in communes)))
    for i in range(48):  # 6 communes × 8 months on the first page
        _submitted(session, communes[i % 6].id, date(2026, 1 + (i // 6), 5), submitted_minutes_ago=100 - i)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(database, "before_cursor_execute", record)
    try:
        page = client.get("/reviews").text
    finally:
        event.remove(database, "before_cursor_execute", record)
    assert page.count("Duyệt cả tháng…") == 30  # the page's first 30 commune-months, each with its button
    per_month = 0 if database.dialect.name == "postgresql" else 30
    assert len(statements) <= 12 + per_month, statements


def test_a_queue_filter_or_a_period_that_cannot_be_read_answers_422_never_500(session, client):
    commune, _, csrf = _setup(session, client)
    _submitted(session, commune.id, date(2026, 10, 3))
    for params in ({"date_from": "31/10/2026"}, {"unit_id": "1.5"}, {"task_id": "x"}):
        assert client.get("/reviews", params=params).status_code == 422
    assert len(_row_ids(client.get("/reviews", params={"date_from": "2026-10-01", "unit_id": commune.id}).text)) == 1
    for unit in ("", "xã"):
        refused = client.post("/reviews/period", data={"csrf_token": csrf, "period_unit_id": unit, "month": "2026-10"})
        assert refused.status_code == 422
