"""Which row an entry counts toward across the reorganisation of 1/7/2025.

Through today's boundaries (`current`, the default) an entry logged at a legacy unit counts toward
its default successor; `as_of` keeps it with the unit where it was logged. A legacy commune split
between several new communes counts toward its default successor, and the notes say so.
"""
from sqlalchemy import String, case, cast, func, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.core.db import in_ids
from app.core.errors import ApiError, field_error
from app.progress import figures, summary
from app.plans.models import Task
from app.progress.periods import Span
from app.units.models import CURRENT_START, Unit, UnitSuccessor

BOUNDARIES = ("current", "as_of")
LEGACY_SUFFIX = " (trước 1/7/2025)"


def check_boundaries(boundaries: str) -> str:
    if boundaries not in BOUNDARIES:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.boundaries", "invalid", "Địa giới là current (hiện nay) hoặc as_of (theo ngày).")])
    return boundaries


def subtree(root: Unit | None, boundaries: str):
    """Units counted under `root`: its scope, which for a current unit includes the legacy units
    that went into it. The boundaries decide only which row an entry counts toward (`assigned_key`,
    `activity_key`, `child_key`), never whether it is in view."""
    if root is None:
        return true()
    return access.unit_subtree_condition(root)


def assigned_key(boundaries: str):
    """The row an assigned unit falls in: villages in their commune, legacy units (through today's
    boundaries) in their default successor; districts have none and stay themselves."""
    if boundaries == "current":
        return case((Unit.level == "province", Unit.current_province_id), (Unit.level == "district", Unit.id),
                    else_=Unit.current_commune_id)
    return case((Unit.level.in_(("province", "district")), Unit.id), else_=Unit.commune_id)


def province_key(boundaries: str):
    """The province a unit counts toward in the national view: today's province (legacy units
    rolled into it) or, `as_of`, the province of the day."""
    return Unit.current_province_id if boundaries == "current" else Unit.province_id


# `level` is an enum type on PostgreSQL: compared as text so that both branches have one type.
ASSIGNED_LEVEL = case((cast(Unit.level, String) == "village", "commune"), else_=cast(Unit.level, String))


def activity_key(level: str, boundaries: str):
    """The row an activity's unit counts toward when tasks are assigned at `level`."""
    current = boundaries == "current"
    if level == "province":
        return Unit.current_province_id if current else Unit.province_id
    if level == "district":
        return Unit.district_id
    return Unit.current_commune_id if current else Unit.commune_id


def child_key(root: Unit | None, boundaries: str):
    """The child of `root` each unit of its subtree belongs to (None: the root's own entries)."""
    current = boundaries == "current"
    if root is None:
        return Unit.current_province_id if current else Unit.province_id
    if root.level == "province":
        if root.valid_to is not None and root.valid_to < CURRENT_START:
            return Unit.district_id
        return Unit.current_commune_id if current else Unit.commune_id
    if root.level == "district":
        return Unit.commune_id
    if root.level == "commune":
        return case((Unit.level == "village", Unit.id), else_=None)
    return case((Unit.id != root.id, Unit.id), else_=None)


def unit_labels(session: Session, ids) -> dict[int, tuple[str, str]]:
    """Name and level of each unit, legacy units marked as such."""
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(Unit.id, Unit.name, Unit.level, Unit.valid_to).where(in_ids(Unit.id, ids))).all()
    return {r.id: (r.name + (LEGACY_SUFFIX if r.valid_to is not None and r.valid_to < CURRENT_START else ""),
                   str(r.level)) for r in rows}


def boundary_notes(session: Session, user: User, tasks: list[int], boundaries: str, span: Span, root: Unit | None,
                   at, *, per_commune: bool = True) -> list[str]:
    """What the figures' boundaries mean, and (when the figures are per commune) each split legacy
    commune whose entries went to its default successor."""
    if boundaries == "as_of":
        day = f" ngày {at:%d/%m/%Y}" if at else ""
        return [f"Theo địa giới hành chính{day}: mỗi hoạt động được tính cho đơn vị nơi ghi nhận, "
                "không cộng sang đơn vị mới sau sắp xếp ngày 1/7/2025."]
    notes = ["Theo địa giới hiện nay: hoạt động ghi tại đơn vị cũ (trước 1/7/2025) được cộng cho đơn vị "
             "mới kế thừa."]
    if not per_commune:
        return notes
    communes = select(Unit.id).where(Unit.level == "commune", subtree(root, boundaries))
    split = list(session.execute(
        select(UnitSuccessor.predecessor_id).where(UnitSuccessor.predecessor_id.in_(communes))
        .group_by(UnitSuccessor.predecessor_id).having(func.count() > 1)).scalars())
    if not split:
        return notes
    if summary.covers(span.start, span.end):
        low, high = summary.month_range(span.start, span.end)
        s = summary.SUMMARY
        # From the few units of the split communes to their summary rows by the (unit, month)
        # index; which plans and tasks the rows belong to is checked on those few rows.
        units = dict(session.execute(select(Unit.id, Unit.commune_id).where(Unit.commune_id.in_(split))).all())
        pairs = set(session.execute(select(Task.plan_id, Task.id).where(Task.id.in_(tasks))).tuples())
        counted = (select(s.c.unit_id, s.c.plan_id, s.c.task_id)
                   .where(s.c.unit_id.in_(sorted(units)), s.c.month.between(low, high),
                          s.c.status.in_(figures.SUBMITTED_AND_APPROVED), summary.scope_condition(session, user))
                   .distinct())
        ids = sorted({units[r.unit_id] for r in session.execute(counted) if (r.plan_id, r.task_id) in pairs})[:20]
    else:  # a span that cuts a month: only the rows tell (the summary holds whole months)
        legacy = (select(Unit.commune_id).select_from(Activity)
                  .join(ActivityTask, ActivityTask.activity_id == Activity.id).join(Unit, Unit.id == Activity.unit_id)
                  .where(ActivityTask.task_id.in_(tasks), Activity.status.in_(figures.SUBMITTED_AND_APPROVED),
                         Unit.commune_id.in_(split), Activity.start_date >= span.start,
                         Activity.start_date <= span.end, access.activity_scope_condition(session, user))
                  .distinct().limit(20))
        ids = list(session.execute(legacy).scalars())
    if ids:
        successor = aliased(Unit)
        pairs = session.execute(select(Unit.name, successor.name).join(successor, successor.id == Unit.current_commune_id)
                                .where(Unit.id.in_(ids)).order_by(Unit.name)).all()
        for old, new in pairs:
            notes.append(f"{old} (cũ) được chia cho nhiều xã mới; hoạt động ghi tại đây được tính cho {new}, "
                         "xã kế thừa mặc định theo bảng chuyển đổi.")
    return notes
