"""The review cycle after submission: approve, return with a comment, reopen with a reason.

Submitting is `app.activities.services.submit_activity`. Reopening an approved entry sends it
back to its author as *returned*, the reason becoming the review comment: the author sees why at
the top of their home screen, corrects it and submits again, and the entry goes through review
once more. (Reopening to "submitted" would leave nobody able to correct it.)
"""
import logging
import uuid
from datetime import date

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities import queries
from app.activities.models import Activity, ActivityStatus
from app.audit.services import audit_row, record, record_many, snapshot
from app.core import metrics
from app.core.clock import utcnow
from app.core.errors import Invalid, field_error
from app.core.versions import StaleVersion, stale_is_conflict

COMMENT_MAX = 2000
BULK_LIMIT = 1000
log = logging.getLogger("loa.reviews")

BULK_ATTEMPTS = 5
RACED = "Hoạt động vừa được người khác duyệt, trả lại hoặc mở lại: đây là trạng thái hiện tại."


class WrongState(Exception):
    """The entry is not in a state this transition starts from: 409."""

    def __init__(self, message: str, activity: Activity):
        super().__init__(message)
        self.message = message
        self.activity = activity


def _require_reviewer(session: Session, user: User, activity: Activity) -> None:
    if not access.can_review_activity(session, user, activity):
        raise access.Forbidden("Chỉ cán bộ thẩm định của cấp trên mới duyệt hoặc trả lại được hoạt động này.")


def _require_state(activity: Activity, state: ActivityStatus, message: str) -> None:
    if activity.status != state:
        raise WrongState(message, activity)


def _required_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid([field_error(field, "missing", message)])
    if len(text) > COMMENT_MAX:
        raise Invalid([field_error(field, "string_too_long", f"Tối đa {COMMENT_MAX} ký tự.")])
    return text


def _transition(session: Session, activity: Activity, status: ActivityStatus, action: str, *, user: User,
                comment: str | None, note: str | None = None) -> None:
    before = snapshot(activity)
    activity.status = status
    activity.review_comment = comment
    activity.reviewed_at = utcnow()
    activity.reviewed_by_id = user.id
    activity.version += 1
    activity.updated_at = activity.reviewed_at
    activity.updated_by_id = user.id
    session.add(activity)
    record(session, user=user, entity="activity", entity_id=activity.id, action=action, before=before,
           after=snapshot(activity), unit_id=activity.unit_id, note=note)
    metrics.REVIEWS.labels(action).inc()
    log.info("review decision", extra={"decision": action, "activity_id": str(activity.id), "user_id": user.id,
                                       "unit_id": activity.unit_id})


@contextmanager
def _one_reviewer(session: Session, activity: Activity) -> Iterator[None]:
    """Two reviewers acting on the same entry at once: the versioned UPDATE lets one through; the
    other gets WrongState with the entry as the first left it (and nothing of theirs is stored)."""
    try:
        with stale_is_conflict(session, activity):
            yield
    except StaleVersion as exc:
        if exc.current is None:
            raise access.NotFound()
        raise WrongState(RACED, exc.current)


def _approve(session: Session, activity: Activity, user: User) -> None:
    _require_reviewer(session, user, activity)
    _require_state(activity, ActivityStatus.submitted, "Chỉ duyệt được hoạt động đã gửi.")
    _transition(session, activity, ActivityStatus.approved, "approve", user=user, comment=None)


def approve_activity(session: Session, activity: Activity, *, user: User) -> Activity:
    """Submitted → approved (locked)."""
    with _one_reviewer(session, activity):
        _approve(session, activity, user)
        session.flush()
    return activity


def return_activity(session: Session, activity: Activity, comment: str | None, *, user: User) -> Activity:
    """Submitted → returned to its author with the reviewer's comment."""
    text = _required_text(comment, "comment", "Cần ghi lý do trả lại để người báo cáo biết cần sửa gì.")
    _require_reviewer(session, user, activity)
    _require_state(activity, ActivityStatus.submitted, "Chỉ trả lại được hoạt động đã gửi.")
    with _one_reviewer(session, activity):
        _transition(session, activity, ActivityStatus.returned, "return", user=user, comment=text, note=text[:1000])
        session.flush()
    return activity


def reopen_activity(session: Session, activity: Activity, reason: str | None, *, user: User) -> Activity:
    """Approved → returned, unlocked for its author, with the reason as the review comment."""
    text = _required_text(reason, "reason", "Cần ghi lý do mở lại hoạt động đã duyệt.")
    _require_reviewer(session, user, activity)
    _require_state(activity, ActivityStatus.approved, "Chỉ mở lại được hoạt động đã duyệt.")
    with _one_reviewer(session, activity):
        _transition(session, activity, ActivityStatus.returned, "reopen", user=user, comment=text, note=text[:1000])
        session.flush()
    return activity


def approve_many(session: Session, ids: list[Any], *, user: User) -> list[dict[str, Any]]:
    """Approve each id the user may review; one result per id, in order. Refusals do not stop the rest."""
    if len(ids) > BULK_LIMIT:
        raise Invalid([field_error("ids", "too_long", f"Tối đa {BULK_LIMIT} hoạt động mỗi lần.")])
    for _ in range(BULK_ATTEMPTS):
        try:
            results = [_approve_one(session, user, raw) for raw in ids]
            session.flush()
            return results
        except StaleDataError:
            # Another reviewer acted on one of these meanwhile: read them again and retry, so what
            # they approved or returned answers invalid_state and the rest is approved.
            session.rollback()
    return [{"id": str(raw), "ok": False, "code": "conflict", "message": RACED} for raw in ids]


def _approve_one(session: Session, user: User, raw: Any) -> dict[str, Any]:
    try:
        activity_id = uuid.UUID(str(raw))
    except ValueError:
        return {"id": str(raw), "ok": False, "code": "invalid_id", "message": "Mã hoạt động không hợp lệ."}
    try:
        activity = queries.get_visible(session, user, activity_id)
        _approve(session, activity, user)
    except access.NotFound:
        return {"id": str(activity_id), "ok": False, "code": "not_found", "message": "Không tìm thấy."}
    except access.Forbidden as exc:
        return {"id": str(activity_id), "ok": False, "code": "forbidden", "message": exc.message}
    except WrongState as exc:
        return {"id": str(activity_id), "ok": False, "code": "invalid_state", "message": exc.message,
                "status": exc.activity.status}
    return {"id": str(activity_id), "ok": True, "status": activity.status, "version": activity.version}


def approve_period(session: Session, unit_id: int, start: date, end: date, *, user: User) -> list[Activity]:
    """Approve everything a commune (and its villages) submitted for a period in one decision,
    recorded as one audit event that lists the entries (as DHIS2 approves a unit's month)."""
    unit = access.require_visible_unit(session, user, unit_id)
    if start > end:
        raise Invalid([field_error("end", "before_start", "Ngày cuối kỳ không được trước ngày đầu kỳ.")])
    query = (select(Activity).where(Activity.status == ActivityStatus.submitted,
                                    Activity.start_date >= start, Activity.start_date <= end,
                                    Activity.unit_id.in_(access.subtree_unit_ids(unit)),
                                    access.review_queue_condition(session, user))
             .order_by(Activity.start_date, Activity.id).limit(BULK_LIMIT + 1))
    activities = list(session.execute(query).scalars())
    if len(activities) > BULK_LIMIT:
        raise Invalid([field_error("period", "too_long", f"Tối đa {BULK_LIMIT} hoạt động mỗi lần: chọn kỳ ngắn hơn.")])
    if not activities:
        raise Invalid([field_error("period", "empty", "Không có hoạt động nào chờ duyệt của đơn vị trong kỳ này.")])
    for activity in activities:
        _require_reviewer(session, user, activity)
    now = utcnow()
    # Each entry's own history shows the approval too, naming the period decision it was part of.
    in_period = (f"Duyệt theo kỳ: duyệt cùng {len(activities)} hoạt động của {unit.name} tháng {start:%m/%Y}"
                 if (start.year, start.month) == (end.year, end.month) else
                 f"Duyệt theo kỳ: duyệt cùng {len(activities)} hoạt động của {unit.name} "
                 f"từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}")
    entry_rows = []
    for activity in activities:
        before = snapshot(activity)
        activity.status = ActivityStatus.approved
        activity.review_comment = None
        activity.reviewed_at = activity.updated_at = now
        activity.reviewed_by_id = activity.updated_by_id = user.id
        activity.version += 1
        session.add(activity)
        entry_rows.append(audit_row(user=user, entity="activity", entity_id=activity.id, action="approve",
                                    before=before, after=snapshot(activity), unit_id=activity.unit_id,
                                    note=f"{in_period}."[:1000]))
    record_many(session, entry_rows)
    record(session, user=user, entity="unit", entity_id=unit.id, action="approve_period", before={},
           after={"period_start": start.isoformat(), "period_end": end.isoformat(), "approved": len(activities),
                  "activity_ids": [str(a.id) for a in activities]},
           unit_id=unit.id, note=f"Duyệt {len(activities)} hoạt động của {unit.name} "
                                 f"từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}."[:1000])
    session.flush()
    return activities
