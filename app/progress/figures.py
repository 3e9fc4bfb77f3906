"""One definition of every figure Loa shows: which statuses it counts and how it is summed.

Two sets of statuses count, and every page and export says which one it uses:
- `APPROVED`: the official figures (the Word and print report, the Excel summary's figures, the
  plan page's progress): only what a reviewer approved.
- `SUBMITTED_AND_APPROVED`: the working figures (the dashboard by default, `/progress` by
  default, completeness's "submitted"): approved work and work sent for review, shown apart.
Drafts and returned entries never count toward a figure; they are only listed (exports) and
counted as "logged" by completeness.

The sums below are the only SQL that adds activity columns up; the dashboard, the reports and
the exports pass their own filter (`where`) and grouping.
"""
from sqlalchemy import case, func, select
from sqlmodel import Session

from app.activities.models import Activity
from app.progress.models import SUMMED_COLUMNS  # every summable column, in the order the reports name them

APPROVED = ("approved",)
SUBMITTED_AND_APPROVED = ("submitted", "approved")
STATUSES = ("draft", "returned", "submitted", "approved")

SCOPE_LABELS = {
    APPROVED: "chỉ tính hoạt động đã duyệt",
    SUBMITTED_AND_APPROVED: "tính hoạt động đã duyệt và đã gửi chờ duyệt",
}



def status_filter(statuses: tuple[str, ...]):
    return Activity.status.in_(statuses)


def sums(columns=SUMMED_COLUMNS, source=Activity) -> list:
    """`coalesce(sum(column), 0)` labelled by column name, for a select over `source`."""
    return [func.coalesce(func.sum(_column(source, name)), 0).label(name) for name in columns]


def status_counts(source=Activity) -> list:
    """The number of activities in each status, labelled `draft`, `returned`, `submitted`, `approved`."""
    status = _column(source, "status")
    return [func.coalesce(func.sum(case((status == s, 1), else_=0)), 0).label(s) for s in STATUSES]


def approved_sums(columns=SUMMED_COLUMNS, source=Activity) -> list:
    """Sums over the approved activities only, within a select that also holds other statuses."""
    status = _column(source, "status")
    return [func.coalesce(func.sum(case((status == "approved", _column(source, n)), else_=0)), 0).label(n)
            for n in columns]


def totals(session: Session, where, *group_by, columns=SUMMED_COLUMNS) -> list:
    """One row per group: `activities` (count) and the sums of `columns` over the activities
    matching `where` (which must already hold the status condition)."""
    query = select(*group_by, func.count().label("activities"), *sums(columns)).where(where)
    if group_by:
        query = query.group_by(*group_by)
    return list(session.execute(query).all())


def _column(source, name: str):
    return getattr(source, name) if source is Activity else source.c[name]
