"""Plain factory functions: each test says what it sets up."""
from sqlmodel import Session

from app.accounts import services as account_services
from app.accounts.models import Role, User, UserCreate
from app.agencies.models import Agency, AgencyKind
from app.core.text import search_key
from app.units.loader import CURRENT, LEGACY, unit_id
from app.units.models import Unit

PASSWORD = "mat-khau-thu-nghiem"

# Real units used across tests.
HAI_DUONG = unit_id(LEGACY, "province", "30")      # Tỉnh Hải Dương (legacy)
HAI_PHONG = unit_id(CURRENT, "province", "31")     # Thành phố Hải Phòng (current)
NAM_DINH = unit_id(LEGACY, "province", "36")       # Tỉnh Nam Định (legacy)
NINH_BINH = unit_id(CURRENT, "province", "37")     # Tỉnh Ninh Bình (current)
DA_NANG = unit_id(CURRENT, "province", "48")       # Thành phố Đà Nẵng (current)


def unit(session: Session, era: int, level: str, code: str) -> Unit:
    return session.get(Unit, unit_id(era, level, code))


def find_unit(session: Session, name: str, *, legacy: bool | None = None, parent_name: str | None = None) -> Unit:
    from sqlalchemy import select

    query = select(Unit).where(Unit.name == name)
    if legacy is True:
        query = query.where(Unit.id < CURRENT, Unit.id >= LEGACY)
    elif legacy is False:
        query = query.where(Unit.id >= CURRENT)
    for u in session.execute(query).scalars():
        if parent_name is None or (u.parent_id and session.get(Unit, u.parent_id).name == parent_name):
            return u
    raise LookupError(name)


def make_user(session: Session, role: str = "reporter", unit_id: int | None = None, *, username: str | None = None,
              agency_id: int | None = None, **overrides) -> User:
    username = username or f"{role}_{unit_id or 'all'}_{agency_id or 0}".lower()
    data = UserCreate(username=username, role=Role(role), unit_id=unit_id, agency_id=agency_id,
                      full_name=overrides.pop("full_name", f"Cán bộ {role}"), password=overrides.pop("password", PASSWORD),
                      **overrides)
    user = account_services.create_user(session, data, user=None)
    session.commit()  # the test is the unit of work
    return user


def make_agency(session: Session, unit_id: int, name: str = "Sở Lao động - Thương binh và Xã hội", **overrides) -> Agency:
    agency = Agency(name=name, short_name=overrides.pop("short_name", None), kind=overrides.pop("kind", AgencyKind.department),
                    unit_id=unit_id, search_name=search_key(name), **overrides)
    session.add(agency)
    session.commit()
    return agency


def login(client, user: User, password: str = PASSWORD) -> str:
    """Signs the test client in through the login form; returns the CSRF token of the session."""
    response = client.post("/login", data={"username": user.username, "password": password, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    from sqlmodel import Session, select

    from app.accounts.models import AuthSession
    from app.core.db import get_engine

    with Session(get_engine()) as s:
        auth = s.exec(select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.id.desc())).first()
        return auth.csrf_token


def token(client, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header for the API."""
    response = client.post("/api/v1/auth/token", data={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_activity(session: Session, unit_id: int, *, user: User | None = None, type: str = "broadcast",
                  start_date=None, status: str = "draft", task_ids: tuple[int, ...] = (), **overrides):
    """An activity written straight to the database (bypassing the service, for read-side tests)."""
    from datetime import date

    from app.activities.models import Activity, ActivityStatus, ActivityTask

    fields = {"title": "Phát thanh tuyên truyền giảm nghèo", "airings": 0, "minutes_per_airing": 0}
    fields.update(overrides)
    activity = Activity(type=type, unit_id=unit_id, start_date=start_date or date(2026, 3, 2), status=ActivityStatus(status),
                        created_by_id=user.id if user else None, **fields)
    activity.minutes = activity.airings * activity.minutes_per_airing
    activity.cost_vnd = activity.cost_central_vnd + activity.cost_local_vnd + activity.cost_mobilised_vnd
    session.add(activity)
    session.flush()
    for task_id in task_ids:
        session.add(ActivityTask(activity_id=activity.id, task_id=task_id))
    session.commit()
    return activity


def make_plan(session: Session, unit_id: int, *, title: str = "Kế hoạch truyền thông giảm nghèo 2026",
              period_start=None, period_end=None, **overrides):
    from datetime import date

    from app.plans.models import Plan

    plan = Plan(title=title, unit_id=unit_id, period_start=period_start or date(2026, 1, 1),
                period_end=period_end or date(2026, 12, 31), **overrides)
    session.add(plan)
    session.commit()
    return plan


def make_task(session: Session, plan, *, unit_ids: tuple[int, ...] = (), targets: tuple[tuple[str, int, str], ...] = (),
              title: str = "Phát thanh trên loa truyền thanh xã", **overrides):
    """A task assigned to `unit_ids` with targets given as (metric, quantity, period), per unit."""
    from app.plans.models import Target, Task, TaskUnit

    task = Task(plan_id=plan.id, title=title, **overrides)
    session.add(task)
    session.flush()
    for uid in unit_ids:
        session.add(TaskUnit(task_id=task.id, unit_id=uid))
    for metric, quantity, period in targets:
        session.add(Target(task_id=task.id, metric=metric, quantity=quantity, period=period, per_unit=True))
    session.commit()
    return task


def pdf_scan(pages: int = 1) -> bytes:
    """A real (blank) PDF document, as a scanner app would send."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
