"""Changes to activities: log, edit, submit, delete, attach evidence, and bulk import.

Every function takes the acting user, checks access, validates the rules of the domain, writes
the audit trail; the unit of work commits (app/core/db.py). Validation errors are a list of
{"path": <field name>, "code": ..., "message": <Vietnamese>} shared by the HTML form and the API.
"""
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities import evidence as evidence_files
from app.activities import provinces, queries
from app.activities.models import (
    Activity, ActivityCounts, ActivityCreate, ActivityPublic, ActivityStatus, ActivityTask, ActivityUpdate,
    Evidence, EvidencePublic,
)
from app.activities.types import COUNTED_COLUMNS, DETAIL_NAMES, TYPES
from app.agencies.models import Agency
from app.audit.services import audit_row, record, record_many, snapshot
from app.core import metrics
from app.core.clock import today, utcnow
from app.core.db import on_commit, on_rollback, write_lock
# Invalid: 422 with one error per field, named as the form names it (the API puts them under `body`).
# Conflict: a stale version or a different body under an existing id, 409 with the stored entry.
from app.core.errors import Conflict, Invalid, errors_from_pydantic, field_error
from app.core.text import clean_text
from app.core.versions import StaleVersion, stale_is_conflict
from app.plans.models import Task
from app.units.models import Unit

COUNT_FIELDS = tuple(ActivityCounts.model_fields)
BREAKDOWN_FIELDS = ("participants_women", "participants_ethnic", "participants_poor", "participants_near_poor",
                    "participants_escaped", "participants_officials")
BULK_LIMIT = 1000
T = TypeVar("T", ActivityCreate, ActivityUpdate)
EARLIEST = date(2000, 1, 1)  # before any programme Loa serves: a mistyped year
log = logging.getLogger("loa.activities")


# --- parsing ---------------------------------------------------------------------------------

def _parse(model: type[T], raw: Any) -> T:
    """A request body as `model`: a key the API does not know (a misspelled field) is refused, the
    read-only fields of a stored record are ignored (see `ActivityCreate`)."""
    if not isinstance(raw, dict):
        raise Invalid([field_error("", "dict_type", "Cần một đối tượng JSON.")])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(errors_from_pydantic(exc))


def parse_create(raw: Any) -> ActivityCreate:
    return _parse(ActivityCreate, raw)


def parse_update(raw: Any) -> ActivityUpdate:
    return _parse(ActivityUpdate, raw)


# --- rules -----------------------------------------------------------------------------------

def normalise(data: ActivityCreate) -> ActivityCreate:
    """Fill defaults the server owns: a title from the type; text without control characters or
    surrounding spaces, empty details and list items dropped."""
    kind = TYPES.get(data.type)
    title = clean_text(data.title or "").strip()
    if not title and kind is not None:
        title = kind.label
    details = {k: clean_text(str(v)).strip() for k, v in (data.details or {}).items()}
    clean = lambda items: [t for t in (clean_text(s or "").strip() for s in items) if t]  # noqa: E731
    return data.model_copy(update={
        "title": title, "details": {k: v for k, v in details.items() if v}, "task_ids": sorted(set(data.task_ids)),
        "topics": clean(data.topics), "audiences": clean(data.audiences),
        "notes": clean_text(data.notes or "").strip() or None,
    })


def check_rules(session: Session, user: User, data: ActivityCreate) -> list[dict[str, str]]:
    """Every rule of the domain for one entry; an empty list when it may be stored."""
    errors: list[dict[str, str]] = []
    add = lambda path, code, message: errors.append(field_error(path, code, message))  # noqa: E731
    kind = TYPES.get(data.type)
    if kind is None:
        add("type", "unknown_type", "Loại hoạt động không hợp lệ.")
    if len(data.title or "") < 2 and (kind is not None or data.title):  # an empty title comes from the type
        add("title", "string_too_short", "Tên hoạt động cần có ít nhất 2 ký tự.")
    latest = today() + timedelta(days=1)
    if data.start_date > latest:
        add("start_date", "future", "Ngày thực hiện không được sau ngày hôm nay.")
    elif data.start_date < EARLIEST:
        add("start_date", "too_early", f"Ngày thực hiện phải từ {EARLIEST:%d/%m/%Y} trở đi.")
    if data.end_date is not None:
        if data.end_date < data.start_date:
            add("end_date", "before_start", "Ngày kết thúc không được trước ngày bắt đầu.")
        elif data.end_date > latest:
            add("end_date", "future", "Ngày kết thúc không được sau ngày hôm nay.")
    for name in BREAKDOWN_FIELDS:
        if getattr(data, name) > data.participants:
            add(name, "above_total", "Không được lớn hơn tổng số người tham gia.")
    if data.copies_distributed > data.copies and data.copies:
        add("copies_distributed", "above_total", "Số bản đã phát không được lớn hơn số bản in.")
    if data.questions_answered > data.questions_raised and data.questions_raised:
        add("questions_answered", "above_total", "Số ý kiến trả lời không được lớn hơn số ý kiến.")
    if kind is not None:
        for f in kind.fields:
            if f.kind == "int" and f.required and getattr(data, f.name) < 1:
                add(f.name, "required", f"Cần nhập {f.label.lower()} (lớn hơn 0).")
            elif f.kind == "choice":
                value = data.details.get(f.name)
                if value and value not in dict(f.choices):
                    add(f"details.{f.name}", "invalid_choice", f"{f.label}: giá trị không hợp lệ.")
                elif f.required and not value:
                    add(f"details.{f.name}", "required", f"Cần chọn {f.label.lower()}.")
    if kind is not None:
        for name in COUNT_FIELDS:
            if getattr(data, name) and name not in COUNTED_COLUMNS[kind.code]:
                add(name, "not_for_type", f"Loại “{kind.label}” không ghi số liệu này.")
        for name in sorted(set(data.details) - DETAIL_NAMES[kind.code]):
            add(f"details.{name}", "not_for_type", f"Loại “{kind.label}” không có thông tin này.")
    if data.status not in (ActivityStatus.draft, ActivityStatus.submitted):
        add("status", "invalid_status", "Chỉ có thể lưu nháp hoặc gửi.")
    unit = _check_unit(session, user, data, add)
    if data.agency_id is not None:
        _check_agency(session, data, unit, add)
    if unit is not None and data.task_ids:
        allowed = set(session.execute(
            queries.task_choices_query(unit, data.start_date).with_only_columns(Task.id)
            .where(Task.id.in_(data.task_ids))).scalars())
        for task_id in data.task_ids:
            if task_id not in allowed:
                add("task_ids", "task_not_applicable",
                    "Nhiệm vụ không thuộc kế hoạch còn hiệu lực vào ngày này hoặc không giao cho đơn vị này.")
                break
    return errors


def _check_unit(session: Session, user: User, data: ActivityCreate, add) -> Unit | None:
    unit = session.get(Unit, data.unit_id)
    if unit is None or not access.can_log_activity(session, user, unit.id, data.agency_id):
        if unit is not None and access.limited_to_agency(user) not in (None, data.agency_id) \
                and access.can_see_unit(session, user, unit.id):
            add("agency_id", "out_of_scope", "Bạn chỉ ghi được hoạt động của cơ quan mình.")
        else:
            add("unit_id", "out_of_scope", "Đơn vị này không thuộc phạm vi của bạn.")
        return None
    if not unit.is_valid_on(data.start_date):
        era = "trước 1/7/2025 hãy chọn xã, phường cũ" if unit.valid_from else "từ 1/7/2025 hãy chọn xã, phường mới"
        add("unit_id", "unit_not_valid_on_date",
            f"{unit.name} không tồn tại vào ngày {data.start_date:%d/%m/%Y}: {era}.")
        return None
    return unit


def _check_agency(session: Session, data: ActivityCreate, unit: Unit | None, add) -> None:
    """The agency exists on the date and belongs to the province of the entry's unit (either era:
    a legacy commune's work may be done by an agency of the province it went into)."""
    agency = session.get(Agency, data.agency_id)
    if agency is None:
        add("agency_id", "not_found", "Không tìm thấy cơ quan, đơn vị này.")
    elif not agency.is_valid_on(data.start_date):
        early = agency.valid_from is not None and data.start_date < agency.valid_from
        state = "chưa được thành lập" if early else "đã thôi hoạt động"
        add("agency_id", "agency_not_valid_on_date",
            f"{agency.name} {state} vào ngày {data.start_date:%d/%m/%Y}: hãy chọn cơ quan của thời điểm đó.")
    elif unit is not None:
        home = session.get(Unit, agency.unit_id)
        if home is None or not (home.provinces & unit.provinces):
            add("agency_id", "agency_out_of_scope",
                f"{agency.name} không thuộc tỉnh, thành phố của {unit.name}: hãy chọn cơ quan của địa phương này.")


def _require_logger(user: User) -> None:
    if user.role not in access.LOG_ROLES:
        raise access.Forbidden("Tài khoản xem không ghi được hoạt động.")


# --- create ----------------------------------------------------------------------------------

def _comparable(data: ActivityCreate) -> dict[str, Any]:
    return data.model_dump(exclude={"id", "status"}, mode="json")


def _as_create(session: Session, activity: Activity) -> ActivityCreate:
    task_ids = queries.task_ids_by_activity(session, [activity.id])[activity.id]
    fields = {name: getattr(activity, name) for name in ActivityCreate.model_fields
              if name not in ("task_ids", "status") and hasattr(activity, name)}
    return ActivityCreate(**fields, task_ids=task_ids, status=ActivityStatus.draft)


def _same_body(session: Session, activity: Activity, data: ActivityCreate) -> bool:
    """A retry sends what was stored. The status may have moved on since (submitted, then approved
    or returned), but a request to submit is not the retry of a draft that was never sent."""
    if data.status == ActivityStatus.submitted and activity.status == ActivityStatus.draft:
        return False
    return _comparable(normalise(_as_create(session, activity))) == _comparable(data)


def _existing(session: Session, user: User, data: ActivityCreate) -> Activity | None:
    """A retried create: the stored entry for the same body; a conflict for a different one."""
    if data.id is None:
        return None
    existing = session.get(Activity, data.id)
    if existing is None:
        return None
    try:
        queries.get_visible(session, user, existing.id)
    except access.NotFound:
        raise Conflict("Mã định danh này đã được dùng.", None, code="id_taken", path="id")
    if _same_body(session, existing, data):
        return existing
    raise Conflict("Hoạt động với mã định danh này đã được lưu với nội dung khác.", existing, path="id")


def _apply(activity: Activity, data: ActivityCreate) -> None:
    for name, value in _column_values(data).items():
        setattr(activity, name, value)


def _column_values(data: ActivityCreate) -> dict[str, Any]:
    """The stored columns an entry's data sets, derived sums included."""
    values = {name: getattr(data, name) for name in ActivityCreate.model_fields
              if name not in ("id", "task_ids", "status")}
    values["minutes"] = data.airings * data.minutes_per_airing
    values["cost_vnd"] = data.cost_central_vnd + data.cost_local_vnd + data.cost_mobilised_vnd
    return values


def _new_row(data: ActivityCreate, *, user: User) -> dict[str, Any]:
    """Every column of a new entry (a plain row: inserting it needs no ORM object)."""
    now = utcnow()
    submitted = data.status == ActivityStatus.submitted
    return {**_column_values(data), "id": data.id or uuid.uuid4(),
            "status": ActivityStatus.submitted if submitted else ActivityStatus.draft,
            "version": 1, "review_comment": None, "submitted_at": now if submitted else None,
            "reviewed_at": None, "reviewed_by_id": None, "created_by_id": user.id, "updated_by_id": user.id,
            "created_at": now, "updated_at": now}


class Stored(Exception):
    """A retried create whose id and body are already stored: answer the stored entry."""

    def __init__(self, activity: Activity):
        super().__init__(str(activity.id))
        self.activity = activity


def _validated(session: Session, data: ActivityCreate, *, user: User) -> ActivityCreate:
    """The normalised entry, or Invalid. A retry of a stored entry answers that entry (Conflict
    when its body differs) even when a rule would now refuse it."""
    _require_logger(user)
    data = normalise(data)
    errors = check_rules(session, user, data)
    if errors:
        _raise_if_stored(session, user, data)
        raise Invalid(errors)
    return data


def _raise_if_stored(session: Session, user: User, data: ActivityCreate) -> None:
    found = _existing(session, user, data)
    if found is not None:
        raise Stored(found)


def _insert(session: Session, rows: list[dict[str, Any]], task_ids: dict[uuid.UUID, list[int]], *,
            user: User) -> None:
    """Adds new entries, their task links and their audit rows to the transaction (no commit)."""
    provinces.fill(session, rows)
    session.execute(insert(Activity.__table__), rows)
    links = [{"activity_id": row["id"], "task_id": t} for row in rows for t in task_ids.get(row["id"], [])]
    if links:
        session.execute(insert(ActivityTask.__table__), links)
    record_many(session, [audit_row(user=user, entity="activity", entity_id=row["id"], action="create",
                                    after=snapshot(row), unit_id=row["unit_id"]) for row in rows])


def _public_new(row: dict[str, Any], task_ids: list[int]) -> ActivityPublic:
    return ActivityPublic.model_validate({**row, "task_ids": task_ids, "evidence": []})


def create_activity(session: Session, data: ActivityCreate, *, user: User) -> tuple[ActivityPublic, bool]:
    """Logs an activity: (the entry, True). The same client id with the same body answers
    (the stored entry, False); a different body under that id raises Conflict."""
    try:
        data = _validated(session, data, user=user)
    except Stored as stored:
        return to_public(session, stored.activity), False
    row = _new_row(data, user=user)
    try:
        with write_lock(session):
            _insert(session, [row], {row["id"]: data.task_ids}, user=user)
        metrics.ACTIVITIES_LOGGED.inc()
    except IntegrityError:
        # The id is taken: a retry of a stored entry (perhaps racing its twin), or someone else's id.
        session.rollback()
        found = _existing(session, user, data)
        if found is None:
            raise
        return to_public(session, found), False
    return _public_new(row, data.task_ids), True


def _stored_ids(session: Session, rows: list[Any]) -> set[uuid.UUID]:
    """The ids of a batch that are stored already: one query instead of one per row."""
    ids = set()
    for raw in rows:
        try:
            ids.add(uuid.UUID(str(raw["id"])))
        except (TypeError, KeyError, ValueError):
            continue
    if not ids:
        return set()
    return set(session.execute(select(Activity.id).where(Activity.id.in_(ids))).scalars())


def bulk_create(session: Session, rows: list[Any], *, user: User, dry_run: bool = False) -> list[dict[str, Any]]:
    """Up to 1,000 entries in one transaction; each row answers created, unchanged or error."""
    _require_logger(user)
    if len(rows) > BULK_LIMIT:
        raise Invalid([field_error("body", "too_many", f"Tối đa {BULK_LIMIT} hoạt động mỗi lần.")])
    results = []
    new_rows: list[dict[str, Any]] = []
    task_ids: dict[uuid.UUID, list[int]] = {}
    seen: set[uuid.UUID] = set()
    already = _stored_ids(session, rows)
    for index, raw in enumerate(rows):
        result: dict[str, Any] = {"index": index, "id": None, "status": "error", "errors": []}
        try:
            data = parse_create(raw)
            if data.id is not None and data.id in seen:
                raise Invalid([field_error("id", "duplicate_in_batch", "Mã định danh bị lặp trong cùng lô.")])
            data = normalise(data)
            if data.id in already:
                _raise_if_stored(session, user, data)
            errors = check_rules(session, user, data)
            if errors:
                raise Invalid(errors)
            row = _new_row(data, user=user)
            new_rows.append(row)
            task_ids[row["id"]] = data.task_ids
            seen.add(row["id"])
            result.update(id=str(row["id"]), status="created")
        except Stored as stored:
            seen.add(stored.activity.id)
            result.update(id=str(stored.activity.id), status="unchanged")
        except Invalid as exc:
            result["errors"] = exc.errors
        except Conflict as exc:
            result["errors"] = [field_error("id", exc.reason, exc.message)]
        if data_id := (raw.get("id") if isinstance(raw, dict) else None):
            result["id"] = result["id"] or str(data_id)
        results.append(result)
    if new_rows and not dry_run:
        with write_lock(session):
            _insert(session, new_rows, task_ids, user=user)
        metrics.ACTIVITIES_LOGGED.inc(len(new_rows))
    log.info("bulk import", extra={"rows": len(rows), "rows_created": 0 if dry_run else len(new_rows), "dry_run": dry_run,
                                   "rows_refused": sum(1 for r in results if r["status"] == "error"), "user_id": user.id})
    return results


# --- change ----------------------------------------------------------------------------------

STALE = "Hoạt động đã được thay đổi trên máy chủ sau khi bạn mở nó."


def _require_version(activity: Activity, version: int | None) -> None:
    if version is not None and version != activity.version:
        raise Conflict(STALE, activity, code="stale_version", path="version")


@contextmanager
def _one_writer(session: Session, activity: Activity) -> Iterator[None]:
    """Of two writes made from the same version, the database lets one through (the version is
    checked in the UPDATE itself, see app.core.versions); the other answers 409 with the entry as
    the winner left it, and nothing of it is stored."""
    try:
        with stale_is_conflict(session, activity):
            yield
    except StaleVersion as exc:
        raise Conflict(STALE, exc.current, code="stale_version", path="version")


def _require_editable(user: User, activity: Activity) -> None:
    if not access.can_edit_activity(user, activity):
        if activity.status in (ActivityStatus.submitted, ActivityStatus.approved):
            raise access.Forbidden("Hoạt động đã gửi hoặc đã duyệt nên không sửa được.")
        raise access.Forbidden()


def update_activity(session: Session, activity: Activity, data: ActivityUpdate, *, user: User) -> Activity:
    """A change made from `data.version`, which must be the stored one."""
    _require_editable(user, activity)
    _require_version(activity, data.version)
    before = snapshot(activity)
    merged = _as_create(session, activity).model_dump()
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if changes.get("type") in COUNTED_COLUMNS and changes["type"] != activity.type:
        # A new type keeps none of the old type's own numbers (unless this change sets them).
        merged.update({name: 0 for name in COUNT_FIELDS if name not in COUNTED_COLUMNS[changes["type"]]})
        merged["details"] = {k: v for k, v in merged["details"].items() if k in DETAIL_NAMES[changes["type"]]}
    merged.update(changes)
    merged = {k: v for k, v in merged.items() if v is not None or k in ("end_date", "agency_id", "notes", "title")}
    new = normalise(parse_create(merged))
    errors = check_rules(session, user, new)
    if errors:
        raise Invalid(errors)
    old_tasks = queries.task_ids_by_activity(session, [activity.id])[activity.id]
    with _one_writer(session, activity):
        _apply(activity, new)
        _touch(activity, user)
        session.flush()  # the versioned UPDATE first: a loser stops here, before anything else is written
        if new.task_ids != old_tasks:
            session.execute(delete(ActivityTask).where(ActivityTask.activity_id == activity.id))
            for task_id in new.task_ids:
                session.add(ActivityTask(activity_id=activity.id, task_id=task_id))
        record(session, user=user, entity="activity", entity_id=activity.id, action="update", before=before,
               after=snapshot(activity), unit_id=activity.unit_id)
    return activity


def _touch(activity: Activity, user: User) -> None:
    activity.version += 1
    activity.updated_at = utcnow()
    activity.updated_by_id = user.id


def submit_activity(session: Session, activity: Activity, *, user: User, version: int | None = None) -> Activity:
    """Draft or returned → submitted for review."""
    _require_version(activity, version)
    if activity.status not in (ActivityStatus.draft, ActivityStatus.returned):
        raise Conflict("Chỉ gửi được hoạt động nháp hoặc bị trả lại.", activity, code="invalid_state", path="status")
    _require_editable(user, activity)
    before = snapshot(activity)
    with _one_writer(session, activity):
        activity.status = ActivityStatus.submitted
        activity.submitted_at = utcnow()
        _touch(activity, user)
        record(session, user=user, entity="activity", entity_id=activity.id, action="submit", before=before,
               after=snapshot(activity), unit_id=activity.unit_id)
        session.flush()
    return activity


def delete_activity(session: Session, activity: Activity, *, user: User) -> None:
    """Only drafts are deleted; anything submitted stays in the record."""
    if activity.status != ActivityStatus.draft:
        raise Conflict("Chỉ xóa được hoạt động nháp.", activity, code="invalid_state", path="status")
    _require_editable(user, activity)
    files = [e for e in queries.evidence_by_activity(session, [activity.id])[activity.id]]
    with _one_writer(session, activity):
        record(session, user=user, entity="activity", entity_id=activity.id, action="delete",
               before=snapshot(activity), unit_id=activity.unit_id)
        session.execute(delete(Evidence).where(Evidence.activity_id == activity.id))
        session.execute(delete(ActivityTask).where(ActivityTask.activity_id == activity.id))
        session.delete(activity)
        session.flush()
    on_commit(session, lambda: evidence_files.remove(files))


# --- evidence --------------------------------------------------------------------------------

def add_evidence(session: Session, activity: Activity, file: evidence_files.Prepared, *, user: User
                 ) -> tuple[Evidence, bool]:
    """Stores a photo or a PDF prepared by `evidence.prepare` (which refuses a bad file before
    anything is saved); the same file again is not stored twice."""
    if not access.can_add_evidence(user, activity):
        raise access.Forbidden("Không thêm được ảnh, tài liệu vào hoạt động này.")
    query = select(Evidence).where(Evidence.activity_id == activity.id, Evidence.sha256 == file.sha256)
    existing = session.execute(query).scalars().first()
    if existing is not None:
        return existing, False
    stored = evidence_files.store(activity.id, file)
    on_rollback(session, lambda: evidence_files.remove([stored]))
    evidence = Evidence(id=stored.id, activity_id=activity.id, kind=file.kind, filename=file.filename,
                        content_type=file.content_type, size_bytes=len(file.data), width=file.width,
                        height=file.height, captured_at=file.captured_at, path=stored.path,
                        thumb_path=stored.thumb_path, sha256=file.sha256, created_by_id=user.id)
    session.add(evidence)
    # The change feed sees the new file; the entry's version stays (a photo added while someone
    # edits the text is not a conflicting edit), so this is a plain UPDATE of one column.
    now = utcnow()
    session.execute(update(Activity.__table__).where(Activity.__table__.c.id == activity.id).values(updated_at=now))
    set_committed_value(activity, "updated_at", now)
    record(session, user=user, entity="evidence", entity_id=evidence.id, action="create",
           after=snapshot(evidence), unit_id=activity.unit_id, note=str(activity.id))
    return evidence, True


# --- reading ---------------------------------------------------------------------------------

def evidence_public(e: Evidence) -> EvidencePublic:
    base = f"/activities/{e.activity_id}/evidence/{e.id}"
    return EvidencePublic(id=e.id, kind=e.kind, filename=e.filename, content_type=e.content_type,
                          size_bytes=e.size_bytes, width=e.width, height=e.height, captured_at=e.captured_at,
                          created_at=e.created_at, url=base, thumb_url=f"{base}/thumb" if e.thumb_path else None)


def to_public_many(session: Session, activities: list[Activity]) -> list[ActivityPublic]:
    ids = [a.id for a in activities]
    tasks = queries.task_ids_by_activity(session, ids)
    files = queries.evidence_by_activity(session, ids)
    return [ActivityPublic.model_validate(a, from_attributes=True).model_copy(
        update={"task_ids": tasks[a.id], "evidence": [evidence_public(e) for e in files[a.id]]})
        for a in activities]


def to_public(session: Session, activity: Activity) -> ActivityPublic:
    return to_public_many(session, [activity])[0]
