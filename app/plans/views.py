"""HTML pages for plans and tasks: list, plan page, and the forms to create and edit them.

Forms post back to themselves and work without JavaScript: "add a row" buttons re-render the form
with one more row; a refused save answers 422 with every typed value and an error beside its field.
"""
import mimetypes
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from app import access
from app.accounts.deps import DbSession, PageUser
from app.accounts.models import Role, User
from app.activities.types import TYPES
from app.agencies.models import Agency
from app.agencies.queries import agencies_for_unit, covering_unit_ids
from app.core.clock import today
from app.core.db import UnitOfWork
from app.core.forms import (
    Form,
    FormDate,
    FormInt,
    form_date,
    form_int,
    parse_form,
    parse_value,
)
from app.core.headers import uploaded_file_headers
from app.core.storage import get_storage
from app.core.templating import render
from app.core.versions import STALE_MESSAGE, StaleVersion
from app.plans import queries, services
from app.plans.models import (
    METRIC_LABELS,
    PLAN_STATUS_LABELS,
    TARGET_PERIOD_LABELS,
    Assignment,
    Metric,
    Plan,
    PlanCreate,
    PlanStatus,
    PlanUpdate,
    TargetCreate,
    TargetPeriod,
    Task,
    TaskCreate,
    TaskUnit,
    TaskUpdate,
)
from app.progress import progress as progress_queries
from app.units.models import Unit

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)

FREQUENCY_LABELS = {"year": "Hằng năm", "half": "6 tháng", "quarter": "Hằng quý", "month": "Hằng tháng", "once": "Một lần"}
FIELD_MESSAGES = {
    "title": "Tên cần từ 3 đến 500 ký tự.",
    "number": "Số hiệu tối đa 64 ký tự.",
    "period_start": "Nhập ngày bắt đầu.",
    "period_end": "Nhập ngày kết thúc.",
    "unit_id": "Chọn đơn vị.",
    "quantity": "Số lượng là số nguyên không âm.",
}
BASIS_ROWS = 2
TARGET_ROWS = 1


# --- the typed fields of the forms, read through models (app/core/forms.py) ------------------------

Money = form_int("Nhập số tiền bằng đồng, ví dụ 3.500.000.000.")
Version = form_int(STALE_MESSAGE)
PlanUnitId = form_int(required="Chọn đơn vị ban hành.")
PeriodStart = form_date(required=FIELD_MESSAGES["period_start"])
PeriodEnd = form_date(required=FIELD_MESSAGES["period_end"])
Quantity = form_int(FIELD_MESSAGES["quantity"], required="Nhập số lượng.")
# Ids of a task's chosen agencies and communes: a value that is not one is refused, never dropped.
PartnerId = form_int("Chọn cơ quan phối hợp trong danh sách.", grouped=False, below=2**31)
AssignedUnitId = form_int("Chọn đơn vị trong danh sách.", grouped=False, below=2**31)


def _pydantic_errors(exc: ValidationError, errors: dict[str, str]) -> None:
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        errors.setdefault(path, FIELD_MESSAGES.get(path.split(".")[-1], "Giá trị không hợp lệ."))


def _rows(form: FormData, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    columns = {f: form.getlist(f"{prefix}_{f}") for f in fields}
    count = max((len(v) for v in columns.values()), default=0)
    return [{f: str(columns[f][i]) if i < len(columns[f]) else "" for f in fields} for i in range(count)]


def _blank(row: dict[str, str], ignore: tuple[str, ...] = ()) -> bool:
    return not any(v.strip() for k, v in row.items() if k not in ignore)


# --- lookups for the templates ---------------------------------------------------------------------

def unit_labels(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


def agency_labels(session, ids) -> dict[int, Agency]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {a.id: a for a in session.execute(select(Agency).where(Agency.id.in_(ids))).scalars()}


def plan_units(session, user: User) -> list[Unit]:
    """Units whose plans the user may list or create: provinces and districts of the scope."""
    query = select(Unit).where(Unit.level.in_(("province", "district")))
    if not access.is_national_admin(user):
        scope = access.scope_unit(session, user)
        if scope is None:
            return []
        query = query.where(or_(Unit.id == scope.id, access.unit_subtree_condition(scope)))
    units = list(session.execute(query.order_by(Unit.level.desc(), Unit.name).limit(800)).scalars())
    scope = access.scope_unit(session, user)
    if scope is not None and scope.level in ("commune", "village") and scope not in units:
        units.insert(0, scope)
    return sorted(units, key=lambda u: (u.level != "province", u.is_legacy, u.name))


def plan_agencies(session, user: User) -> list[Agency]:
    query = select(Agency)
    if not access.is_national_admin(user):
        scope = access.scope_unit(session, user)
        covering = covering_unit_ids(scope) if scope is not None else set()
        query = query.where(or_(Agency.unit_id.in_(access.visible_unit_ids(session, user)), Agency.unit_id.in_(covering)))
    return list(session.execute(query.order_by(Agency.search_name).limit(400)).scalars())


def progress_for(session, user: User, plan: Plan) -> dict[int, dict]:
    """Each target's progress over the whole plan as {percent, done, target, submitted}, by target id,
    from the progress query: approved work only, submitted work shown apart."""
    return {row.target_id: {"percent": row.percent, "done": row.approved, "target": row.target,
                            "submitted": row.submitted}
            for row in progress_queries.progress(session, user, plan_id=plan.id, period="plan",
                                                 include_submitted=False).tasks}


def _can_manage(session, user: User, plan: Plan) -> bool:
    return access.can_manage_plans_of(session, user, plan.unit_id)


def _require_form(session, user: User, plan: Plan | None) -> None:
    """The form of a new plan (`plan` None), or of `plan` and its tasks, is shown only to those who
    may save it: 403 otherwise. The save itself is checked by the service."""
    allowed = access.can_create_plans(user) if plan is None else _can_manage(session, user, plan)
    if not allowed:
        raise access.Forbidden()


# --- list ----------------------------------------------------------------------------------------------

@router.get("/plans")
def plans_page(request: Request, session: DbSession, user: PageUser, unit_id: str = "", year: str = "",
               status: str = "", cursor: str | None = None):
    # A filter value that is not a number is dropped, as the form offers none.
    f = queries.PlanFilter(unit_id=parse_value(FormInt, unit_id), year=parse_value(FormInt, year),
                           status=status if status in PLAN_STATUS_LABELS else None, limit=50, cursor=cursor)
    rows, next_cursor = queries.list_plans(session, user, f)
    this_year = today().year
    context = {
        "rows": rows, "next_cursor": next_cursor, "counts": queries.task_counts(session, [p.id for p in rows]),
        "unit_names": unit_labels(session, [p.unit_id for p in rows]),
        "filter": {"unit_id": unit_id, "year": year, "status": status},
        "units": plan_units(session, user), "years": list(range(this_year + 2, 2020, -1)),
        "status_labels": PLAN_STATUS_LABELS,
        "can_create": access.can_create_plans(user),
        "has_import": True,
    }
    return render(request, "plans/list.html", context, fragment="plans/_rows.html")


# --- plan page -----------------------------------------------------------------------------------------

@router.get("/plans/{plan_id:int}")
def plan_page(plan_id: int, request: Request, session: DbSession, user: PageUser, saved: str = ""):
    plan = queries.get_plan(session, user, plan_id)
    return _render_plan(request, session, user, plan, notice={"1": "Đã lưu.", "document": "Đã đính kèm văn bản."}
                        .get(saved))


def _render_plan(request: Request, session: Session, user: User, plan: Plan, *, notice: str | None = None,
                 document_error: str | None = None):
    tasks = queries.task_details(session, queries.tasks_of(session, plan), with_unit_ids=False)
    agency_ids = [plan.agency_id] + [t.lead_agency_id for t in tasks] + [a for t in tasks for a in t.partner_agency_ids]
    parent_task = session.get(Task, plan.parent_task_id) if plan.parent_task_id else None
    context = {
        "plan": plan, "tasks": tasks, "agencies": agency_labels(session, agency_ids),
        "unit_names": unit_labels(session, [plan.unit_id] + [t.assignment.get("of_unit_id") for t in tasks]),
        "parent_plan": session.get(Plan, plan.parent_plan_id) if plan.parent_plan_id else None,
        "parent_task": parent_task, "can_manage": _can_manage(session, user, plan),
        "cascade_task_ids": _cascadable(session, user, plan, tasks),
        "children": _child_plans(session, user, plan),
        "progress": progress_for(session, user, plan),
        "status_labels": PLAN_STATUS_LABELS, "metric_labels": METRIC_LABELS, "period_labels": TARGET_PERIOD_LABELS,
        "type_labels": {code: t.label for code, t in TYPES.items()}, "frequency_labels": FREQUENCY_LABELS,
        "notice": notice, "document_error": document_error,
    }
    return render(request, "plans/detail.html", context, status_code=422 if document_error else 200)


def _cascadable(session, user: User, plan: Plan, tasks) -> set[int]:
    """Tasks the user's own unit may implement with its own plan (a reviewer below the plan's unit)."""
    if user.role != Role.reviewer or user.unit_id is None or user.unit_id == plan.unit_id:
        return set()
    scope = session.get(Unit, user.unit_id)
    ids = [t.id for t in tasks if t.unit_count]
    if scope is None or not ids or not services.is_below(scope, session.get(Unit, plan.unit_id)):
        return set()
    query = (select(TaskUnit.task_id).join(Unit, Unit.id == TaskUnit.unit_id)
             .where(TaskUnit.task_id.in_(ids), queries.territory_condition(scope)).distinct())
    return set(session.execute(query).scalars())


def _child_plans(session, user: User, plan: Plan) -> list[Plan]:
    query = (select(Plan).where(Plan.parent_plan_id == plan.id, access.plan_scope_condition(session, user))
             .order_by(Plan.id).limit(200))
    return list(session.execute(query).scalars())


# --- plan form -----------------------------------------------------------------------------------------

BASIS_FIELDS = ("number", "date", "issuer", "title")
BUDGET_FIELDS = ("budget_central_vnd", "budget_local_vnd", "budget_mobilised_vnd", "budget_integrated_vnd",
                 "budget_unallocated_vnd")
PLAN_FIELDS = ("number", "title", "programme", "unit_id", "agency_id", "issued_on", "period_start", "period_end",
               "budget_central_vnd", "budget_local_vnd", "budget_mobilised_vnd", "budget_integrated_vnd",
               "budget_unallocated_vnd", "status")


def _plan_form(plan: Plan) -> dict:
    form = {f: getattr(plan, f) for f in PLAN_FIELDS}
    for f in ("issued_on", "period_start", "period_end"):
        form[f] = form[f].isoformat() if form[f] else ""
    for f in ("unit_id", "agency_id"):
        form[f] = str(form[f] or "")
    for f in BUDGET_FIELDS:
        form[f] = str(form[f] or "")
    form["number"] = form["number"] or ""
    form["programme"] = form["programme"] or ""
    form["status"] = plan.status.value if isinstance(plan.status, PlanStatus) else plan.status
    form["bases"] = [{k: str(b.get(k) or "") for k in BASIS_FIELDS} for b in plan.legal_bases]
    form["version"] = str(plan.version)
    return form


def _plan_context(session, user: User, form: dict, errors: dict, plan: Plan | None = None) -> dict:
    bases = list(form.get("bases") or [])
    while len(bases) < BASIS_ROWS or not _blank_last(bases):
        bases.append({k: "" for k in BASIS_FIELDS})
    form["bases"] = bases
    return {"form": form, "errors": errors, "plan": plan, "units": plan_units(session, user),
            "agencies": plan_agencies(session, user), "status_labels": PLAN_STATUS_LABELS}


def _blank_last(rows: list[dict]) -> bool:
    return bool(rows) and _blank(rows[-1])


class BasisFields(BaseModel):
    date: FormDate = None


class PlanFields(BaseModel):
    """The plan form's numbers, days and choices; its texts are checked by `PlanCreate`."""
    unit_id: PlanUnitId
    agency_id: FormInt = None
    issued_on: FormDate = None
    period_start: PeriodStart
    period_end: PeriodEnd
    budget_central_vnd: Money = None
    budget_local_vnd: Money = None
    budget_mobilised_vnd: Money = None
    budget_integrated_vnd: Money = None
    budget_unallocated_vnd: Money = None
    # By row of the form (an empty row is None), so that an error lands beside its row.
    legal_bases: list[BasisFields | None] = []


class PlanEditFields(PlanFields):
    version: Version = None


def _parse_plan_form(form: FormData, plan: Plan | None = None) -> tuple[dict, dict, dict[str, str]]:
    """(typed values for re-display, values for the schema, errors). An edited plan keeps its unit."""
    raw = {f: str(form.get(f) or "").strip() for f in PLAN_FIELDS}
    raw["bases"] = _rows(form, "basis", BASIS_FIELDS)
    if plan is not None:
        raw["unit_id"], raw["version"] = str(plan.unit_id), str(form.get("version") or "")
    values: dict[str, Any] = {"number": raw["number"] or None, "title": raw["title"],
                              "programme": raw["programme"] or None, "status": raw["status"] or "draft"}
    model = PlanFields if plan is None else PlanEditFields
    typed = {f: raw[f] for f in model.model_fields if f != "legal_bases"}
    typed["legal_bases"] = [None if _blank(row) else {"date": row["date"]} for row in raw["bases"]]
    fields, errors = parse_form(model, typed)
    if fields is None:
        return raw, values, errors
    values.update(fields.model_dump(exclude={"legal_bases"}))
    for f in BUDGET_FIELDS:
        values[f] = values[f] or 0
    values["legal_bases"] = [{"number": row["number"].strip(), "date": basis.date, "issuer": row["issuer"].strip(),
                              "title": row["title"].strip()}
                             for row, basis in zip(raw["bases"], fields.legal_bases) if basis is not None]
    return raw, values, errors


def _basis_errors_by_row(raw_bases: list[dict], errors: dict[str, str]) -> dict[str, str]:
    """Service paths count only filled rows; the form shows every row, so map them back."""
    filled = [i for i, row in enumerate(raw_bases) if not _blank(row)]
    out = dict(errors)
    for path, message in errors.items():
        m = re.match(r"legal_bases\.(\d+)\.(\w+)$", path)
        if m and int(m.group(1)) < len(filled):
            out[f"legal_bases.{filled[int(m.group(1))]}.{m.group(2)}"] = message
    return out


@router.get("/plans/new")
def new_plan_page(request: Request, session: DbSession, user: PageUser):
    _require_form(session, user, None)
    units = plan_units(session, user)
    form = {"unit_id": str(user.unit_id or (units[0].id if units else "")), "status": "draft",
            "period_start": f"{today().year}-01-01", "period_end": f"{today().year}-12-31"}
    return render(request, "plans/form.html", _plan_context(session, user, form, {}))


@router.post("/plans")
def create_plan(request: Request, session: DbSession, user: PageUser, form: Form):
    raw, values, errors = _parse_plan_form(form)
    action = form.get("action")
    if action != "add_basis" and not errors:
        try:
            plan = services.create_plan(session, PlanCreate(**values), user=user)  # checks who may create
        except ValidationError as exc:
            _pydantic_errors(exc, errors)
        except services.PlanInputError as exc:
            errors.update(exc.errors)
        else:
            return RedirectResponse(f"/plans/{plan.id}?saved=1", status_code=303)
        errors = _basis_errors_by_row(raw["bases"], errors)
    _require_form(session, user, None)
    return _plan_form_response(request, session, user, raw, errors, None, action)


def _plan_form_response(request, session, user, raw, errors, plan, action=None, status=None):
    if action == "add_basis":
        raw["bases"].append({k: "" for k in BASIS_FIELDS})
        errors = {}
    status = status or (422 if errors else 200)
    return render(request, "plans/form.html", _plan_context(session, user, raw, errors, plan), status_code=status)


@router.get("/plans/{plan_id:int}/edit")
def edit_plan_page(plan_id: int, request: Request, session: DbSession, user: PageUser):
    plan = queries.get_plan(session, user, plan_id)
    _require_form(session, user, plan)
    return render(request, "plans/form.html", _plan_context(session, user, _plan_form(plan), {}, plan))


@router.post("/plans/{plan_id:int}/edit")
def update_plan(plan_id: int, request: Request, session: DbSession, user: PageUser, form: Form):
    plan = queries.get_plan(session, user, plan_id)
    raw, values, errors = _parse_plan_form(form, plan)
    if form.get("action") == "add_basis" or errors:
        return _plan_form_response(request, session, user, raw, errors, plan, form.get("action"))
    status = None
    try:
        services.update_plan(session, plan, PlanUpdate(**{k: v for k, v in values.items() if k != "unit_id"}),
                             user=user)
    except ValidationError as exc:
        _pydantic_errors(exc, errors)
    except services.PlanInputError as exc:
        errors.update(exc.errors)
    except StaleVersion as exc:
        # What was typed stays; saving again (now from the current version) overwrites.
        plan = _current_or_404(exc)
        raw["version"], errors["version"], status = str(plan.version), STALE_MESSAGE, 409
    else:
        return RedirectResponse(f"/plans/{plan.id}?saved=1", status_code=303)
    session.refresh(plan)
    return _plan_form_response(request, session, user, raw, _basis_errors_by_row(raw["bases"], errors), plan,
                               status=status)


def _current_or_404(exc: StaleVersion):
    if exc.current is None:
        raise access.NotFound()
    return exc.current


@router.post("/plans/{plan_id:int}/delete")
def delete_plan(plan_id: int, session: DbSession, user: PageUser):
    plan = queries.get_plan(session, user, plan_id)
    try:
        services.delete_plan(session, plan, user=user)
    except services.PlanStateError as exc:
        raise access.Forbidden(exc.message)
    return RedirectResponse("/plans", status_code=303)


@router.get("/plans/{plan_id:int}/document")
def download_document(plan_id: int, session: DbSession, user: PageUser):
    plan = queries.get_plan(session, user, plan_id)
    if not plan.document_path:
        raise access.NotFound()
    name = plan.document_name or plan.document_path.rsplit("/", 1)[-1]
    try:
        return get_storage().response(plan.document_path, mimetypes.guess_type(name)[0] or "application/octet-stream",
                                      name, False, uploaded_file_headers())
    except KeyError:
        raise access.NotFound()


@router.post("/plans/{plan_id:int}/document")
def attach_document(plan_id: int, request: Request, session: DbSession, user: PageUser, form: Form):
    upload = form.get("document")
    filename, content = "", b""
    if isinstance(upload, UploadFile):
        filename, content = upload.filename or "", upload.file.read()
    plan = queries.get_plan(session, user, plan_id)
    try:
        services.attach_document(session, plan, filename, content, user=user)
    except services.PlanInputError as exc:
        session.rollback()
        return _render_plan(request, session, user, plan,
                            document_error=exc.errors.get("document", "Tệp không hợp lệ."))
    return RedirectResponse(f"/plans/{plan.id}?saved=document", status_code=303)


# --- task form -----------------------------------------------------------------------------------------

TARGET_FIELDS = ("metric", "quantity", "period", "per_unit", "activity_type")


def _task_form(task: Task, details) -> dict:
    assignment = task.assignment or {}
    mode = "every" if assignment.get("every") else "units" if assignment.get("unit_ids") else "none"
    return {
        "title": task.title, "description": task.description or "", "lead_agency_id": str(task.lead_agency_id or ""),
        "partner_agency_ids": [str(a) for a in details.partner_agency_ids],
        "mode": mode, "of_unit_id": str(assignment.get("of_unit_id") or ""),
        "unit_ids": [str(u) for u in assignment.get("unit_ids", [])],
        "activity_types": list(task.activity_types), "due_date": task.due_date.isoformat() if task.due_date else "",
        "report_deadline": task.report_deadline.isoformat() if task.report_deadline else "",
        "report_frequency": task.report_frequency,
        "targets": [{"metric": t.metric.value if hasattr(t.metric, "value") else t.metric, "quantity": str(t.quantity),
                     "period": t.period.value if hasattr(t.period, "value") else t.period,
                     "per_unit": "1" if t.per_unit else "0", "activity_type": t.activity_type or ""}
                    for t in details.targets],
        "version": str(task.version),
    }


def _task_context(session, plan: Plan, form: dict, errors: dict, task: Task | None = None) -> dict:
    targets = list(form.get("targets") or [])
    while len(targets) < TARGET_ROWS or not _blank(targets[-1], ("period", "per_unit")):
        targets.append({"metric": "", "quantity": "", "period": "year", "per_unit": "1", "activity_type": ""})
    form["targets"] = targets
    unit = session.get(Unit, plan.unit_id)
    of_units = [unit] + list(session.execute(select(Unit).where(Unit.parent_id == unit.id, Unit.level == "district")
                                             .order_by(Unit.name)).scalars())
    choices = queries.every_unit_query(unit, "commune", plan.period_start, plan.period_end)
    communes = list(session.execute(select(Unit).where(Unit.id.in_(choices))
                                    .order_by(Unit.valid_from.is_(None).desc(), Unit.name)).scalars())
    return {"plan": plan, "task": task, "form": form, "errors": errors, "plan_unit": unit,
            "agencies": agencies_for_unit(session, unit), "of_units": of_units, "communes": communes,
            "metric_labels": METRIC_LABELS, "period_labels": TARGET_PERIOD_LABELS,
            "type_labels": {code: t.label for code, t in TYPES.items()}, "frequency_labels": FREQUENCY_LABELS}


class TargetFields(BaseModel):
    quantity: Quantity


class TaskFields(BaseModel):
    """The task form's numbers, days and choices; the rest is checked by `TaskCreate`."""
    lead_agency_id: FormInt = None
    due_date: FormDate = None
    report_deadline: FormDate = None
    of_unit_id: FormInt = None
    partner_agency_ids: list[PartnerId] = []
    unit_ids: list[AssignedUnitId] = []
    # By row of the form (an empty row is None), so that an error lands beside its row.
    targets: list[TargetFields | None] = []
    version: Version = None


def _parse_task_form(form: FormData) -> tuple[dict, dict, dict[str, str]]:
    raw = {f: str(form.get(f) or "").strip() for f in ("title", "lead_agency_id", "mode", "of_unit_id",
                                                       "due_date", "report_deadline", "report_frequency")}
    raw["description"] = str(form.get("description") or "")
    raw["partner_agency_ids"] = [str(v) for v in form.getlist("partner_agency_ids")]
    raw["unit_ids"] = [str(v) for v in form.getlist("unit_ids")]
    raw["activity_types"] = [str(v) for v in form.getlist("activity_types")]
    raw["targets"] = _rows(form, "target", TARGET_FIELDS)
    raw["version"] = str(form.get("version") or "")
    values: dict[str, Any] = {"title": raw["title"], "description": raw["description"].strip(),
                              "activity_types": raw["activity_types"],
                              "report_frequency": raw["report_frequency"] or "year"}
    filled = [i for i, row in enumerate(raw["targets"]) if not _blank(row, ("period", "per_unit"))]
    values["_target_rows"] = filled
    typed = {f: raw[f] for f in ("lead_agency_id", "due_date", "report_deadline", "version")}
    typed["of_unit_id"] = raw["of_unit_id"] if raw["mode"] == "every" else None
    typed["partner_agency_ids"] = raw["partner_agency_ids"]
    typed["unit_ids"] = raw["unit_ids"] if raw["mode"] == "units" else []
    typed["targets"] = [{"quantity": row["quantity"]} if i in filled else None for i, row in enumerate(raw["targets"])]
    fields, messages = parse_form(TaskFields, typed)
    errors: dict[str, str] = {}
    for path, message in messages.items():  # a list's first message, beside the list
        errors.setdefault(re.sub(r"^(partner_agency_ids|unit_ids)\.\d+$", r"\1", path), message)
    for name in ("of_unit_id", "unit_ids"):
        if name in errors:
            errors[f"assignment.{name}"] = errors.pop(name)
    if raw["mode"] == "units" and "assignment.unit_ids" not in errors and not any(v.strip() for v in raw["unit_ids"]):
        errors["assignment.unit_ids"] = "Chọn ít nhất một đơn vị."
    if fields is None or errors:
        return raw, values, errors
    values.update(fields.model_dump(include={"lead_agency_id", "due_date", "report_deadline", "version"}))
    values["partner_agency_ids"] = [i for i in fields.partner_agency_ids if i is not None]
    if raw["mode"] == "every":
        values["assignment"] = Assignment(every="commune", of_unit_id=fields.of_unit_id)
    elif raw["mode"] == "units":
        values["assignment"] = Assignment(unit_ids=[i for i in fields.unit_ids if i is not None])
    else:
        values["assignment"] = None
    values["targets"] = [TargetCreate(
        metric=row["metric"] if row["metric"] in Metric.__members__ else None, quantity=target.quantity,
        period=row["period"] if row["period"] in TargetPeriod.__members__ else TargetPeriod.plan,
        per_unit=row["per_unit"] != "0", activity_type=row["activity_type"] or None)
        for row, target in zip(raw["targets"], fields.targets) if target is not None]
    return raw, values, errors


def _task_errors_by_row(values: dict, errors: dict[str, str]) -> dict[str, str]:
    rows = values.get("_target_rows", [])
    out = {}
    for path, message in errors.items():
        m = re.match(r"targets\.(\d+)\.(\w+)$", path)
        out[f"targets.{rows[int(m.group(1))]}.{m.group(2)}" if m and int(m.group(1)) < len(rows) else path] = message
    return out


def _task_form_response(request, session, plan, raw, errors, task, action=None, status=None):
    if action == "add_target":
        raw["targets"].append({"metric": "", "quantity": "", "period": "year", "per_unit": "1", "activity_type": ""})
        errors = {}
    return render(request, "plans/task_form.html", _task_context(session, plan, raw, errors, task),
                  status_code=status or (422 if errors else 200))


@router.get("/plans/{plan_id:int}/tasks/new")
def new_task_page(plan_id: int, request: Request, session: DbSession, user: PageUser):
    plan = queries.get_plan(session, user, plan_id)
    _require_form(session, user, plan)
    form = {"mode": "every", "of_unit_id": str(plan.unit_id), "report_frequency": "year", "activity_types": [],
            "partner_agency_ids": [], "unit_ids": []}
    return render(request, "plans/task_form.html", _task_context(session, plan, form, {}))


@router.post("/plans/{plan_id:int}/tasks")
def create_task(plan_id: int, request: Request, session: DbSession, user: PageUser, form: Form):
    plan = queries.get_plan(session, user, plan_id)
    return _save_task(request, session, user, plan, None, form)


@router.get("/tasks/{task_id:int}/edit")
def edit_task_page(task_id: int, request: Request, session: DbSession, user: PageUser):
    task, plan = queries.get_task(session, user, task_id)
    _require_form(session, user, plan)
    details = queries.task_details(session, [task], with_unit_ids=False)[0]
    return render(request, "plans/task_form.html", _task_context(session, plan, _task_form(task, details), {}, task))


@router.post("/tasks/{task_id:int}/edit")
def update_task(task_id: int, request: Request, session: DbSession, user: PageUser, form: Form):
    task, plan = queries.get_task(session, user, task_id)
    return _save_task(request, session, user, plan, task, form)


def _save_task(request: Request, session: Session, user: User, plan: Plan, task: Task | None, form: FormData):
    """Creates a task of `plan` (when `task` is None) or changes `task` from the posted form. The
    service checks who may save; a refused save, or an added target row, shows the form again with
    every typed value and an error beside its field (409 when the task changed since it was read)."""
    raw, values, errors = _parse_task_form(form)
    if task is None:
        values.pop("version", None)
    action, status = form.get("action"), None
    if action != "add_target" and not errors:
        data = {k: v for k, v in values.items() if k[0] != "_"}
        try:
            if task is None:
                services.create_task(session, plan, TaskCreate(**data), user=user)
            else:
                services.update_task(session, task, TaskUpdate(**data), user=user)
        except ValidationError as exc:
            _pydantic_errors(exc, errors)
        except services.PlanInputError as exc:
            errors.update(exc.errors)
        except StaleVersion as exc:
            # What was typed stays; saving again (now from the current version) overwrites.
            task = _current_or_404(exc)
            raw["version"], errors["version"], status = str(task.version), STALE_MESSAGE, 409
        else:
            return RedirectResponse(f"/plans/{plan.id}?saved=1", status_code=303)
        if task is not None:
            session.refresh(task)
    _require_form(session, user, plan)
    return _task_form_response(request, session, plan, raw, _task_errors_by_row(values, errors), task, action, status)


@router.post("/tasks/{task_id:int}/delete")
def delete_task(task_id: int, session: DbSession, user: PageUser):
    task, plan = queries.get_task(session, user, task_id)
    try:
        services.delete_task(session, task, user=user)
    except services.PlanStateError as exc:
        raise access.Forbidden(exc.message)
    return RedirectResponse(f"/plans/{plan.id}?saved=1", status_code=303)


@router.post("/tasks/{task_id:int}/cascade")
def cascade_task(task_id: int, session: DbSession, user: PageUser):
    task, _ = queries.get_task(session, user, task_id)
    if user.unit_id is None:
        raise access.Forbidden("Tài khoản chưa gắn với đơn vị nào.")
    try:
        plan = services.cascade_plan(session, task, user.unit_id, user=user)
    except services.PlanInputError as exc:
        raise access.Forbidden(next(iter(exc.errors.values())))
    return RedirectResponse(f"/plans/{plan.id}?saved=1", status_code=303)
