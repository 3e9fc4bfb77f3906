"""The audit page: who changed what and when, with before/after values."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from app import access
from app.accounts import queries as account_queries
from app.accounts.deps import DbSession, PageUser
from app.agencies.models import Agency
from app.audit import formatting, queries
from app.core.db import UnitOfWork
from app.core.templating import render, templates

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)
templates.env.filters["vntime"] = formatting.format_time


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "Ngày không hợp lệ (dd/mm/yyyy)."
        return None


def _person(value: str, errors: dict[str, str]) -> int | None:
    """The id chosen in the list of people (a URL edited by hand may hold anything)."""
    if not value:
        return None
    if value.isascii() and value.isdigit() and int(value) < 2**31:
        return int(value)
    errors["user_id"] = "Chọn người thực hiện trong danh sách."
    return None


def _agency_names(session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Agency.id, Agency.name).where(Agency.id.in_(ids))
    return {agency_id: name for agency_id, name in session.execute(query)}


@router.get("/audit")
def audit_page(request: Request, session: DbSession, user: PageUser,
               entity: Annotated[str, Query(max_length=40)] = "", entity_id: Annotated[str, Query(max_length=64)] = "",
               user_id: str = "", since: str = "", until: str = "", cursor: str | None = None):
    if not access.can_read_audit(user):
        raise access.Forbidden("Chỉ quản trị và cán bộ thẩm định xem được nhật ký.")
    errors: dict[str, str] = {}
    start, end = _day(since, "since", errors), _day(until, "until", errors)
    if start and end and start > end:
        errors["until"] = "Ngày kết thúc phải sau ngày bắt đầu."
    actor_id = _person(user_id, errors)
    f = queries.AuditFilter(entity or None, entity_id or None, actor_id, start, end, 50, cursor)
    rows, next_cursor = queries.list_entries(session, user, f) if not errors else ([], None)
    people, _ = account_queries.list_users(session, user, account_queries.UserFilter(limit=500))
    entries = [entry for entry, _ in rows]
    names = {"unit_id": account_queries.unit_labels(session, formatting.named_ids(entries, "unit_id")),
             "agency_id": _agency_names(session, formatting.named_ids(entries, "agency_id"))}
    context = {
        "rows": [(entry, name, formatting.changed_fields(entry.changes, names)) for entry, name in rows],
        "next_cursor": next_cursor, "errors": errors,
        "filter": {"entity": entity, "entity_id": entity_id, "user_id": user_id, "since": since, "until": until},
        "entities": queries.entities(session, user), "people": people,
        "entity_labels": formatting.ENTITY_LABELS, "action_labels": formatting.ACTION_LABELS,
        "unit_names": account_queries.unit_labels(session, [entry.unit_id for entry, _ in rows]),
    }
    return render(request, "audit/list.html", context, fragment="audit/_rows.html",
                  status_code=422 if errors else 200)
