"""HTML: draft a plan from its text (.txt, .docx or pasted), correct the draft, save it as a plan.

The form keeps every value as typed (strings) so a refused save shows exactly what was sent.
"""
import base64
import copy
import logging
import re
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, BaseModel
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlmodel import Session

from app import access
from app.accounts.deps import DbSession, PageUser
from app.accounts.models import Role, User
from app.activities.types import TYPES
from app.agencies import queries as agency_queries
from app.agencies import services as agency_services
from app.agencies.models import Agency, AgencyCreate, AgencyKind
from app.core.db import UnitOfWork
from app.core.forms import Form, M, form_date, form_int, form_money, parse_form, parse_value
from app.core.templating import render
from app.core.text import clean_text, search_key
from app.plans import services as plan_services
from app.plans.models import (
    ASSIGN_LEVELS, MAX_AMOUNT, MAX_LEGAL_BASES, MAX_PARTNERS, MAX_TARGETS, MAX_TASKS, METRIC_LABELS,
    TARGET_PERIOD_LABELS, Assignment, LegalBasis, PlanCreate, TargetCreate, TaskCreate,
)
from app.plans.parser import GROUP, MAX_TEXT_BYTES, docx_to_text, parse_plan_text
from app.units.models import Level, Unit

router = APIRouter(include_in_schema=False, route_class=UnitOfWork)
log = logging.getLogger("loa.plans")

MAX_UPLOAD_BYTES = 5_000_000
MAX_KEPT_BYTES = 2_000_000  # the original travels with the review form, to be attached on save
FREQUENCIES = {"year": "Hằng năm", "half": "6 tháng", "quarter": "Hằng quý", "month": "Hằng tháng", "once": "Một lần"}


def require_importer(session: Session, user: User) -> None:
    if user.role == Role.admin:
        return
    if user.unit_id is None or not access.can_manage_plans_of(session, user, user.unit_id):
        raise access.Forbidden("Chỉ cán bộ thẩm định hoặc quản trị được nhập kế hoạch.")


@router.get("/plans/import")
def import_page(request: Request, session: DbSession, user: PageUser):
    require_importer(session, user)
    return _upload_page(request, {"text": ""}, {})


def _upload_page(request: Request, form: dict, errors: dict, status_code: int = 200):
    return render(request, "plans/import.html", {"form": form, "errors": errors, "max_kb": MAX_TEXT_BYTES // 1000},
                  status_code=status_code)


@router.post("/plans/import")
def read_document(request: Request, session: DbSession, user: PageUser, data: Form):
    require_importer(session, user)
    text = str(data.get("text") or "")
    upload = data.get("document")
    errors: dict[str, str] = {}
    name, content = "ke-hoach.txt", text.encode("utf-8")
    if upload is not None and getattr(upload, "filename", ""):
        name = Path(upload.filename).name
        content = upload.file.read(MAX_UPLOAD_BYTES + 1)
        text, error = _upload_text(name, content)
        text = clean_text(text)  # the file's text gets the same normalisation as typed text
        if error:
            errors["document"] = error
    if not errors:
        if not text.strip():
            errors["text"] = "Hãy chọn tệp .txt, .docx hoặc dán nội dung kế hoạch."
        elif len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            errors["text"] = f"Văn bản dài quá {MAX_TEXT_BYTES // 1000} KB."
    if errors:
        return _upload_page(request, {"text": str(data.get("text") or "")}, errors, status_code=422)
    draft = parse_plan_text(text)
    form = form_from_draft(session, user, draft, text)
    if len(content) <= MAX_KEPT_BYTES:
        form["document_name"], form["document_data"] = name, base64.b64encode(content).decode()
    else:
        form["warnings"].append("Tệp gốc lớn hơn 2 MB nên không tự đính kèm: hãy đính kèm ở trang kế hoạch sau khi lưu.")
    return _review_page(request, session, user, form, {}, warnings=form["warnings"])


def _upload_text(name: str, content: bytes) -> tuple[str, str | None]:
    if len(content) > MAX_UPLOAD_BYTES:
        return "", f"Tệp lớn quá {MAX_UPLOAD_BYTES // 1_000_000} MB."
    if name.lower().endswith(".docx"):
        try:
            return docx_to_text(content), None
        except Exception:  # python-docx raises several kinds of errors on a damaged file
            return "", "Không đọc được tệp .docx này."
    if name.lower().endswith(".txt"):
        encoding = "utf-16" if content.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        try:
            return content.decode(encoding), None
        except UnicodeError:
            return "", "Tệp .txt phải ở bảng mã UTF-8."
    return "", "Chỉ nhận tệp .txt hoặc .docx."


@router.post("/plans/import/save")
def save_draft(request: Request, session: DbSession, user: PageUser, posted: Form):
    require_importer(session, user)
    form, errors = form_from_post(posted)
    if errors:
        return _review_page(request, session, user, form, errors, status_code=422)
    if form["action"] == "add_basis":
        form["legal_bases"].append(empty_basis())
        return _review_page(request, session, user, form, {})
    if form["action"] == "refresh":
        rematch(session, form)
        return _review_page(request, session, user, form, {})
    errors = validate(session, user, form)
    if errors:
        return _review_page(request, session, user, form, errors, status_code=422)
    try:
        plan = save(session, user, form)
    except ImportInputError as exc:
        session.rollback()
        return _review_page(request, session, user, form, exc.errors, status_code=422)
    except DataError:
        session.rollback()
        errors = {"form": "Không lưu được: có giá trị vượt quá giới hạn lưu trữ (ví dụ số tiền quá lớn)."}
        return _review_page(request, session, user, form, errors, status_code=422)
    log.info("plan imported", extra={"plan_id": plan.id, "tasks": len(form.get("tasks", [])), "user_id": user.id})
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


def _review_page(request: Request, session: Session, user: User, form: dict, errors: dict, *,
                 warnings: list[str] | None = None, status_code: int = 200):
    unit = session.get(Unit, as_id(form.get("unit_id"))) if as_id(form.get("unit_id")) else None
    agencies = agency_queries.agencies_for_unit(session, unit) if unit else []
    units = _unit_choices(session, user, form)
    context = {
        "form": form, "errors": errors, "warnings": warnings or form.get("warnings") or [],
        "units": units, "unit_labels": {u.id: unit_label(session, u) for u in units}, "agencies": agencies,
        "types": TYPES, "frequencies": FREQUENCIES, "metrics": METRIC_LABELS, "target_periods": TARGET_PERIOD_LABELS,
        "budget_fields": BUDGET_FIELDS,
    }
    return render(request, "plans/import_review.html", context, status_code=status_code)


def _unit_choices(session: Session, user: User, form: dict) -> list[Unit]:
    """The units a plan can belong to: the user's own unit and the units named like the issuer's place."""
    ids: list[int] = []
    if user.unit_id:
        ids.append(user.unit_id)
    for value in [form.get("unit_id")] + form.get("unit_suggestions", []):
        if as_id(value) and as_id(value) not in ids:
            ids.append(as_id(value))
    if access.is_national_admin(user):
        provinces = session.execute(select(Unit.id).where(Unit.level == Level.province)
                                    .order_by(Unit.search_name)).scalars()
        ids.extend(i for i in provinces if i not in ids)
    units = [session.get(Unit, i) for i in ids]
    return [u for u in units if u is not None and access.can_manage_plans_of(session, user, u.id)]


def unit_label(session: Session, unit: Unit) -> str:
    """'Tỉnh Hải Dương (đến 30/06/2025, nay thuộc Thành phố Hải Phòng)': a legacy unit shown under today's."""
    if unit.valid_to is None:
        return unit.name
    label = f"{unit.name} (đến {unit.valid_to:%d/%m/%Y}"
    now_id = unit.current_commune_id or unit.current_province_id
    now = session.get(Unit, now_id) if now_id and now_id != unit.id else None
    return label + (f", nay thuộc {now.name})" if now else ")")


def _place_key(unit: Unit) -> str:
    """'Huyện Ý Yên' -> 'y yen': the name as a document writes it after 'huyện'."""
    return re.sub(r"^(tinh|thanh pho|huyen|thi xa|quan|xa|phuong|thi tran)\s+", "", unit.search_name or search_key(unit.name))


def suggest_units(session: Session, user: User, issuer: str | None, on: date | None, text: str = "") -> tuple[list[int], bool]:
    """Units whose name is the place in the issuer ("Ủy ban nhân dân xã Yên Phong" -> Xã Yên Phong), among
    those the user may plan for, best first; and whether the first is the only good choice. Many communes
    share a name: the one whose district and province the document names wins."""
    if not issuer:
        return [], False
    m = re.search(r"\b(tỉnh|thành phố|huyện|thị xã|quận|xã|phường|thị trấn)\s+(.+)$", issuer, re.IGNORECASE)
    if not m:
        return [], False
    key = search_key(f"{m.group(1)} {m.group(2)}")
    rows = session.execute(
        select(Unit).where(Unit.search_name == key, Unit.level.in_([Level.province, Level.district, Level.commune])).limit(50)
    ).scalars()
    units = [u for u in rows if access.can_manage_plans_of(session, user, u.id)]
    words = f" {search_key(text)} "

    def mentioned(unit: Unit) -> int:
        above = [session.get(Unit, i) for i in (unit.district_id, unit.province_id) if i and i != unit.id]
        return sum(f" {_place_key(a)} " in words for a in above if a is not None)

    ranked = sorted(units, key=lambda u: (not (on is None or u.is_valid_on(on)), -mentioned(u), u.level != Level.province))
    if len(ranked) < 2:
        return [u.id for u in ranked], bool(ranked)
    first, second = ranked[0], ranked[1]
    same = ((on is None or first.is_valid_on(on)) == (on is None or second.is_valid_on(on))
            and mentioned(first) == mentioned(second) and first.level == second.level)
    return [u.id for u in ranked], not same


# --- agencies the draft names --------------------------------------------------------------------

# Departments that no longer exist since 1/3/2025 and who took over their work, by function.
SUCCESSORS = [
    (r"^so (thong tin (va )?truyen thong|tt ?tt)\b",
     [(r"chuyen doi so|cong nghe thong tin|vien thong|buu chinh|an toan thong tin|nen tang so|du lieu|cntt",
       "Sở Khoa học và Công nghệ"), (None, "Sở Văn hóa, Thể thao và Du lịch")]),
    (r"^so (lao dong|ldtbxh|ld tb ?xh)\b",
     [(r"^(?!.*giam ngheo).*(viec lam|nguoi co cong|lao dong)", "Sở Nội vụ"), (None, "Sở Nông nghiệp và Môi trường")]),
    (r"^so (nong nghiep (va )?phat trien nong thon|nn ?ptnt)\b", [(None, "Sở Nông nghiệp và Môi trường")]),
]
DEFUNCT_FROM = date(2025, 3, 1)


def successor_name(name: str, description: str = "") -> str | None:
    key, work = search_key(name), search_key(description)
    for pattern, by_function in SUCCESSORS:
        if re.search(pattern, key):
            for function, successor in by_function:
                if function is None or re.search(function, work):
                    return successor
    return None


def suggest_agency(session: Session, name: str, unit_id: int | None, at: date | None,
                   description: str = "") -> tuple[str, str]:
    """(agency id or "", note) for an agency as the plan writes it: the matching agency of the plan's unit
    (or above) when it still exists, else its successor. Nothing is created here."""
    if not unit_id or not name:
        return "", ""
    today = date.today()
    agency = agency_queries.match_agency(session, name, unit_id, at)
    gone = agency is not None and agency.valid_to is not None and agency.valid_to < today
    if agency is not None and not gone:
        return str(agency.id), ""
    if agency is not None and agency.successor_id:
        successor = session.get(Agency, agency.successor_id)
        if successor is not None:
            return str(successor.id), f"{agency.name} không còn từ {agency.valid_to:%d/%m/%Y}: gợi ý cơ quan kế nhiệm {successor.name}."
    successor = successor_name(name, description)
    if successor:
        found = agency_queries.match_agency(session, successor, unit_id, today)
        if found is not None and found.is_valid_on(today):
            return str(found.id), (f"{name} không còn từ {DEFUNCT_FROM:%d/%m/%Y}; gợi ý cơ quan kế nhiệm theo chức năng: "
                                   f"{found.name}.")
        return "", f"{name} không còn từ {DEFUNCT_FROM:%d/%m/%Y}; cơ quan kế nhiệm theo chức năng là {successor}, chưa có trong Loa."
    if agency is not None:
        return str(agency.id), ""
    return "", "Chưa có cơ quan này trong Loa: để “Chưa chọn”, hoặc chọn “Tạo cơ quan mới” nếu cần."


# --- the draft as a form -----------------------------------------------------------------------

class ImportInputError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# The review form's ids and days, read as the other forms read theirs (app/core/forms.py).
FormId = form_int(grouped=False, below=2**31)
FormDay = form_date(day_first=False)


def as_id(value) -> int | None:
    """A row id typed in a form, or None (also for numbers too large for the database)."""
    return parse_value(FormId, value)


def parse_day(value) -> date | None:
    return parse_value(FormDay, value)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _money(value: int | None) -> str:
    return f"{value:,}".replace(",", ".") if value else ""


def empty_basis() -> dict:
    return {"number": "", "date": "", "issuer": "", "title": ""}


def first_deadline(day: int, month: int, start: date | None, end: date | None) -> date | None:
    """The first day/month deadline inside the plan's period (20/11 of 2023 for a 2023-2025 plan)."""
    year = start.year if start else date.today().year
    for y in (year, year + 1):
        try:
            candidate = date(y, month, day)
        except ValueError:
            return None
        if (start is None or candidate >= start) and (end is None or candidate <= end):
            return candidate
    return None


BUDGET_FIELDS = [("budget_central_vnd", "central", "Ngân sách trung ương"), ("budget_local_vnd", "local", "Ngân sách địa phương"),
                 ("budget_mobilised_vnd", "mobilised", "Huy động, xã hội hóa"),
                 ("budget_integrated_vnd", "integrated", "Lồng ghép, nguồn khác"),
                 ("budget_unallocated_vnd", "unallocated", "Chưa phân nguồn")]
KIND_NOTES = {
    "group": "Nhóm cơ quan hoặc mọi đơn vị một cấp: không tạo thành một cơ quan; giao theo địa bàn nếu cần.",
    "sub_unit": "Đơn vị thuộc cơ quan ban hành: nhiệm vụ giao cho cơ quan ban hành.",
    "official": "Công chức, người đứng đầu: nhiệm vụ giao cho cơ quan ban hành.",
    "content": "Hoạt động trong mục Nội dung/Nhiệm vụ, văn bản không ghi cơ quan: gợi ý cơ quan ban hành.",
}


def form_from_draft(session: Session, user: User, draft, text: str = "") -> dict:
    on = draft.issued_on or draft.period_start
    suggestions, sure = suggest_units(session, user, draft.issuer, on, text)
    warnings = list(draft.warnings)
    unit_id = suggestions[0] if suggestions and sure else None
    if draft.issuer and not suggestions:
        warnings.append(f"Không tìm thấy đơn vị của “{draft.issuer}” trong phạm vi bạn quản lý: hãy chọn đơn vị của kế hoạch.")
    elif len(suggestions) > 1 and not sure:
        warnings.append(f"Có nhiều đơn vị trùng tên với nơi ban hành “{draft.issuer}”: hãy chọn đúng đơn vị.")
    elif not draft.issuer:
        warnings.append("Văn bản không cho biết đơn vị ban hành: hãy chọn đơn vị của kế hoạch.")
    at = draft.period_start
    amounts = {s.source: s.amount_vnd for s in draft.budget_sources}
    deadline = draft.report_deadline
    deadline_day = first_deadline(deadline.day, deadline.month, draft.period_start, draft.period_end) if deadline else None
    issuer_id, issuer_note = suggest_agency(session, draft.issuer or "", unit_id, at)
    form = {
        "number": draft.number or "", "title": draft.title or "", "issuer": draft.issuer or "",
        "unit_id": str(unit_id or ""), "agency_id": issuer_id, "issuer_note": issuer_note,
        "issued_on": _iso(draft.issued_on), "period_start": _iso(draft.period_start), "period_end": _iso(draft.period_end),
        "budget_total": _money(draft.budget_vnd),
        "legal_bases": [{"number": b.number, "date": _iso(b.date), "issuer": b.issuer or "", "title": b.title or ""}
                        for b in draft.legal_bases] or [empty_basis()],
        "tasks": [], "unit_suggestions": [str(i) for i in suggestions], "forms": draft.forms,
        "warnings": warnings,
    }
    for name, source, _ in BUDGET_FIELDS:
        form[name] = _money(amounts.get(source))
    for task in draft.tasks:
        lead, *partners = task.agencies or [task.agency]
        if len(task.agencies) <= 1 or task.kind != "agency":
            lead, partners = task.agency, []
        form["tasks"].append({
            "include": "1", "agency": lead, "kind": task.kind, "new_agency": lead if task.kind == "agency" else "",
            "partners": [{"name": p, "agency_id": suggest_agency(session, p, unit_id, at, task.description)[0]}
                         for p in partners],
            # A group, a division or an official is not the saved lead: the title keeps who the plan names.
            "title": f"{task.agency}: {task.title}"[:500] if task.kind in ("group", "sub_unit", "official")
            and task.title != task.agency else task.title,
            "description": task.description,
            "report_deadline": _iso(deadline_day), "report_frequency": deadline.frequency if deadline else "year",
            "activity_types": list(task.activity_types), "assign_every": assignment_for(lead) if task.kind == "group" else "",
            "targets": [{"metric": t.metric, "quantity": str(t.quantity), "period": t.period,
                         "per_unit": "1" if t.per_unit or task.kind == "group" else "", "activity_type": t.activity_type or ""}
                        for t in task.targets],
        })
        _suggest_lead(session, form, form["tasks"][-1], unit_id, at)
    return form


def _suggest_lead(session: Session, form: dict, task: dict, unit_id: int | None, at: date | None) -> None:
    """The lead the reviewer sees first: never a new agency, never an agency for a group."""
    kind = task["kind"]
    if kind == "group":
        task["agency_id"], task["note"] = "", KIND_NOTES["group"]
    elif kind in ("sub_unit", "official", "content"):
        work = f"{task['agency']} {task['description']}"  # "Phòng Bưu chính, Viễn thông và CNTT" tells the function
        task["agency_id"], note = suggest_agency(session, form["issuer"], unit_id, at, work)
        task["note"] = f"{KIND_NOTES[kind]} {note}".strip()
    else:
        task["agency_id"], task["note"] = suggest_agency(session, task["new_agency"] or task["agency"], unit_id, at,
                                                         task["description"])


def rematch(session: Session, form: dict) -> None:
    """After the unit changed: agencies not chosen yet are looked up among the new unit's agencies."""
    unit_id = as_id(form["unit_id"])
    at = parse_day(form["period_start"])
    if form["agency_id"] == "" and form["issuer"]:
        form["agency_id"], form["issuer_note"] = suggest_agency(session, form["issuer"], unit_id, at)
    for task in form["tasks"]:
        if task["agency_id"] == "":
            _suggest_lead(session, form, task, unit_id, at)
        for partner in task["partners"]:
            if partner["agency_id"] == "":
                partner["agency_id"] = suggest_agency(session, partner["name"], unit_id, at, task["description"])[0]


PLAN_FIELDS = ("number", "title", "issuer", "issuer_note", "unit_id", "agency_id", "issued_on", "period_start",
               "period_end", *(name for name, _, _ in BUDGET_FIELDS), "budget_total", "action", "document_name",
               "document_data")
TASK_FIELDS = ("include", "agency", "kind", "note", "agency_id", "new_agency", "title", "description", "report_deadline",
               "report_frequency", "assign_every")
TARGET_FIELDS = ("metric", "quantity", "period", "per_unit", "activity_type")


# The review form's hidden counts of rows, read through a model: a garbled count is refused and its
# rows are not read. Every row is read (up to four times what a plan holds, to bound the work a
# forged count asks for), blank and unticked ones included, so that a draft above what a plan holds
# comes back whole and is refused with the bound named (`too_many_rows`) instead of silently cut.
ROWS_MESSAGE = "Biểu mẫu gửi lên bị hỏng (không đọc được số dòng): hãy đọc lại văn bản và kiểm tra bản nháp."


def row_count(limit: int):
    return Annotated[form_int(ROWS_MESSAGE, grouped=False), AfterValidator(lambda n: min(n or 0, 4 * limit))]


BasisRows, TaskRows = row_count(MAX_LEGAL_BASES), row_count(MAX_TASKS)
PartnerRows, TargetRows = row_count(MAX_PARTNERS), row_count(MAX_TARGETS)


class RowCounts(BaseModel):
    lb_count: BasisRows = 0
    task_count: TaskRows = 0


class TaskRowCounts(BaseModel):
    partner_count: PartnerRows = 0
    target_count: TargetRows = 0


def too_many_rows(form: dict) -> dict[str, str]:
    """The rows the plan could not hold: more legal bases, included tasks, or partners or targets of
    one task than its model takes."""
    if len(form["legal_bases"]) > MAX_LEGAL_BASES:
        return {"form": f"Kế hoạch có tối đa {MAX_LEGAL_BASES} căn cứ pháp lý."}
    included = [task for task in form["tasks"] if task["include"]]
    if len(included) > MAX_TASKS:
        return {"form": f"Kế hoạch có tối đa {MAX_TASKS} nhiệm vụ. Bỏ chọn những nhiệm vụ không nhập."}
    for task in included:
        if len([p for p in task["partners"] if p["name"] or p["agency_id"]]) > MAX_PARTNERS:
            return {"form": f"Mỗi nhiệm vụ có tối đa {MAX_PARTNERS} cơ quan phối hợp."}
        if len([t for t in task["targets"] if t["metric"]]) > MAX_TARGETS:
            return {"form": f"Mỗi nhiệm vụ có tối đa {MAX_TARGETS} chỉ tiêu."}
    return {}


def _counts(model: type[M], data, prefix: str = "") -> tuple[M, bool]:
    """The counts of `model` posted under `prefix`, a garbled one read as 0; and whether all could be read."""
    typed = {name: data.get(prefix + name) for name in model.model_fields}
    counts, errors = parse_form(model, typed)
    if counts is None:
        typed.update({name: None for name in errors})
        counts = model.model_validate(typed)
    return counts, not errors


def form_from_post(data) -> tuple[dict, dict[str, str]]:
    """The review form as posted (every value a string, as typed), and an error if a row count was garbled."""
    form: dict = {name: str(data.get(name) or "").strip() for name in PLAN_FIELDS}
    form["unit_suggestions"] = [str(v) for v in data.getlist("unit_suggestions")]
    form["forms"] = [str(v) for v in data.getlist("forms")]
    form["warnings"] = [str(v) for v in data.getlist("warnings")]
    counts, readable = _counts(RowCounts, data)
    form["legal_bases"] = []
    for i in range(counts.lb_count):
        basis = {k: str(data.get(f"lb-{i}-{k}") or "").strip() for k in ("number", "date", "issuer", "title")}
        if any(basis.values()):
            form["legal_bases"].append(basis)
    if not form["legal_bases"]:
        form["legal_bases"].append(empty_basis())
    form["tasks"] = []
    for i in range(counts.task_count):
        rows, rows_readable = _counts(TaskRowCounts, data, f"task-{i}-")
        readable = readable and rows_readable
        task = {k: str(data.get(f"task-{i}-{k}") or "").strip() for k in TASK_FIELDS}
        task["description"] = str(data.get(f"task-{i}-description") or "").strip()
        task["activity_types"] = [t for t in data.getlist(f"task-{i}-activity_types") if t in TYPES]
        task["partners"] = [
            {"name": str(data.get(f"task-{i}-partner-{j}-name") or "").strip(),
             "agency_id": str(data.get(f"task-{i}-partner-{j}-agency_id") or "").strip()}
            for j in range(rows.partner_count)
        ]
        task["targets"] = [
            {k: str(data.get(f"task-{i}-target-{j}-{k}") or "").strip() for k in TARGET_FIELDS}
            for j in range(rows.target_count)
        ]
        form["tasks"].append(task)
    return form, {} if readable else {"form": ROWS_MESSAGE}


# --- the review form's numbers, read as the plan form reads its own (app/core/forms.py) ---------------

Amount = form_money("Nhập số tiền bằng chữ số, ví dụ 3.500.000.000.", below=MAX_AMOUNT + 1,
                    too_big=f"Số tiền tối đa {MAX_AMOUNT:,} đồng.".replace(",", "."))
Quantity = form_int("Nhập số lượng bằng chữ số.", required="Nhập số lượng bằng chữ số.", below=MAX_AMOUNT + 1,
                    too_big=f"Số lượng tối đa {MAX_AMOUNT:,}.".replace(",", "."))


class TargetNumbers(BaseModel):
    quantity: Quantity


class TaskNumbers(BaseModel):
    # By row of the form (a row without a metric is None), so that an error lands beside its row.
    targets: list[TargetNumbers | None] = []


class ReviewNumbers(BaseModel):
    """The amounts of the plan's budget and the quantities of its targets (tasks left out are None)."""
    budget_central_vnd: Amount = None
    budget_local_vnd: Amount = None
    budget_mobilised_vnd: Amount = None
    budget_integrated_vnd: Amount = None
    budget_unallocated_vnd: Amount = None
    tasks: list[TaskNumbers | None] = []


def read_numbers(form: dict) -> tuple[ReviewNumbers | None, dict[str, str]]:
    """The typed numbers of the review form, or None and the messages by the form's field names."""
    typed: dict = {name: form[name] for name, _, _ in BUDGET_FIELDS}
    typed["tasks"] = [
        {"targets": [{"quantity": t["quantity"]} if t["metric"] else None for t in task["targets"]]}
        if task["include"] else None
        for task in form["tasks"]
    ]
    numbers, errors = parse_form(ReviewNumbers, typed)
    return numbers, {re.sub(r"^tasks\.(\d+)\.targets\.(\d+)\.", r"task-\1-target-\2-", path): message
                     for path, message in errors.items()}


def validate(session: Session, user: User, form: dict) -> dict[str, str]:
    errors: dict[str, str] = too_many_rows(form)
    if len(form["title"]) < 3:
        errors["title"] = "Nhập tên kế hoạch."
    unit_id = as_id(form["unit_id"])
    if unit_id is None or session.get(Unit, unit_id) is None:
        errors["unit_id"] = "Chọn đơn vị của kế hoạch."
    elif not access.can_manage_plans_of(session, user, unit_id):
        errors["unit_id"] = "Bạn không quản lý kế hoạch của đơn vị này."
    for name in ("issued_on", "period_start", "period_end"):
        if form[name] and parse_day(form[name]) is None:
            errors[name] = "Ngày không hợp lệ."
    for name in ("period_start", "period_end"):
        if not form[name]:
            errors[name] = "Nhập ngày bắt đầu và kết thúc."
    start, end = parse_day(form["period_start"]), parse_day(form["period_end"])
    if start and end and end < start:
        errors["period_end"] = "Ngày kết thúc phải sau ngày bắt đầu."
    errors.update(read_numbers(form)[1])
    if form["agency_id"] not in ("", "new") and as_id(form["agency_id"]) is None:
        errors["agency_id"] = "Chọn cơ quan ban hành."
    for i, basis in enumerate(form["legal_bases"]):
        if basis["date"] and parse_day(basis["date"]) is None:
            errors[f"lb-{i}-date"] = "Ngày không hợp lệ."
        if not basis["number"] and not basis["title"] and any(basis.values()):
            errors[f"lb-{i}-number"] = "Nhập số hiệu hoặc trích yếu văn bản."
    for i, task in enumerate(form["tasks"]):
        if not task["include"]:
            continue
        if len(task["title"]) < 3:
            errors[f"task-{i}-title"] = "Nhập tên nhiệm vụ."
        if task["agency_id"] == "new" and len(task["new_agency"]) < 2:
            errors[f"task-{i}-new_agency"] = "Nhập tên cơ quan mới."
        elif task["agency_id"] == "new" and is_group(task["new_agency"]):
            errors[f"task-{i}-new_agency"] = ("“" + task["new_agency"] + "” là một nhóm cơ quan, không phải một cơ quan: "
                                              "để “Chưa chọn” và giao theo địa bàn, hoặc chọn một cơ quan cụ thể.")
        elif task["agency_id"] not in ("", "new") and as_id(task["agency_id"]) is None:
            errors[f"task-{i}-agency_id"] = "Chọn cơ quan chủ trì."
        if task["report_deadline"] and parse_day(task["report_deadline"]) is None:
            errors[f"task-{i}-report_deadline"] = "Ngày không hợp lệ."
        if task["assign_every"] not in ("", *ASSIGN_LEVELS):
            errors[f"task-{i}-assign_every"] = "Chọn cách giao cho đơn vị."
        if task["report_frequency"] not in FREQUENCIES:
            errors[f"task-{i}-report_frequency"] = "Chọn kỳ báo cáo."
        for j, target in enumerate(task["targets"]):
            if not target["metric"]:
                continue
            if target["metric"] not in METRIC_LABELS:
                errors[f"task-{i}-target-{j}-metric"] = "Chọn chỉ số đo."
            if target["period"] not in TARGET_PERIOD_LABELS:
                errors[f"task-{i}-target-{j}-period"] = "Chọn kỳ của chỉ tiêu."
    if not errors:
        errors.update(_check_agencies(session, form))
    return errors


def _check_agencies(session: Session, form: dict) -> dict[str, str]:
    """A chosen agency must exist and belong to the plan's unit or a unit above it."""
    unit = session.get(Unit, int(form["unit_id"]))
    allowed = agency_queries.covering_unit_ids(unit)
    errors = {}
    chosen = [("agency_id", form["agency_id"])]
    for i, task in enumerate(form["tasks"]):
        if task["include"]:
            chosen.append((f"task-{i}-agency_id", task["agency_id"]))
            chosen += [(f"task-{i}-partner-{j}-agency_id", p["agency_id"]) for j, p in enumerate(task["partners"])]
    for field, value in chosen:
        if value not in ("", "new"):
            agency = session.get(Agency, as_id(value)) if as_id(value) else None
            if agency is None or agency.unit_id not in allowed:
                errors[field] = "Cơ quan này không thuộc đơn vị của kế hoạch."
    return errors


# --- saving ----------------------------------------------------------------------------------

AGENCY_KINDS = [
    (r"^(Ủy ban nhân dân|Uỷ ban nhân dân|UBND)", AgencyKind.people_committee),
    (r"^(Đài|Trung tâm Văn hóa - Thể thao và Truyền thanh)", AgencyKind.station),
    (r"^Báo\b", AgencyKind.newspaper),
    (r"Mặt trận|^Hội\b|^Hội |đoàn thể|^Đoàn\b|đoàn$|^Liên đoàn|^Liên minh|Cựu chiến binh", AgencyKind.mass_organisation),
    (r"^(Sở|Ban|Phòng|Văn phòng|Công an|Bộ Chỉ huy|Các sở)", AgencyKind.department),
]


def is_group(name: str) -> bool:
    """'UBND các huyện, thị xã', 'Các cơ quan báo chí của tỉnh': several agencies, never created as one."""
    return bool(GROUP.search(search_key(re.sub(r"^Đề nghị\s+", "", name))))


def agency_kind(name: str) -> AgencyKind:
    for pattern, kind in AGENCY_KINDS:
        if re.search(pattern, name, re.IGNORECASE):
            return kind
    return AgencyKind.other


def assignment_for(name: str) -> str:
    """'Ủy ban nhân dân các huyện, thị xã' is every district; '... các xã, phường' every commune."""
    key = search_key(name)
    if re.match(r"^(uy ban nhan dan|ubnd) cac (huyen|quan)", key):
        return "district"
    if re.match(r"^(uy ban nhan dan|ubnd) cac (xa|phuong)", key):
        return "commune"
    return ""


def _agency_id(session: Session, user: User, unit_id: int, choice: str, name: str, created: dict[str, int]) -> int | None:
    if as_id(choice):
        return as_id(choice)
    if choice != "new" or not name or is_group(name):
        return None
    key = search_key(name)
    if key not in created:
        existing = session.execute(select(Agency.id).where(Agency.unit_id == unit_id, Agency.search_name == key)).first()
        if existing:
            created[key] = existing[0]
        else:
            agency = agency_services.create_agency(
                session, AgencyCreate(name=name, kind=agency_kind(name), unit_id=unit_id), user=user)
            created[key] = agency.id
    return created[key]


def save(session: Session, user: User, form: dict):
    """Creates the agencies the reviewer asked for, then the plan with its tasks and its document,
    all in the request's one unit of work: a refused plan leaves no agency behind, and the form
    shown again is the one posted (a copy takes the new agencies' ids)."""
    numbers, errors = read_numbers(form)
    if numbers is None:
        raise ImportInputError(errors)
    form = copy.deepcopy(form)
    unit_id = int(form["unit_id"])
    created: dict[str, int] = {}
    issuer_id = _agency_id(session, user, unit_id, form["agency_id"], form["issuer"], created)
    form["agency_id"] = str(issuer_id or "")
    tasks, positions = [], []
    for i, task in enumerate(form["tasks"]):
        if not task["include"]:
            continue
        lead = _agency_id(session, user, unit_id, task["agency_id"], task["new_agency"], created)
        task["agency_id"] = str(lead or "")
        partners = []
        for partner in task["partners"]:
            pid = _agency_id(session, user, unit_id, partner["agency_id"], partner["name"], created)
            partner["agency_id"] = str(pid or "")
            if pid:
                partners.append(pid)
        every = task.get("assign_every") or ""
        targets, seen = [], set()
        for t, typed in zip(task["targets"], numbers.tasks[i].targets):
            key = (t["metric"], t["period"], t["activity_type"] or None)
            if t["metric"] in METRIC_LABELS and typed is not None and key not in seen:
                seen.add(key)
                targets.append(TargetCreate(metric=t["metric"], quantity=typed.quantity, period=t["period"],
                                            per_unit=bool(t["per_unit"]), activity_type=t["activity_type"] or None))
        tasks.append(TaskCreate(
            title=task["title"][:500], description=task["description"][:20000], lead_agency_id=lead,
            partner_agency_ids=partners, activity_types=task["activity_types"],
            report_deadline=parse_day(task["report_deadline"]), report_frequency=task["report_frequency"],
            assignment=Assignment(every=every, of_unit_id=unit_id) if every in ASSIGN_LEVELS else None,
            targets=targets,
        ))
        positions.append(i)
    data = PlanCreate(
        number=form["number"] or None, title=form["title"][:500], unit_id=unit_id, agency_id=issuer_id,
        issued_on=parse_day(form["issued_on"]), period_start=parse_day(form["period_start"]),
        period_end=parse_day(form["period_end"]),
        **{name: getattr(numbers, name) or 0 for name, _, _ in BUDGET_FIELDS},
        legal_bases=[LegalBasis(number=b["number"][:100], date=parse_day(b["date"]), issuer=b["issuer"][:300],
                                title=b["title"][:1000]) for b in form["legal_bases"] if b["number"] or b["title"]],
        tasks=tasks,
    )
    try:
        plan = plan_services.create_plan(session, data, user=user)
    except plan_services.PlanInputError as exc:
        raise ImportInputError({_form_path(path, positions): message for path, message in exc.errors.items()})
    _attach(session, user, plan, form)
    return plan


TASK_PATHS = {"lead_agency_id": "agency_id", "partner_agency_ids": "agency_id", "assignment": "assign_every"}


def _form_path(path: str, positions: list[int]) -> str:
    """'tasks.2.lead_agency_id' of the service is 'task-<row>-agency_id' of the form."""
    m = re.match(r"^tasks\.(\d+)\.([a-z_]+)", path)
    if not m:
        return path
    row = positions[int(m.group(1))] if int(m.group(1)) < len(positions) else 0
    return f"task-{row}-{TASK_PATHS.get(m.group(2), m.group(2))}"


def _attach(session: Session, user: User, plan, form: dict) -> None:
    """Keeps the text the draft was read from beside the plan."""
    name, data = form.get("document_name") or "", form.get("document_data") or ""
    if not data:
        return
    try:
        content = base64.b64decode(data, validate=True)
    except ValueError:
        return
    try:
        plan_services.attach_document(session, plan, name or "ke-hoach.txt", content, user=user)
    except plan_services.PlanInputError:
        pass  # refused before anything was written: the plan is saved without its document
