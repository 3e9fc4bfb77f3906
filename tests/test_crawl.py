"""Every page opens for every role, on the demo data and on a generated data set: each demo user
and an anonymous visitor start at "/", follow every link, htmx `hx-get` and GET form, then call
every GET route of the API with the ids found. No server error, every page parses and has a
title, no English error text, no link that leads nowhere and no id outside the user's scope.
"""
import io
import random
import time
from datetime import date, timedelta

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, or_, select, text
from sqlmodel import Session

from app.accounts.models import User
from app.activities import generate
from app.activities.models import ActivityTask
from app.activities.types import TYPES
from app.core.clock import today
from app.core.config import get_settings
from app.demo import DEMO_USERNAMES, load_demo
from app.main import create_app
from app.plans.models import Plan, Task, TaskUnit
from app.units.models import Unit, UnitSuccessor
from tests.crawler import Crawl, Scope

# About a minute on a quiet 2-core machine; the bound only catches a crawl that runs away.
PER_DATABASE_SECONDS = 300


def _scope(session: Session, user: User) -> Scope:
    """The user's scope from the unit rows, as the README states the rule: a unit and everything
    below it; a current province also covers the legacy units merged into it, a current commune
    its predecessor communes, and the officer of a legacy commune also the current commune it went
    into on 1/7/2025."""
    if user.role == "admin" and user.unit_id is None:
        return Scope(everything=True)
    root = user.unit_id
    predecessors = select(UnitSuccessor.predecessor_id).where(UnitSuccessor.successor_id == root)
    successors = select(UnitSuccessor.successor_id).where(UnitSuccessor.predecessor_id == root)
    root_unit = session.get(Unit, root)
    went_into = (Unit.commune_id.in_(successors) if root_unit.level == "commune" and root_unit.is_legacy
                 else Unit.id.is_(None))
    units = set(session.execute(select(Unit.id).where(or_(
        Unit.id == root, Unit.province_id == root, Unit.current_province_id == root, Unit.district_id == root,
        Unit.commune_id == root, Unit.commune_id.in_(predecessors), went_into))).scalars())
    unit_list = ",".join(map(str, units)) or "0"
    activities = {str(r[0]) for r in session.execute(text(f"SELECT id FROM activity WHERE unit_id IN ({unit_list})"))}
    plans = set(session.execute(select(Plan.id).where(or_(
        Plan.unit_id.in_(units),
        Plan.id.in_(select(Task.plan_id).join(TaskUnit, TaskUnit.task_id == Task.id)
                    .where(TaskUnit.unit_id.in_(units)))))).scalars())
    if user.role in ("admin", "reviewer"):
        users = set(session.execute(select(User.id).where(User.unit_id.in_(units))).scalars())
    else:
        users = set()
    return Scope(everything=False, units=units, activities=_normalised(activities), plans=plans,
                 users=users | {user.id})


def _normalised(ids: set[str]) -> set[str]:
    """Activity ids as the pages write them (with dashes), whatever the database returns."""
    import uuid

    return {str(uuid.UUID(i)) for i in ids}


def _crawl_everyone(session: Session, password: str) -> list[str]:
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_(DEMO_USERNAMES))).scalars()}
    assert set(users) == set(DEMO_USERNAMES)
    problems, started, fetched = [], time.monotonic(), 0
    app = create_app()
    openapi = app.openapi()
    for username in (None, *DEMO_USERNAMES):
        with TestClient(app, raise_server_exceptions=False) as client:
            user = users.get(username)
            headers = {}
            if user is not None:
                login = client.post("/login", data={"username": username, "password": password, "next": "/"},
                                    follow_redirects=False)
                assert login.status_code == 303, login.text
                token = client.post("/api/v1/auth/token", data={"username": username, "password": password})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            crawl = Crawl(client, _scope(session, user) if user else None, username or "anonymous")
            crawl.pages("/")
            crawl.api(openapi, headers)
            assert crawl.fetched > (20 if user else 3), (username, crawl.fetched)
            if user is not None:
                assert crawl.seen_ids.get("plan"), f"{username} reached no plan"
            problems += crawl.problems
            slowest = max(crawl.timings, default=(0.0, ""))
            print(f"{crawl.who}: {crawl.fetched} requests, slowest {slowest[0]:.1f} s {slowest[1]}")
            fetched += crawl.fetched
    seconds = time.monotonic() - started
    print(f"crawl: {fetched} requests in {seconds:.1f} s")
    assert seconds < PER_DATABASE_SECONDS, f"the crawl took {seconds:.0f} s"
    return problems


def test_every_page_and_api_route_opens_for_every_demo_user_on_the_demo_data(session):
    load_demo(session)
    session.commit()  # the test is the unit of work
    problems = _crawl_everyone(session, get_settings().demo_password)
    assert not problems, "\n".join(problems[:40])


# --- a generated data set with every kind of thing ---------------------------------------------

def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 110, 79)).save(out, format="PNG")
    return out.getvalue()


def _split_legacy_commune(session: Session, province_id: int) -> Unit:
    split = (select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id).having(func.count() > 1))
    return session.execute(select(Unit).where(Unit.province_id == province_id, Unit.level == "commune",
                                              Unit.id.in_(split)).order_by(Unit.id).limit(1)).scalar_one()


def _every_type_and_status(session: Session, ctx) -> None:
    """One activity of every type in every status at the demo communes and at a split legacy
    commune, linked to the demo plans' tasks that cover them."""
    rng = random.Random(14)
    tasks = {p.period_start.year: [t.id for t in session.execute(select(Task).where(Task.plan_id == p.id)).scalars()]
             for p in session.execute(select(Plan)).scalars()}
    split = _split_legacy_commune(session, ctx.legacy_province.id)
    rows, links = [], []
    places = ((ctx.legacy_commune, date(2024, 6, 3)), (split, date(2025, 6, 20)),
              (ctx.current_commune, min(today() - timedelta(days=3), date(2026, 12, 31))))
    reporter = ctx.users["reporter"]
    for unit, day in places:
        for code in TYPES:
            for status in ("draft", "submitted", "approved", "returned"):
                row = generate.make_row(rng, unit.id, day, kind=code, status=status, created_by_id=reporter.id)
                rows.append(row)
                year_tasks = tasks.get(2023 if day.year < 2026 else 2026, [])
                if year_tasks:
                    links.append((row["id"], rng.choice(year_tasks)))
    generate.insert_rows(session, rows)
    generate.link_tasks(session, links)


def _audit_of_every_kind(client: TestClient, ctx, password: str) -> None:
    """Writes through the API and forms, so the audit holds entries of every kind Loa writes."""
    def api_token(username):
        response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    reporter, reviewer, admin = api_token("reporter"), api_token("reviewer"), api_token("admin")
    commune = ctx.current_commune.id
    day = (today() - timedelta(days=1)).isoformat()

    def broadcast(**overrides):
        body = {"type": "broadcast", "title": "Phát thanh về chính sách hỗ trợ hộ nghèo", "start_date": day,
                "unit_id": commune, "airings": 2, "minutes_per_airing": 15,
                "details": {"channel": "commune_loudspeaker", "language": "vi"}}
        body.update(overrides)
        response = client.post("/api/v1/activities", json=body, headers=reporter)
        assert response.status_code == 201, response.text
        return response.json()

    def ok(response, *codes):
        assert response.status_code in (codes or (200,)), response.text
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    a = broadcast()
    a = ok(client.patch(f"/api/v1/activities/{a['id']}", json={"airings": 3, "version": a["version"]},
                        headers=reporter))
    ok(client.post(f"/api/v1/activities/{a['id']}/evidence", files={"file": ("anh.png", _png(), "image/png")},
                   headers=reporter), 201)
    ok(client.post(f"/api/v1/activities/{a['id']}/submit", headers=reporter))
    ok(client.post(f"/api/v1/activities/{a['id']}/approve", headers=reviewer))
    ok(client.post(f"/api/v1/activities/{a['id']}/reopen", json={"reason": "Cần sửa số phút phát."},
                   headers=reviewer))
    b = broadcast(title="Phát thanh gương thoát nghèo")
    ok(client.post(f"/api/v1/activities/{b['id']}/submit", headers=reporter))
    ok(client.post(f"/api/v1/activities/{b['id']}/return", json={"comment": "Bổ sung ảnh."}, headers=reviewer))
    c = broadcast(title="Bản nháp sẽ xóa")
    ok(client.delete(f"/api/v1/activities/{c['id']}", headers=reporter), 204)
    village = ok(client.post(f"/api/v1/units/{commune}/villages", json={"name": "Thôn Đông Cuối"}, headers=reviewer),
                 201, 200)
    assert village is None or village.get("id")
    plan = ok(client.post("/api/v1/plans", headers=reviewer, json={
        "title": "Kế hoạch truyền thông giảm nghèo của xã năm 2026", "unit_id": commune,
        "period_start": "2026-01-01", "period_end": "2026-12-31", "status": "active",
        "legal_bases": [{"number": "257/2025/QH15", "date": "2025-06-27", "issuer": "Quốc hội",
                         "title": "Chương trình mục tiêu quốc gia 2026-2035"}]}), 201)
    ok(client.patch(f"/api/v1/plans/{plan['id']}", json={"budget_local_vnd": 20_000_000, "version": plan["version"]},
                    headers=reviewer))
    task = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=reviewer, json={
        "title": "Tuyên truyền trên loa truyền thanh", "activity_types": ["broadcast", "visual"],
        "assignment": {"unit_ids": [commune]},
        "targets": [{"metric": "airings", "quantity": 100, "period": "year", "per_unit": False},
                    {"metric": "items", "quantity": 10, "period": "quarter", "per_unit": True,
                     "activity_type": "visual"}]}), 201)
    ok(client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "Tuyên truyền trên loa truyền thanh xã",
                                                          "version": task["version"]}, headers=reviewer))
    user = ok(client.post("/api/v1/users", headers=admin, json={
        "username": "baocao_moi", "full_name": "Đặng Thị Mai", "role": "reporter", "unit_id": commune,
        "password": "mat-khau-moi-2026"}), 201)
    ok(client.patch(f"/api/v1/users/{user['id']}", json={"phone": "0911 222 333", "version": user["version"]},
                    headers=admin))
    ok(client.post(f"/api/v1/users/{user['id']}/password", json={"password": "mat-khau-khac-2026"}, headers=admin),
       204)
    ok(client.post(f"/api/v1/users/{user['id']}/deactivate", headers=admin))
    agency = client.post("/api/v1/agencies", headers=admin, json={
        "name": "Phòng Văn hóa - Xã hội xã", "kind": "department", "unit_id": commune})
    assert agency.status_code in (200, 201, 422), agency.text
    tokens = ok(client.get("/api/v1/auth/tokens", params={"user_id": ctx.users["reporter"].id}, headers=admin))
    ok(client.delete(f"/api/v1/auth/tokens/{tokens['items'][0]['id']}", headers=admin), 204)


def _generated_data(session: Session) -> None:
    ctx = load_demo(session)
    generate.generate_activities(session, 1500, seed=14)
    _every_type_and_status(session, ctx)
    session.commit()  # the test is the unit of work
    with TestClient(create_app()) as client:
        _audit_of_every_kind(client, ctx, get_settings().demo_password)
    assert session.execute(select(func.count()).select_from(ActivityTask)).scalar_one() > 0


def test_every_page_and_api_route_opens_for_every_demo_user_on_a_generated_data_set(session):
    _generated_data(session)
    problems = _crawl_everyone(session, get_settings().demo_password)
    assert not problems, "\n".join(problems[:40])
