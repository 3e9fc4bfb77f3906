"""HTML pages to browse and search administrative units."""
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from app import access
from app.accounts.deps import DbSession, PageUser
from app.core.db import UnitOfWork
from app.core.forms import form_date, parse_value
from app.core.templating import render
from app.units import queries, services
from app.units.models import CURRENT_START, LEVEL_LABELS, Unit, VillageCreate

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)


# The day whose units are listed; one that cannot be read lists today's, as with none.
Day = form_date(day_first=False)


@router.get("/units")
def units_page(request: Request, session: DbSession, user: PageUser,
               q: Annotated[str, Query(max_length=100)] = "", at: str | None = None, cursor: str | None = None):
    day = parse_value(Day, at)
    level = None if q.strip() else "province"
    rows, next_cursor = queries.list_units(session, queries.UnitFilter(level=level, q=q, at=day, limit=50, cursor=cursor))
    parents = {u.id: session.get(Unit, u.parent_id) for u in rows if u.parent_id}
    context = {"rows": rows, "parents": parents, "q": q, "at": at or "", "next_cursor": next_cursor,
               "level_labels": LEVEL_LABELS, "legacy": day is not None and day < CURRENT_START}
    return render(request, "units/list.html", context, fragment="units/_rows.html")


@router.get("/units/{unit_id}")
def unit_page(unit_id: int, request: Request, session: DbSession, user: PageUser):
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise access.NotFound()
    context = {
        "unit": unit,
        "parents": queries.parent_chain(session, unit),
        "children": queries.children(session, unit),
        "successors": queries.successors(session, unit),
        "predecessors": queries.predecessors(session, unit),
        "level_labels": LEVEL_LABELS,
        "can_add_village": unit.level == "commune" and access.can_add_village(session, user, unit.id),
        "errors": {}, "form": {},
    }
    return render(request, "units/detail.html", context)


@router.post("/units/{unit_id}/villages")
def add_village(unit_id: int, request: Request, session: DbSession, user: PageUser,
                name: Annotated[str, Form()] = "", code: Annotated[str, Form()] = ""):
    commune = access.require_visible_unit(session, user, unit_id)
    try:
        data = VillageCreate(name=name.strip(), code=code.strip() or None)
    except ValidationError:
        context = {
            "unit": commune, "parents": queries.parent_chain(session, commune),
            "children": queries.children(session, commune), "successors": queries.successors(session, commune),
            "predecessors": queries.predecessors(session, commune), "level_labels": LEVEL_LABELS,
            "can_add_village": True, "form": {"name": name, "code": code},
            "errors": {"name": "Tên thôn, tổ dân phố cần có ít nhất 2 ký tự."},
        }
        return render(request, "units/detail.html", context, status_code=422)
    services.create_village(session, commune, data, user=user)
    return RedirectResponse(f"/units/{unit_id}", status_code=303)
