"""The yearly (or 6-monthly, ad hoc) report of a plan as one data structure.

The Word document and the print page are both drawn from `PlanReport`, and every sentence is
written here, so the two cannot differ. Progress, completeness and headline numbers come from
the progress queries; only the per-task breakdown by activity type is summed here.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.activities.types import TYPES
from app.agencies.models import Agency
from app.core.clock import VN_TZ, today, utcnow
from app.core.text import format_date, format_date_long, format_number
from app.plans.models import Plan, Task
from app.progress import figures
from app.progress import summary as activity_summary
from app.progress.boundaries import subtree
from app.progress.periods import parse as parse_period
from app.reports import progress
from app.units.models import Unit

QUANTITY_COLUMNS = ("sessions", "airings", "minutes", "copies", "copies_distributed", "items", "places", "teams",
                    "audience", "reach", "questions_raised", "questions_answered", "commended_collectives",
                    "commended_individuals")
BREAKDOWN = (
    ("participants_poor", "người thuộc hộ nghèo"), ("participants_near_poor", "người thuộc hộ cận nghèo"),
    ("participants_women", "nữ"), ("participants_ethnic", "người dân tộc thiểu số"),
)
FUNDING = (
    ("central", "Ngân sách trung ương"), ("local", "Ngân sách địa phương"), ("mobilised", "Huy động, xã hội hóa"),
)
# Sources a plan may name that no activity records its cost under; shown when the plan names them.
PLANNED_ONLY_FUNDING = (("integrated", "Lồng ghép các chương trình, dự án"), ("unallocated", "Chưa phân nguồn"))
SUMMED = QUANTITY_COLUMNS + ("participants",) + tuple(name for name, _ in BREAKDOWN) + (
    "cost_central_vnd", "cost_local_vnd", "cost_mobilised_vnd", "cost_vnd")


@dataclass
class TargetRow:
    task: str
    metric: str
    target: str
    result: str
    percent: str
    status: str


@dataclass
class TaskSection:
    heading: str
    lead: str | None
    lines: list[str]


@dataclass
class FundingRow:
    source: str
    planned: str
    used: str


@dataclass
class PlanReport:
    authority: str            # the superior body above the issuer (upper case, not bold), or ""
    issuer: str               # the reporting body (upper case, bold; may hold a line break)
    place_date: str
    title: str
    subtitle: str
    period: str
    basis: str
    summary: list[str]
    tasks: list[TaskSection]
    targets: list[TargetRow]
    funding: list[FundingRow]
    missing_units: list[str]
    notes: list[str]
    signer_for: str
    signer: str
    generated: str
    unit_id: int
    plan_id: int
    period_key: str
    filename: str
    reference: str = "Số:        /BC-"   # "Số: /BC-UBND": the number is written in by the văn thư
    addressee: str = ""                  # the "Kính gửi" line's body
    empty_sections: tuple[str, ...] = ("Đánh giá chung", "Khó khăn, vướng mắc", "Kiến nghị, đề xuất")
    recipients: list[str] = field(default_factory=lambda: ["Như trên;", "Lưu: VT."])


def _upper(text: str) -> str:
    return text.upper()


def _header(session: Session, user: User, unit: Unit) -> tuple[str, str, str, str, str]:
    """(superior body, issuer, abbreviation, signer_for, signer) per Nghị định 30/2020: a People's
    Committee issues in its own name (no superior line); an agency under its People's Committee."""
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    committee = "ỦY BAN NHÂN DÂN " + _upper(unit.name)
    if agency is not None and agency.kind != "people_committee":
        return committee, _upper(agency.name), abbreviation(agency.name), "THỦ TRƯỞNG CƠ QUAN", ""
    return "", "ỦY BAN NHÂN DÂN\n" + _upper(unit.name), "UBND", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"


PLACE_WORDS = (" tỉnh ", " thành phố ", " huyện ", " quận ", " thị xã ", " xã ", " phường ", " thị trấn ")


def abbreviation(name: str) -> str:
    """The issuing body's abbreviation of a document number ("Sở Nội vụ tỉnh X" -> "SNV")."""
    body = f" {name} "
    cut = min((body.lower().find(w) for w in PLACE_WORDS if body.lower().find(w) > 0), default=len(body))
    words = [w for w in body[:cut].replace("-", " ").replace(",", " ").split() if w.lower() not in ("và", "và")]
    return "".join(w[0].upper() for w in words if w[0].isalpha())


# The ministry in charge of poverty reduction, to which a province reports on its own plan.
MINISTRY_FROM_2025 = (date(2025, 3, 1), "Bộ Nông nghiệp và Môi trường", "Bộ Lao động - Thương binh và Xã hội")


def _addressee(session: Session, user: User, unit: Unit, plan: Plan, day: date) -> str:
    """Who the report goes to: the body that issued the plan, as it exists on the report's day; a
    People's Committee reporting on its own plan writes to the ministry in charge, an agency on
    its own plan to its People's Committee."""
    issuer = session.get(Agency, plan.agency_id) if plan.agency_id else None
    for _ in range(5):  # follow the 2025 mergers to today's body
        if issuer is None or issuer.is_valid_on(day) or not issuer.successor_id:
            break
        issuer = session.get(Agency, issuer.successor_id)
    plan_unit = session.get(Unit, plan.unit_id)
    own_plan = plan_unit is not None and unit.id in (plan_unit.id, plan_unit.current_province_id)
    if user.agency_id is not None and issuer is not None and issuer.id == user.agency_id:
        return "Ủy ban nhân dân " + _lower_first(unit.name)
    if user.agency_id is None and own_plan:
        since, current, before = MINISTRY_FROM_2025
        return current if day >= since else before
    if issuer is not None:
        return issuer.name
    return "Ủy ban nhân dân " + _lower_first(plan_unit.name if plan_unit else unit.name)


# Points under a numbered item, as Nghị định 30/2020 numbers them: a), b), c)… (Vietnamese letters).
POINT_LETTERS = "abcdđeghiklmnopqrstuvxy"


def _point(index: int) -> str:
    return f"{POINT_LETTERS[index]})" if index < len(POINT_LETTERS) else f"{index + 1})"


def _without_kind(title: str) -> str:
    """'Kế hoạch truyền thông …' -> 'truyền thông …', so that 'Kế hoạch' is not written twice."""
    return title[len("kế hoạch "):] if title.lower().startswith("kế hoạch ") else title


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def _listing(parts: list[str]) -> str:
    return ", ".join(p for p in parts if p)


def _summary(head: dict[str, int], used: dict[str, int]) -> list[str]:
    n = lambda key: head.get(key, 0)  # noqa: E731
    lines = [f"Tổng số hoạt động truyền thông đã được duyệt: {format_number(n('activities'))} hoạt động"
             + (f", thu hút {format_number(n('participants'))} lượt người tham gia (trong đó "
                f"{format_number(n('participants_poor'))} người thuộc hộ nghèo)" if n("participants") else "") + "."]
    media = _listing([
        f"phát hành {format_number(n('copies'))} bản tài liệu, tờ rơi" if n("copies") else "",
        f"phát sóng {format_number(n('airings'))} lần với {format_number(n('minutes'))} phút" if n("airings") else "",
        f"đăng tải {format_number(n('items'))} tin, bài, sản phẩm truyền thông" if n("items") else "",
    ])
    if media:
        lines.append(media[0].upper() + media[1:] + ".")
    lines.append(f"Tổng kinh phí đã sử dụng: {format_number(head.get('cost_vnd', sum(used.values())))} đồng.")
    return lines


def _quantity_words(code: str) -> list[tuple[str, str]]:
    """(column, word) of a type's counted fields, worded from the registry: 'Số bản in' -> 'bản in'."""
    words = []
    for f in TYPES[code].fields if code in TYPES else ():
        if f.name == "minutes_per_airing":
            words.append(("minutes", "phút phát sóng"))
        elif f.kind == "int" and f.name in QUANTITY_COLUMNS:
            label = f.label[3:] if f.label.startswith("Số ") else f.label
            words.append((f.name, label[:1].lower() + label[1:]))
    return words


def _quantity_sentence(code: str, row: dict[str, int]) -> str:
    label = TYPES[code].label if code in TYPES else code
    parts = [f"{format_number(row['activities'])} hoạt động"]
    parts += [f"{format_number(row[name])} {word}" for name, word in _quantity_words(code) if row.get(name)]
    text = f"{label}: " + ", ".join(parts)
    if row.get("participants"):
        text += f"; {format_number(row['participants'])} lượt người tham gia"
        breakdown = [f"{format_number(row[name])} {word}" for name, word in BREAKDOWN if row.get(name)]
        if breakdown:
            text += " (trong đó " + ", ".join(breakdown) + ")"
    if row.get("cost_vnd"):
        text += f"; kinh phí {format_number(row['cost_vnd'])} đồng"
    return text + "."


def type_totals_by_task(session: Session, user: User, plan: Plan, unit: Unit, start: date, end: date,
                        boundaries: str, statuses: tuple[str, ...]) -> dict[tuple[int, str], dict[str, int]]:
    """Approved activities of the plan's tasks in the unit and period, summed by task and type in SQL:
    from the summary's task rows, or from the activities for a period cutting a month."""
    units = select(Unit.id).where(subtree(unit, boundaries))
    if activity_summary.covers(start, end):
        s = activity_summary.SUMMARY
        low, high = activity_summary.month_range(start, end)
        query = (select(s.c.task_id, s.c.type, func.sum(s.c.activities).label("activities"),
                        *[func.coalesce(func.sum(s.c[c]), 0).label(c) for c in SUMMED])
                 .where(s.c.plan_id == plan.id, s.c.task_id != activity_summary.NO_TASK, s.c.status.in_(statuses),
                        s.c.unit_id.in_(units), s.c.month.between(low, high),
                        activity_summary.scope_condition(session, user))
                 .group_by(s.c.task_id, s.c.type))
    else:
        query = _type_totals_from_rows(session, user, plan, units, start, end, statuses)
    return {(r.task_id, r.type): {k: int(v) for k, v in r._mapping.items() if k not in ("task_id", "type")}
            for r in session.execute(query)}


# Read from the activity rows only when the summary cannot answer: a period that cuts a month (a
# plan's whole period starting on the 15th); the summary holds whole months.
def _type_totals_from_rows(session, user, plan, units, start, end, statuses):
    return (select(ActivityTask.task_id, Activity.type, func.count().label("activities"), *figures.sums(SUMMED))
            .join(Activity, Activity.id == ActivityTask.activity_id)
            .join(Task, Task.id == ActivityTask.task_id)
            .where(Task.plan_id == plan.id, Activity.status.in_(statuses), Activity.unit_id.in_(units),
                   and_(Activity.start_date >= start, Activity.start_date <= end),
                   access.activity_scope_condition(session, user))
            .group_by(ActivityTask.task_id, Activity.type))


def build_plan_report(session: Session, user: User, plan_id: int, unit_id: int | None = None,
                      period: str | None = None, boundaries: str = "current", at: date | None = None,
                      now: datetime | None = None) -> PlanReport:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise access.NotFound()
    unit = access.require_visible_unit(session, user, unit_id if unit_id is not None else
                                       (user.unit_id if user.unit_id is not None else plan.unit_id))
    if not progress.plan_visible(session, user, plan):
        raise access.NotFound()
    span = parse_period(period, today=at or today(), plan=plan)
    report_day = at or today()
    authority, issuer, short, signer_for, signer = _header(session, user, unit)
    tasks = list(session.execute(
        select(Task).where(Task.plan_id == plan.id).order_by(Task.position, Task.id)).scalars())
    totals = type_totals_by_task(session, user, plan, unit, span.start, span.end, boundaries, figures.APPROVED)
    agencies = {a.id: a.name for a in session.execute(select(Agency).where(
        Agency.id.in_([t.lead_agency_id for t in tasks if t.lead_agency_id]))).scalars()}
    sections = []
    for i, task in enumerate(tasks):
        lines = [_quantity_sentence(code, totals[(task.id, code)]) for code in TYPES if (task.id, code) in totals]
        sections.append(TaskSection(heading=f"{_point(i)} {task.title}", lead=agencies.get(task.lead_agency_id),
                                    lines=lines or ["Chưa có hoạt động được duyệt trong kỳ báo cáo."]))
    head = progress.headline_numbers(session, user, plan, unit, span, boundaries, at)
    used = {"central": head.get("cost_central_vnd", 0), "local": head.get("cost_local_vnd", 0),
            "mobilised": head.get("cost_mobilised_vnd", 0)}
    planned = {"central": plan.budget_central_vnd, "local": plan.budget_local_vnd,
               "mobilised": plan.budget_mobilised_vnd}
    named = any(planned.values()) or plan.budget_integrated_vnd or plan.budget_unallocated_vnd
    # A plan that names no amount ("bố trí hằng năm theo phân cấp") has no planned figure, not a zero.
    amount = (lambda v: format_number(v)) if named else (lambda v: "Không ghi số")  # noqa: E731
    funding = [FundingRow(label, amount(planned[key]), format_number(used[key])) for key, label in FUNDING]
    # Planned only: an activity's cost is recorded by the three sources above, so nothing is "used" here.
    planned_only = {"integrated": plan.budget_integrated_vnd, "unallocated": plan.budget_unallocated_vnd}
    funding += [FundingRow(label, amount(planned_only[key]), "—") for key, label in PLANNED_ONLY_FUNDING
                if planned_only[key]]
    funding.append(FundingRow("Tổng cộng", amount(sum(planned.values()) + sum(planned_only.values())),
                              format_number(sum(used.values()))))
    plan_ref = " ".join(p for p in ("Kế hoạch", f"số {plan.number}" if plan.number else "",
                                    f"ngày {format_date(plan.issued_on)}" if plan.issued_on else "",
                                    _without_kind(plan.title)) if p)
    summary = _summary(head, used)
    notes = [f"Số liệu tổng hợp từ các hoạt động đã được duyệt trên Loa từ ngày {format_date(span.start)} "
             f"đến ngày {format_date(span.end)}, theo địa giới "
             + ("hành chính hiện nay." if boundaries == "current" else
                f"hành chính tại ngày {format_date(at or report_day)}.")]
    notes += progress.boundary_notes(session, user, plan, unit, span, boundaries, at)
    return PlanReport(
        authority=authority, issuer=issuer, reference=f"Số:        /BC-{short}",
        addressee=_addressee(session, user, unit, plan, report_day),
        place_date=f"{unit.short_name}, {format_date_long(report_day)}",
        title="BÁO CÁO",
        subtitle=f"Kết quả thực hiện Kế hoạch {_without_kind(plan.title)}",
        period=span.label,
        basis=f"Thực hiện {plan_ref}, {unit.name} báo cáo kết quả thực hiện {_lower_first(span.label)} như sau:",
        summary=summary, tasks=sections,
        targets=[TargetRow(t.task, t.metric, format_number(t.target), format_number(t.result),
                           _percent(t.percent), t.status)
                 for t in progress.target_progress(session, user, plan, unit, span, boundaries, at)],
        funding=funding,
        missing_units=progress.missing_units(session, user, plan, unit, span, boundaries, at),
        notes=notes, signer_for=signer_for, signer=signer,
        generated=f"Lập từ Loa lúc {(now or utcnow()).astimezone(VN_TZ):%H:%M ngày %d/%m/%Y}.",
        unit_id=unit.id, plan_id=plan.id, period_key=span.key,
        filename=f"bao-cao-ke-hoach-{plan.id}-{span.key}.docx",
    )
