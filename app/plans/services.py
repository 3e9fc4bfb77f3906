"""Every change to plans and tasks. Each function checks access, validates with messages meant
for the field concerned and writes the audit trail; the unit of work commits (app/core/db.py)."""
import mimetypes
import re
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import ActivityTask
from app.activities.types import TYPES
from app.agencies.models import Agency
from app.audit.services import record, snapshot
from app.core.clock import utcnow
from app.core.db import on_rollback
from app.core.storage import get_storage
from app.core.text import clean_text
from app.core.versions import require_version, stale_is_conflict
from app.plans import queries
from app.plans.models import (
    ASSIGN_LEVELS, Assignment, Plan, PlanCreate, PlanStatus, PlanUpdate, Target, TargetCreate, Task, TaskCreate,
    TaskPartner, TaskUnit, TaskUpdate,
)
from app.units.models import Unit

REPORT_FREQUENCIES = ("once", "month", "quarter", "half", "year")
DOCUMENT_TYPES = {".pdf", ".docx", ".doc", ".txt", ".odt"}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


class PlanErrors(dict):
    """Field path ("period_end", "tasks.0.targets.1.metric") → message, with a code for each path."""

    def __init__(self):
        super().__init__()
        self.codes: dict[str, str] = {}

    def add(self, path: str, code: str, message: str) -> None:
        self[path] = message
        self.codes[path] = code


class PlanInputError(Exception):
    """Input refused; `errors` maps a field path ("period_end", "tasks.0.targets.1.metric") to a
    message, `codes` the same paths to a code."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.codes: dict[str, str] = getattr(errors, "codes", {})

    @classmethod
    def one(cls, path: str, code: str, message: str) -> "PlanInputError":
        errors = PlanErrors()
        errors.add(path, code, message)
        return cls(errors)


class PlanStateError(Exception):
    """The change does not fit the plan's or task's state (e.g. deleting an active plan): 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- checks ------------------------------------------------------------------------------------

def _require_manager(session: Session, user: User, unit_id: int) -> None:
    if not access.can_manage_plans_of(session, user, unit_id):
        raise access.Forbidden("Bạn không có quyền lập hoặc sửa kế hoạch của đơn vị này.")


def _has_number(number: str | None) -> bool:
    return bool(number and re.search(r"\d", number))


def _check_plan(session: Session, values: dict, plan_id: int | None, errors: PlanErrors) -> None:
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and end < start:
        errors.add("period_end", "before_start", "Ngày kết thúc phải sau ngày bắt đầu.")
    agency_id = values.get("agency_id")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        errors.add("agency_id", "not_found", "Không có cơ quan này.")
    parent_id = values.get("parent_plan_id")
    if parent_id is not None and (parent_id == plan_id or session.get(Plan, parent_id) is None):
        errors.add("parent_plan_id", "not_found", "Không có kế hoạch cấp trên này.")
    number = (values.get("number") or "").strip()
    if _has_number(number):
        query = select(Plan.id).where(func.lower(Plan.number) == number.lower(), Plan.unit_id == values["unit_id"])
        query = query.where(Plan.agency_id == agency_id if agency_id is not None else Plan.agency_id.is_(None))
        if plan_id is not None:
            query = query.where(Plan.id != plan_id)
        if session.execute(query).first():
            errors.add("number", "duplicate_number", f"Số hiệu {number} đã dùng cho một kế hoạch khác của cùng đơn vị, cơ quan ban hành.")


def _check_task(session: Session, plan_unit: Unit, data: TaskCreate | TaskUpdate, prefix: str,
                errors: PlanErrors) -> None:
    agency_ids = [data.lead_agency_id] if data.lead_agency_id is not None else []
    agency_ids += data.partner_agency_ids or []
    if agency_ids:
        known = set(session.execute(select(Agency.id).where(Agency.id.in_(agency_ids))).scalars())
        if data.lead_agency_id is not None and data.lead_agency_id not in known:
            errors.add(prefix + "lead_agency_id", "not_found", "Không có cơ quan chủ trì này.")
        if any(a not in known for a in data.partner_agency_ids or []):
            errors.add(prefix + "partner_agency_ids", "not_found", "Có cơ quan phối hợp không tồn tại.")
    unknown_types = [t for t in data.activity_types or [] if t not in TYPES]
    if unknown_types:
        errors.add(prefix + "activity_types", "unknown_type", "Loại hoạt động không hợp lệ: " + ", ".join(unknown_types))
    if data.report_frequency is not None and data.report_frequency not in REPORT_FREQUENCIES:
        errors.add(prefix + "report_frequency", "invalid_choice", "Chu kỳ báo cáo không hợp lệ.")
    if data.assignment is not None:
        _check_assignment(session, plan_unit, data.assignment, prefix + "assignment.", errors)
    _check_targets(data.targets or [], prefix + "targets.", errors)


def _check_assignment(session: Session, plan_unit: Unit, assignment: Assignment, prefix: str,
                      errors: PlanErrors) -> None:
    outside_message = f"Đơn vị được giao phải thuộc địa bàn của {plan_unit.name}."
    if assignment.every:
        if assignment.every not in ASSIGN_LEVELS:
            errors.add(prefix + "every", "invalid_choice", "Chỉ giao cho mọi xã hoặc mọi huyện của một đơn vị.")
        elif assignment.of_unit_id is None:
            errors.add(prefix + "of_unit_id", "missing", "Chọn đơn vị có các xã, huyện được giao.")
        elif session.get(Unit, assignment.of_unit_id) is None:
            errors.add(prefix + "of_unit_id", "not_found", "Không có đơn vị này.")
        elif queries.units_outside(session, plan_unit, [assignment.of_unit_id]):
            errors.add(prefix + "of_unit_id", "out_of_scope", outside_message)
    if assignment.unit_ids:
        outside = queries.units_outside(session, plan_unit, assignment.unit_ids)
        if outside:
            errors.add(prefix + "unit_ids", "out_of_scope", outside_message + f" ({len(outside)} đơn vị nằm ngoài)")


def _check_targets(targets: list[TargetCreate], prefix: str, errors: PlanErrors) -> None:
    seen = set()
    for i, target in enumerate(targets):
        if target.metric is None:
            errors.add(f"{prefix}{i}.metric", "missing", "Chọn chỉ số đo cho chỉ tiêu này.")
            continue
        if target.activity_type and target.activity_type not in TYPES:
            errors.add(f"{prefix}{i}.activity_type", "unknown_type", "Loại hoạt động không hợp lệ.")
        key = (target.metric, target.period, target.activity_type or None)
        if key in seen:
            errors.add(f"{prefix}{i}.metric", "duplicate", "Chỉ tiêu này trùng với một dòng phía trên (cùng chỉ số và kỳ).")
        seen.add(key)


def _raise_if(errors: PlanErrors) -> None:
    if errors:
        raise PlanInputError(errors)


# --- writing tasks -------------------------------------------------------------------------------

def _write_assignment(session: Session, plan: Plan, task: Task, assignment: Assignment | None) -> None:
    session.execute(delete(TaskUnit).where(TaskUnit.task_id == task.id))
    if assignment is None:
        task.assignment = {}
        return
    if assignment.every:
        root = session.get(Unit, assignment.of_unit_id)
        units = queries.every_unit_query(root, assignment.every, plan.period_start, plan.period_end)
        queries.insert_task_units(session, task.id, units)
        task.assignment = {"every": assignment.every, "of_unit_id": assignment.of_unit_id}
    else:
        task.assignment = {"unit_ids": sorted(set(assignment.unit_ids))} if assignment.unit_ids else {}
    if assignment.unit_ids:
        existing = set(session.execute(select(TaskUnit.unit_id).where(TaskUnit.task_id == task.id)).scalars())
        rows = [{"task_id": task.id, "unit_id": u} for u in sorted(set(assignment.unit_ids) - existing)]
        if rows:
            session.execute(TaskUnit.__table__.insert(), rows)
        if assignment.every:
            task.assignment["unit_ids"] = sorted(set(assignment.unit_ids))


def _write_partners(session: Session, task: Task, agency_ids: list[int]) -> None:
    session.execute(delete(TaskPartner).where(TaskPartner.task_id == task.id))
    rows = [{"task_id": task.id, "agency_id": a} for a in sorted(set(agency_ids)) if a != task.lead_agency_id]
    if rows:
        session.execute(TaskPartner.__table__.insert(), rows)


def _write_targets(session: Session, task: Task, targets: list[TargetCreate]) -> None:
    session.execute(delete(Target).where(Target.task_id == task.id))
    for t in targets:
        session.add(Target(task_id=task.id, metric=t.metric, quantity=t.quantity, period=t.period,
                           per_unit=t.per_unit, activity_type=t.activity_type or None))


def _next_position(session: Session, plan: Plan) -> int:
    last = session.execute(select(func.max(Task.position)).where(Task.plan_id == plan.id)).scalar_one()
    return 0 if last is None else last + 1


def _insert_task(session: Session, plan: Plan, data: TaskCreate, *, user: User, parent_task_id: int | None = None) -> Task:
    task = Task(plan_id=plan.id, title=data.title.strip(), description=data.description,
                lead_agency_id=data.lead_agency_id, due_date=data.due_date, report_deadline=data.report_deadline,
                report_frequency=data.report_frequency, parent_task_id=parent_task_id,
                activity_types=list(dict.fromkeys(data.activity_types)),
                position=data.position if data.position is not None else _next_position(session, plan))
    session.add(task)
    session.flush()
    _write_partners(session, task, data.partner_agency_ids)
    _write_assignment(session, plan, task, data.assignment)
    _write_targets(session, task, data.targets)
    record(session, user=user, entity="task", entity_id=task.id, action="create", after=snapshot(task),
           unit_id=plan.unit_id)
    return task


# --- plans ---------------------------------------------------------------------------------------

def create_plan(session: Session, data: PlanCreate, *, user: User) -> Plan:
    unit = session.get(Unit, data.unit_id)
    if unit is None:
        raise PlanInputError.one("unit_id", "not_found", "Không có đơn vị này.")
    _require_manager(session, user, unit.id)
    errors = PlanErrors()
    _check_plan(session, data.model_dump(), None, errors)
    for i, task in enumerate(data.tasks):
        _check_task(session, unit, task, f"tasks.{i}.", errors)
    _raise_if(errors)
    plan = Plan(**data.model_dump(exclude={"tasks", "legal_bases", "number"}),
                number=(data.number or "").strip() or None,
                legal_bases=[b.model_dump(mode="json") for b in data.legal_bases], created_by_id=user.id)
    session.add(plan)
    session.flush()
    record(session, user=user, entity="plan", entity_id=plan.id, action="create", after=snapshot(plan),
           unit_id=plan.unit_id)
    for position, task in enumerate(data.tasks):
        if task.position is None:
            task = task.model_copy(update={"position": position})
        _insert_task(session, plan, task, user=user)
    return plan


BUDGET_FIELDS = ("budget_central_vnd", "budget_local_vnd", "budget_mobilised_vnd", "budget_integrated_vnd",
                 "budget_unallocated_vnd")


def update_plan(session: Session, plan: Plan, data: PlanUpdate, *, user: User) -> Plan:
    """A change made from `data.version`; StaleVersion when the plan changed since."""
    _require_manager(session, user, plan.unit_id)
    require_version(plan, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("title", "period_start", "period_end", "status"):
        if required in changes and changes[required] is None:
            del changes[required]
    # An amount is never unknown in Loa: null is refused rather than read as 0 (send 0 to clear it).
    _raise_if({name: "Không để trống kinh phí: gửi 0 nếu không có." for name in BUDGET_FIELDS
               if name in changes and changes[name] is None})
    if "legal_bases" in changes:
        changes["legal_bases"] = [b.model_dump(mode="json") for b in data.legal_bases or []]
    if "number" in changes:
        changes["number"] = (changes["number"] or "").strip() or None
    values = plan.model_dump() | changes
    errors = PlanErrors()
    _check_plan(session, values, plan.id, errors)
    _raise_if(errors)
    before = snapshot(plan)
    period_changed = (values["period_start"], values["period_end"]) != (plan.period_start, plan.period_end)
    with stale_is_conflict(session, plan):
        for key, value in changes.items():
            setattr(plan, key, value)
        plan.updated_at = utcnow()
        session.add(plan)
        session.flush()  # the versioned UPDATE first: of two edits from the same version, one stops here
        if period_changed:
            for task in queries.tasks_of(session, plan):
                if task.assignment.get("every"):
                    _write_assignment(session, plan, task, Assignment(**task.assignment))
        record(session, user=user, entity="plan", entity_id=plan.id, action="update", before=before,
               after=snapshot(plan), unit_id=plan.unit_id)
    return plan


def _refuse_if_logged(session: Session, task_ids, message: str) -> None:
    if task_ids and session.execute(select(ActivityTask.task_id).where(ActivityTask.task_id.in_(task_ids)).limit(1)).first():
        raise PlanStateError(message)


def _delete_tasks(session: Session, task_ids: list[int]) -> None:
    if not task_ids:
        return
    # Lower units' tasks and plans that implemented these stay, without the link.
    session.execute(update(Task).where(Task.parent_task_id.in_(task_ids)).values(parent_task_id=None))
    session.execute(update(Plan).where(Plan.parent_task_id.in_(task_ids)).values(parent_task_id=None))
    for table in (Target, TaskUnit, TaskPartner):
        session.execute(delete(table).where(table.task_id.in_(task_ids)))
    session.execute(delete(Task).where(Task.id.in_(task_ids)))


def delete_plan(session: Session, plan: Plan, *, user: User) -> None:
    _require_manager(session, user, plan.unit_id)
    if plan.status != PlanStatus.draft:
        raise PlanStateError("Chỉ xóa được kế hoạch đang ở trạng thái dự thảo.")
    task_ids = [t.id for t in queries.tasks_of(session, plan)]
    _refuse_if_logged(session, task_ids, "Kế hoạch đã có hoạt động gắn với nhiệm vụ, không thể xóa.")
    before = snapshot(plan)
    _delete_tasks(session, task_ids)
    session.execute(update(Plan).where(Plan.parent_plan_id == plan.id).values(parent_plan_id=None))
    record(session, user=user, entity="plan", entity_id=plan.id, action="delete", before=before,
           unit_id=plan.unit_id)
    session.delete(plan)
    session.flush()


def attach_document(session: Session, plan: Plan, filename: str, content: bytes, *, user: User) -> Plan:
    """Keeps the original document (PDF, DOCX, text) beside the plan."""
    _require_manager(session, user, plan.unit_id)
    name = Path(filename or "").name.strip()
    suffix = Path(name).suffix.lower()
    if not name:
        raise PlanInputError.one("document", "missing", "Chọn tệp văn bản để đính kèm.")
    if suffix not in DOCUMENT_TYPES:
        raise PlanInputError.one("document", "file_type", "Chỉ nhận tệp PDF, DOCX, DOC, ODT hoặc TXT.")
    if not content or len(content) > MAX_DOCUMENT_BYTES:
        raise PlanInputError.one("document", "file_size", "Tệp rỗng hoặc lớn hơn 20 MB.")
    key = f"plans/{plan.id}/{utcnow():%Y%m%d%H%M%S}{suffix}"
    storage = get_storage()
    storage.save(key, content, mimetypes.guess_type(name)[0] or "application/octet-stream")
    on_rollback(session, lambda: storage.delete(key))
    before = snapshot(plan)
    plan.document_name = clean_text(name).strip()[:255] or suffix
    plan.document_path = key
    plan.updated_at = utcnow()
    session.add(plan)
    record(session, user=user, entity="plan", entity_id=plan.id, action="attach_document", before=before,
           after=snapshot(plan), unit_id=plan.unit_id)
    return plan


# --- tasks ---------------------------------------------------------------------------------------

def create_task(session: Session, plan: Plan, data: TaskCreate, *, user: User) -> Task:
    _require_manager(session, user, plan.unit_id)
    errors = PlanErrors()
    _check_task(session, session.get(Unit, plan.unit_id), data, "", errors)
    _raise_if(errors)
    return _insert_task(session, plan, data, user=user)


def update_task(session: Session, task: Task, data: TaskUpdate, *, user: User) -> Task:
    """A change made from `data.version`; StaleVersion when the task changed since."""
    plan = session.get(Plan, task.plan_id)
    _require_manager(session, user, plan.unit_id)
    require_version(task, data.version)
    errors = PlanErrors()
    _check_task(session, session.get(Unit, plan.unit_id), data, "", errors)
    _raise_if(errors)
    before = snapshot(task)
    changes = data.model_dump(exclude_unset=True, exclude={"partner_agency_ids", "assignment", "targets", "version"})
    with stale_is_conflict(session, task):
        for key, value in changes.items():
            if value is None and key in ("title", "report_frequency", "position"):
                continue
            if key == "description":
                value = value or ""
            if key == "activity_types":
                value = list(dict.fromkeys(value or []))
            setattr(task, key, value)
        task.updated_at = utcnow()
        session.add(task)
        session.flush()
        fields = data.model_fields_set
        if "partner_agency_ids" in fields or "lead_agency_id" in fields:
            partners = data.partner_agency_ids if "partner_agency_ids" in fields else list(
                session.execute(select(TaskPartner.agency_id).where(TaskPartner.task_id == task.id)).scalars())
            _write_partners(session, task, partners or [])
        if "assignment" in fields:
            _write_assignment(session, plan, task, data.assignment)
        if "targets" in fields:
            _write_targets(session, task, data.targets or [])
        record(session, user=user, entity="task", entity_id=task.id, action="update", before=before,
               after=snapshot(task), unit_id=plan.unit_id)
    return task


def delete_task(session: Session, task: Task, *, user: User) -> None:
    plan = session.get(Plan, task.plan_id)
    _require_manager(session, user, plan.unit_id)
    _refuse_if_logged(session, [task.id], "Nhiệm vụ đã có hoạt động gắn vào, không thể xóa.")
    before = snapshot(task)
    _delete_tasks(session, [task.id])
    record(session, user=user, entity="task", entity_id=task.id, action="delete", before=before,
           unit_id=plan.unit_id)


# --- cascade -------------------------------------------------------------------------------------

def cascade_plan(session: Session, parent_task: Task, unit_id: int, *, user: User) -> Plan:
    """A lower unit's own plan implementing `parent_task`, with one task linked to it. Answers the
    existing plan when the unit already has one for this task."""
    parent_plan = session.get(Plan, parent_task.plan_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise PlanInputError.one("unit_id", "not_found", "Không có đơn vị này.")
    _require_manager(session, user, unit.id)
    existing = queries.find_cascaded_plan(session, parent_task.id, unit.id)
    if existing is not None:
        return existing
    assigned_here = (select(TaskUnit.unit_id).join(Unit, Unit.id == TaskUnit.unit_id)
                     .where(TaskUnit.task_id == parent_task.id, queries.territory_condition(unit)).limit(1))
    plan_unit = session.get(Unit, parent_plan.unit_id)
    if not is_below(unit, plan_unit) or session.execute(assigned_here).first() is None:
        raise PlanInputError.one("unit_id", "not_assigned",
                                  "Nhiệm vụ này không giao cho đơn vị của bạn hoặc các đơn vị trực thuộc.")
    start = max(parent_plan.period_start, unit.valid_from or parent_plan.period_start)
    end = min(parent_plan.period_end, unit.valid_to or parent_plan.period_end)
    if end < start:
        raise PlanInputError.one("unit_id", "unit_not_valid_on_date",
                                  "Đơn vị không còn hiệu lực trong kỳ của kế hoạch cấp trên.")
    plan = Plan(title=f"Kế hoạch thực hiện nhiệm vụ “{parent_task.title}” tại {unit.name}"[:500],
                programme=parent_plan.programme, unit_id=unit.id, period_start=start, period_end=end,
                parent_plan_id=parent_plan.id, parent_task_id=parent_task.id, status=PlanStatus.draft,
                legal_bases=_parent_basis(parent_plan), created_by_id=user.id)
    session.add(plan)
    session.flush()
    record(session, user=user, entity="plan", entity_id=plan.id, action="cascade", after=snapshot(plan),
           unit_id=unit.id, note=f"task {parent_task.id}")
    every = "commune" if unit.level in ("province", "district") else None
    assignment = Assignment(every=every, of_unit_id=unit.id) if every else Assignment(unit_ids=[unit.id])
    targets = [TargetCreate(metric=t.metric, quantity=t.quantity, period=t.period, per_unit=True,
                            activity_type=t.activity_type)
               for t in session.execute(select(Target).where(Target.task_id == parent_task.id,
                                                             Target.per_unit.is_(True))).scalars()]
    data = TaskCreate(title=parent_task.title, description=parent_task.description,
                      activity_types=parent_task.activity_types, due_date=parent_task.due_date,
                      report_deadline=parent_task.report_deadline, report_frequency=parent_task.report_frequency,
                      assignment=assignment, targets=targets, position=0)
    _insert_task(session, plan, data, user=user, parent_task_id=parent_task.id)
    return plan


LEVEL_RANK = {"province": 0, "district": 1, "commune": 2, "village": 3}


def is_below(unit: Unit, other: Unit) -> bool:
    """A lower level than `other` (a commune under a province plan, in either era)."""
    return LEVEL_RANK.get(unit.level, 9) > LEVEL_RANK.get(other.level, 9)


def _parent_basis(parent: Plan) -> list[dict]:
    basis = {"number": parent.number or "", "date": parent.issued_on.isoformat() if parent.issued_on else None,
             "issuer": "", "title": parent.title}
    return [basis]

