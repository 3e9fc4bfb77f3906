"""HTML: draft a plan from its text (.txt, .docx or pasted), correct the draft, save it as a plan.

The form keeps every value as typed (strings) so a refused save shows exactly what was sent.
"""
import base64
import logging
import re
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlmodel import Session

from app.accounts import access
from app.accounts.deps import DbSession, PageUser
from app.accounts.models import Role, User
from app.activities.types import TYPES
from app.agencies import queries as agency_queries
from app.agencies import services as agency_services
from app.agencies.models import Agency, AgencyCreate, AgencyKind
from app.core.forms import Form
from app.core.templating import render
from app.core.text import search_key
from app.plans import services as plan_services
from app.plans.models import ASSIGN_LEVELS, Assignment, LegalBasis, PlanCreate, TaskCreate
from app.plans.parser import MAX_TEXT_BYTES, docx_to_text, parse_plan_text
from app.units.models import Level, Unit

router = APIRouter(include_in_schema=False)
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
    form = form_from_draft(session, user, draft)
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
    form = form_from_post(posted)
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
    context = {
        "form": form, "errors": errors, "warnings": warnings or form.get("warnings") or [],
        "units": _unit_choices(session, user, form), "agencies": agencies, "types": TYPES,
        "frequencies": FREQUENCIES,
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
    if user.role == Role.admin and user.unit_id is None:
        provinces = session.execute(select(Unit.id).where(Unit.level == Level.province)
                                    .order_by(Unit.search_name)).scalars()
        ids.extend(i for i in provinces if i not in ids)
    units = [session.get(Unit, i) for i in ids]
    return [u for u in units if u is not None and access.can_manage_plans_of(session, user, u.id)]


def suggest_units(session: Session, user: User, issuer: str | None, on: date | None) -> list[int]:
    """Units whose name is the place in the issuer ("Ủy ban nhân dân tỉnh Hải Dương" -> Tỉnh Hải Dương)."""
    if not issuer:
        return []
    m = re.search(r"\b(tỉnh|thành phố|huyện|thị xã|quận|xã|phường|thị trấn)\s+(.+)$", issuer, re.IGNORECASE)
    if not m:
        return []
    key = search_key(f"{m.group(1)} {m.group(2)}")
    rows = session.execute(
        select(Unit).where(Unit.search_name == key, Unit.level.in_([Level.province, Level.district, Level.commune])).limit(20)
    ).scalars()
    units = [u for u in rows if access.can_manage_plans_of(session, user, u.id)]
    units.sort(key=lambda u: (not (on is None or u.is_valid_on(on)), u.level != Level.province))
    return [u.id for u in units]


# --- the draft as a form -----------------------------------------------------------------------

class ImportInputError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def as_id(value) -> int | None:
    """A row id typed in a form, or None (also for numbers too large for the database)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) < 2**31 else None


def parse_day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


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


def form_from_draft(session: Session, user: User, draft) -> dict:
    suggestions = suggest_units(session, user, draft.issuer, draft.issued_on or draft.period_start)
    unit_id = suggestions[0] if suggestions else user.unit_id
    at = draft.period_start
    amounts = {s.source: s.amount_vnd for s in draft.budget_sources}
    deadline = draft.report_deadline
    deadline_day = first_deadline(deadline.day, deadline.month, draft.period_start, draft.period_end) if deadline else None
    issuer = agency_queries.match_agency(session, draft.issuer, unit_id, at) if draft.issuer and unit_id else None
    form = {
        "number": draft.number or "", "title": draft.title or "", "issuer": draft.issuer or "",
        "unit_id": str(unit_id or ""), "agency_id": str(issuer.id) if issuer else "",
        "issued_on": _iso(draft.issued_on), "period_start": _iso(draft.period_start), "period_end": _iso(draft.period_end),
        "budget_central_vnd": _money(amounts.get("central")), "budget_local_vnd": _money(amounts.get("local")),
        "budget_mobilised_vnd": _money(amounts.get("mobilised")), "budget_total": _money(draft.budget_vnd),
        "legal_bases": [{"number": b.number, "date": _iso(b.date), "issuer": b.issuer or "", "title": b.title or ""}
                        for b in draft.legal_bases] or [empty_basis()],
        "tasks": [], "unit_suggestions": [str(i) for i in suggestions], "forms": draft.forms,
        "warnings": draft.warnings,
    }
    for task in draft.tasks:
        lead, *partners = task.agencies or [task.agency]
        if len(task.agencies) <= 1:
            lead, partners = task.agency, []
        form["tasks"].append({
            "include": "1", "agency": lead, "agency_id": _choice(session, lead, unit_id, at), "new_agency": lead,
            "partners": [{"name": p, "agency_id": _choice(session, p, unit_id, at)} for p in partners],
            "title": task.title, "description": task.description,
            "report_deadline": _iso(deadline_day), "report_frequency": deadline.frequency if deadline else "year",
            "activity_types": list(task.activity_types), "assign_every": assignment_for(lead),
        })
    return form


def _choice(session: Session, name: str, unit_id: int | None, at: date | None) -> str:
    agency = agency_queries.match_agency(session, name, unit_id, at) if unit_id else None
    return str(agency.id) if agency else "new"


def rematch(session: Session, form: dict) -> None:
    """After the unit changed: agencies not chosen yet are looked up among the new unit's agencies."""
    unit_id = as_id(form["unit_id"])
    at = parse_day(form["period_start"])
    if form["agency_id"] in ("", "new") and form["issuer"]:
        form["agency_id"] = _choice(session, form["issuer"], unit_id, at).replace("new", form["agency_id"])
    for task in form["tasks"]:
        if task["agency_id"] in ("", "new"):
            task["agency_id"] = _choice(session, task["new_agency"] or task["agency"], unit_id, at)
        for partner in task["partners"]:
            if partner["agency_id"] in ("", "new"):
                partner["agency_id"] = _choice(session, partner["name"], unit_id, at)


PLAN_FIELDS = ("number", "title", "issuer", "unit_id", "agency_id", "issued_on", "period_start", "period_end",
               "budget_central_vnd", "budget_local_vnd", "budget_mobilised_vnd", "budget_total", "action",
               "document_name", "document_data")
TASK_FIELDS = ("include", "agency", "agency_id", "new_agency", "title", "description", "report_deadline",
               "report_frequency", "assign_every")


def form_from_post(data) -> dict:
    form: dict = {name: str(data.get(name) or "").strip() for name in PLAN_FIELDS}
    form["unit_suggestions"] = [str(v) for v in data.getlist("unit_suggestions")]
    form["forms"] = [str(v) for v in data.getlist("forms")]
    form["warnings"] = [str(v) for v in data.getlist("warnings")]
    form["legal_bases"] = []
    for i in range(_count(data, "lb_count", 200)):
        basis = {k: str(data.get(f"lb-{i}-{k}") or "").strip() for k in ("number", "date", "issuer", "title")}
        if any(basis.values()):
            form["legal_bases"].append(basis)
    if not form["legal_bases"]:
        form["legal_bases"].append(empty_basis())
    form["tasks"] = []
    for i in range(_count(data, "task_count", 500)):
        task = {k: str(data.get(f"task-{i}-{k}") or "").strip() for k in TASK_FIELDS}
        task["description"] = str(data.get(f"task-{i}-description") or "").strip()
        task["activity_types"] = [t for t in data.getlist(f"task-{i}-activity_types") if t in TYPES]
        task["partners"] = [
            {"name": str(data.get(f"task-{i}-partner-{j}-name") or "").strip(),
             "agency_id": str(data.get(f"task-{i}-partner-{j}-agency_id") or "").strip()}
            for j in range(_count(data, f"task-{i}-partner_count", 50))
        ]
        form["tasks"].append(task)
    return form


def _count(data, name: str, limit: int) -> int:
    value = str(data.get(name) or "0")
    return min(int(value), limit) if value.isdigit() else 0


def _amount(value: str) -> int | None:
    digits = re.sub(r"[.,\s]|đồng|đ", "", value or "")
    return int(digits) if digits.isdigit() else None


def validate(session: Session, user: User, form: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
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
    for name in ("budget_central_vnd", "budget_local_vnd", "budget_mobilised_vnd"):
        if form[name] and _amount(form[name]) is None:
            errors[name] = "Nhập số tiền bằng chữ số, ví dụ 3.500.000.000."
    if form["agency_id"] not in ("", "new") and as_id(form["agency_id"]) is None:
        errors["agency_id"] = "Chọn cơ quan ban hành."
    for i, basis in enumerate(form["legal_bases"]):
        if basis["date"] and parse_day(basis["date"]) is None:
            errors[f"lb-{i}-date"] = "Ngày không hợp lệ."
        if not basis["number"] and any(basis.values()):
            errors[f"lb-{i}-number"] = "Nhập số hiệu văn bản."
    for i, task in enumerate(form["tasks"]):
        if not task["include"]:
            continue
        if len(task["title"]) < 3:
            errors[f"task-{i}-title"] = "Nhập tên nhiệm vụ."
        if task["agency_id"] == "new" and len(task["new_agency"]) < 2:
            errors[f"task-{i}-new_agency"] = "Nhập tên cơ quan mới."
        elif task["agency_id"] not in ("", "new") and as_id(task["agency_id"]) is None:
            errors[f"task-{i}-agency_id"] = "Chọn cơ quan chủ trì."
        if task["report_deadline"] and parse_day(task["report_deadline"]) is None:
            errors[f"task-{i}-report_deadline"] = "Ngày không hợp lệ."
        if task["assign_every"] not in ("", *ASSIGN_LEVELS):
            errors[f"task-{i}-assign_every"] = "Chọn cách giao cho đơn vị."
        if task["report_frequency"] not in FREQUENCIES:
            errors[f"task-{i}-report_frequency"] = "Chọn kỳ báo cáo."
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
    if choice != "new" or not name:
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
    """Creates the agencies the reviewer asked for, then the plan with its tasks in one transaction.

    New agencies are written into the form, so a refused plan does not create them twice."""
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
        tasks.append(TaskCreate(
            title=task["title"][:500], description=task["description"][:20000], lead_agency_id=lead,
            partner_agency_ids=partners, activity_types=task["activity_types"],
            report_deadline=parse_day(task["report_deadline"]), report_frequency=task["report_frequency"],
            assignment=Assignment(every=every, of_unit_id=unit_id) if every in ASSIGN_LEVELS else None,
        ))
        positions.append(i)
    data = PlanCreate(
        number=form["number"] or None, title=form["title"][:500], unit_id=unit_id, agency_id=issuer_id,
        issued_on=parse_day(form["issued_on"]), period_start=parse_day(form["period_start"]),
        period_end=parse_day(form["period_end"]),
        budget_central_vnd=_amount(form["budget_central_vnd"]) or 0, budget_local_vnd=_amount(form["budget_local_vnd"]) or 0,
        budget_mobilised_vnd=_amount(form["budget_mobilised_vnd"]) or 0,
        legal_bases=[LegalBasis(number=b["number"][:100], date=parse_day(b["date"]), issuer=b["issuer"][:300],
                                title=b["title"][:1000]) for b in form["legal_bases"] if b["number"]],
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
        session.rollback()
