"""Drafts a plan from its own text (a Kế hoạch as published, a web copy of it, or a news article).

The draft is never saved: a reviewer corrects it in the import form. Whatever could not be read
is named in `warnings` instead of being guessed.
"""
import difflib
import io
import re
import unicodedata
import datetime as dt
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, Field

from app.core.text import search_key

MAX_TEXT_BYTES = 500_000


class LegalBasis(BaseModel):
    number: str = ""  # empty for a basis cited without a number ("Thực hiện Chương trình công tác năm 2023")
    date: dt.date | None = None
    issuer: str | None = None
    title: str | None = None


class BudgetSource(BaseModel):
    source: str  # central, local, mobilised, integrated, unallocated
    label: str
    amount_vnd: int | None = None


class ReportDeadline(BaseModel):
    day: int
    month: int
    frequency: str = "year"  # year, half, quarter, month, once
    text: str


class TargetDraft(BaseModel):
    metric: str  # a Metric value: sessions, participants, copies, airings, minutes, items, activities
    quantity: int
    period: str = "plan"  # plan, year, quarter, month
    per_unit: bool = False
    activity_type: str | None = None
    text: str = ""


class TaskDraft(BaseModel):
    agency: str
    agencies: list[str] = Field(default_factory=list)
    # agency: a named agency; sub_unit: a division of the issuing department ("Phòng …", "Văn phòng Sở");
    # official: a commune official ("Công chức văn hóa - xã hội"); group: several agencies or every
    # unit of a level ("UBND các huyện", "các cơ quan báo chí"); content: an activity with no agency named.
    kind: str = "agency"
    title: str
    description: str
    activity_types: list[str] = Field(default_factory=list)
    targets: list[TargetDraft] = Field(default_factory=list)


class PlanDraft(BaseModel):
    number: str | None = None
    title: str | None = None
    issuer: str | None = None
    issued_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    legal_bases: list[LegalBasis] = Field(default_factory=list)
    budget_vnd: int | None = None
    budget_sources: list[BudgetSource] = Field(default_factory=list)
    forms: list[str] = Field(default_factory=list)
    activity_types: list[str] = Field(default_factory=list)
    report_deadline: ReportDeadline | None = None
    tasks: list[TaskDraft] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


# --- text clean-up ---------------------------------------------------------------------------

NOISE = re.compile(
    r"^(banner|menu|trang chủ|chia sẻ|share|facebook|twitter|zalo|in bài|in trang|gửi email|email|bình luận|"
    r"số lượt xem.*|lượt xem.*|\d+ người đã bình chọn.*|.*bài viết liên quan.*|tin liên quan.*|tin khác.*|"
    r"xem thêm.*|tải về.*|đăng nhập|tìm kiếm|trở về đầu trang|về đầu trang|copyright.*|©.*|bản quyền.*|"
    r"địa chỉ:.*|điện thoại:.*|phone:.*|fax:.*|chịu trách nhiệm.*|tổng số người truy cập.*|.*số người online.*|"
    r"tnc phát triển.*|chung nhan tin nhiem.*|line_weight.*|thứ (hai|ba|tư|năm|sáu|bảy|\d),? ngày .*|chủ nhật,? ngày .*)$",
    re.IGNORECASE,
)
PAGE_NUMBER = re.compile(r"^([-–—]\s*)?\d{1,3}(\s*[-–—])?$|^(trang|page)\s+\d+(\s*(/|of|trên)\s*\d+)?$", re.IGNORECASE)
MARKER = re.compile(r"^(?P<marker>(?:[IVXLC]+\.)|(?:\d{1,2}(?:\.\d{1,2})*\.?(?=\s))|(?:\d{1,2}\))|(?:[a-zđ]\))|[-–•+*])\s*",
                    re.IGNORECASE)
SENTENCE_END = (".", ";", ":", "!", "?", "./.", "”", '"', ")")


def docx_to_text(data: bytes) -> str:
    """Paragraphs and table cells of a .docx, in document order."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                seen: list[str] = []
                for cell in row.cells:
                    if cell.text.strip() and cell.text not in seen:
                        seen.append(cell.text)
                lines.extend(seen)
    return "\n".join(lines)


class Line:
    __slots__ = ("text", "heading", "bold")

    def __init__(self, text: str, heading: bool = False, bold: bool = False):
        self.text, self.heading, self.bold = text, heading, bold


def _strip_markdown(raw: str) -> Line:
    text = raw.strip()
    heading = False
    if text.startswith("#"):
        heading = True
        text = text.lstrip("#").strip()
    bold = False
    m = re.fullmatch(r"(\*{1,3}|_{2})(.+?)\1[:.]?", text)
    if m:
        bold = True
        text = m.group(2).strip() + (":" if text.endswith(":") and not m.group(2).endswith(":") else "")
    text = re.sub(r"\*{2,3}(.+?)\*{2,3}", r"\1", text)
    text = text.replace("\\", "").strip()
    return Line(text, heading, bold)


# A web page that set an agency's name in bold loses the space after it when copied:
# "Phòng Thông tin - Báo chí - Xuất bảnChủ trì, phối hợp…".
GLUED_DUTY = re.compile(r"(?<=[a-zà-ỹđ])(?=(?:Chủ trì|Phối hợp|Tham mưu|Có trách nhiệm|Chịu trách nhiệm|Thực hiện|"
                        r"Hướng dẫn|Tổ chức|Theo dõi|Xây dựng|Triển khai)\b)")


def clean_lines(text: str) -> list[Line]:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\t", " ")
    text = GLUED_DUTY.sub(": ", text)
    lines = [_strip_markdown(raw) for raw in text.split("\n")]
    lines = [ln for ln in lines if ln.text and not PAGE_NUMBER.match(ln.text) and not NOISE.match(ln.text)]
    lines = [ln for ln in lines if not re.fullmatch(r"[-_=*. ]{3,}", ln.text)]
    lines = _drop_repeated_headers(lines)
    return _join_broken(lines)


def _drop_repeated_headers(lines: list[Line]) -> list[Line]:
    """Page headers repeat a line of the first page verbatim; keep only the first occurrence."""
    counts: dict[str, int] = {}
    for ln in lines:
        counts[ln.text] = counts.get(ln.text, 0) + 1
    seen: set[str] = set()
    out = []
    for ln in lines:
        repeated = counts[ln.text] > 1 and len(ln.text) <= 120 and not MARKER.match(ln.text)
        if repeated and ln.text in seen:
            continue
        seen.add(ln.text)
        out.append(ln)
    return out


def _join_broken(lines: list[Line]) -> list[Line]:
    """A page break splits a sentence: the next line then starts in lower case."""
    out: list[Line] = []
    parts: list[list[str]] = []
    for ln in lines:
        if out and ln.text[0].islower() and not parts[-1][-1].endswith(SENTENCE_END) and not MARKER.match(ln.text):
            parts[-1].append(ln.text)
            continue
        out.append(ln)
        parts.append([ln.text])
    for ln, texts in zip(out, parts):
        ln.text = " ".join(texts)
    return out


# --- small readers ---------------------------------------------------------------------------

DATE_NUM = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
DATE_WORDS = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
DOC_NUMBER = r"(\d+[A-Za-z0-9]*(?:\s*/\s*\d{4})?\s*/\s*[A-ZĐa-zđ&]+(?:\s*-\s*[A-ZĐa-zđ&]+)*|\d+-[A-Z]+/[A-Z]+)"


def _date(d: str, m: str, y: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    m = re.search(DATE_NUM, text) or re.search(DATE_WORDS, text, re.IGNORECASE)
    return _date(*m.groups()) if m else None


def _tidy_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


MULTIPLIERS = {"tỷ": 1_000_000_000, "tỉ": 1_000_000_000, "triệu": 1_000_000, "nghìn": 1_000, "ngàn": 1_000}
MONEY = re.compile(
    r"(?P<num>\d{1,3}(?:[.,\s]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)\s*(?P<mult>tỷ|tỉ|triệu|nghìn|ngàn)?\s*"
    r"(?P<cur>đồng|đ\b|vnđ|vnd)",
    re.IGNORECASE,
)


def parse_money(text: str) -> int | None:
    """'3.500.000.000 đồng', '3,5 tỷ đồng', '3.500 triệu đồng', '3 500 000 000đ' -> 3500000000."""
    m = MONEY.search(text)
    return _money_value(m) if m else None


def _money_value(m: re.Match) -> int | None:
    num, mult = m.group("num").strip(), (m.group("mult") or "").lower()
    if re.fullmatch(r"\d{1,3}(?:[.\s]\d{3})+", num) or re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}", num):
        value = float(re.sub(r"[.,\s]", "", num))
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", num):
        value = float(num.replace(".", "").replace(",", "."))
    else:
        value = float(num.replace(",", "."))
    return int(round(value * MULTIPLIERS.get(mult, 1)))


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    return search_key(text)


@lru_cache(maxsize=65536)
def _is_heading(key: str, *targets: str) -> bool:
    key = re.sub(r"^(phan\s+)?([ivxlc]+|\d+|[a-z])\s+", "", key).strip()
    if not key or len(key) > 60:
        return False
    return any(key == t or key.startswith(t + " ") and len(key) <= len(t) + 25 or _near(key, t) for t in targets)


def _near(key: str, target: str) -> bool:
    """A heading with a typo or two ('TỔ CHỨC THỤC HIÊN')."""
    if abs(len(key) - len(target)) > 3 or key[:1] != target[:1]:
        return False
    matcher = difflib.SequenceMatcher(None, key, target)
    return matcher.quick_ratio() >= 0.88 and matcher.ratio() >= 0.88


ROMAN_HEADING = re.compile(r"^(?:Phần\s+)?[IVXLC]+\.\s*\S")


def _top_heading(text: str) -> bool:
    """'III. KINH PHÍ', 'Phần IV. …', or a capital letter numbering upper-case top sections ('D. TỔ CHỨC THỰC HIỆN')."""
    return bool(ROMAN_HEADING.match(text) or (re.match(r"^[A-ZĐ]\.\s+\S", text) and text.isupper()))


# --- the parser ------------------------------------------------------------------------------

def parse_plan_text(text: str) -> PlanDraft:
    lines = clean_lines(text)
    flat = "\n".join(ln.text for ln in lines)
    draft = PlanDraft()
    warn = draft.warnings.append
    if "[...]" in text or "[…]" in text:
        warn("Văn bản bị cắt bớt ([...]): một số mục có thể bị thiếu.")

    draft.number = _number(lines, flat, warn)
    suffix = _reference_suffix(lines)
    place, draft.issued_on, issued_year = _place_and_date(lines, flat, draft.number, warn)
    draft.issuer = _issuer(lines, flat, place, draft.number, suffix)
    if draft.issuer is None:
        warn("Không xác định được cơ quan ban hành.")
    draft.title = _title(lines, flat)
    if draft.title and draft.issuer and re.search(r"\s(tỉnh|huyện|xã)$", draft.title):
        place_name = re.sub(r"^.*?\s(tỉnh|huyện|xã|thành phố|thị xã)\s", "", draft.issuer)
        if place_name != draft.issuer:
            draft.title = f"{draft.title} {place_name}"
    if draft.title is None:
        warn("Không tìm thấy tên kế hoạch.")
    elif draft.issuer:
        place = re.search(r"\s(?:tỉnh|huyện|xã|thành phố|thị xã)\s+(.+)$", draft.issuer)
        if place:  # an upper-case title came out in lower case: "… tỉnh bình định" -> "… tỉnh Bình Định"
            draft.title = draft.title.replace(f" {place.group(1).lower()}", f" {place.group(1)}")
    annex = re.search(r"ban hành kèm theo Quyết định số\s+" + DOC_NUMBER, flat, re.IGNORECASE)
    if annex and draft.number and draft.number == _tidy_number(annex.group(1)):
        warn(f"Kế hoạch ban hành kèm theo Quyết định {draft.number}: số hiệu là số của Quyết định.")
    draft.period_start, draft.period_end = _period(flat, draft.title, issued_year, warn)
    draft.legal_bases = _legal_bases(lines)
    draft.budget_vnd, draft.budget_sources = _budget(lines, flat, warn)
    draft.forms = _forms(lines)
    draft.activity_types = activity_types_of(" ".join(draft.forms))
    if not draft.forms:
        warn("Không tìm thấy mục Hình thức.")
    draft.tasks, section = _tasks(lines, flat, warn)
    _classify(draft.tasks, draft.issuer)
    draft.tasks = _content_tasks(lines) + draft.tasks
    draft.report_deadline = _report_deadline(section or flat)
    return draft


NUMBER_LINE = re.compile(r"^(?:S[ốôoó]|Số hiệu|Ký hiệu)\s*(?:hiệu)?\s*[:.]?\s*(.*)$", re.IGNORECASE)


def _number(lines: list[Line], flat: str, warn) -> str | None:
    for ln in lines[:40]:
        m = NUMBER_LINE.match(ln.text)
        if not m:
            continue
        value = m.group(1).strip()
        found = re.match(DOC_NUMBER, value)
        if found:
            return _tidy_number(found.group(1))
        if value.startswith("/") or not value or re.match(r"^[.…_ ]*/", value):
            warn(f"Văn bản chưa có số (\"Số: {value}\"): số hiệu để trống.")
            return None
    m = re.search(r"ban hành Kế hoạch số\s+" + DOC_NUMBER, flat, re.IGNORECASE) or \
        re.match(r"^Kế hoạch(?: số)?\s+" + DOC_NUMBER, flat, re.IGNORECASE)
    if m:
        return _tidy_number(m.group(1))
    warn("Không tìm thấy số hiệu văn bản.")
    return None


def _reference_suffix(lines: list[Line]) -> str | None:
    """'KH-STTTT' of 'Số: /KH-STTTT' or 'Số: 15/KH-UBND': who issued the document, even without a number."""
    for ln in lines[:40]:
        m = NUMBER_LINE.match(ln.text)
        if m:
            found = re.search(r"/\s*([A-ZĐ]{1,4}\s*-\s*[A-ZĐ&]+(?:\s*-\s*[A-ZĐ&]+)*)\s*$", m.group(1))
            if found:
                return re.sub(r"\s+", "", found.group(1)).upper()
    return None


PLACE_DATE = re.compile(r"^(?!Thứ|Chủ nhật|Ngày)((?=[^\W\d_])[^\d,:]{1,40}),\s*ngày\s+(\d{1,2})?[\s./…_]*tháng\s+(\d{1,2})?[\s./…_]*năm\s+(\d{4})",
                        re.IGNORECASE)


def _place_and_date(lines: list[Line], flat: str, number: str | None, warn) -> tuple[str | None, date | None, int | None]:
    for ln in lines[:60]:
        m = PLACE_DATE.match(ln.text)
        if m:
            place, day, month, year = m.groups()
            if day is None or month is None:
                when = f"tháng {int(month)}/{year}" if month else f"năm {year}"
                warn(f"Ngày ban hành chưa ghi ngày ({when}): để trống.")
                return place.strip(), None, int(year)
            issued = _date(day, month, year)
            return place.strip(), issued, int(year)
    place = None
    for ln in lines[:60]:
        m = re.match(r"^Ngày ban hành\s*:?\s*" + DATE_NUM, ln.text, re.IGNORECASE)
        if m:
            issued = _date(*m.groups())
            return place, issued, issued.year if issued else None
    patterns = [r"[Nn]gày\s+(?:" + DATE_NUM + r"|" + DATE_WORDS + r")(?:(?!\bcủa\b)[^.]){0,80}?ban hành Kế hoạch"]
    if number:
        patterns.append(re.escape(number) + r"\s+ngày\s+(?:" + DATE_NUM + r"|" + DATE_WORDS + r")")
    for pattern in patterns:
        for m in re.finditer(pattern, flat, re.IGNORECASE):
            before = flat[max(0, m.start() - 30):m.start()]
            if re.search(r"số\s+\S+[,\s]*$", before, re.IGNORECASE) and pattern == patterns[0]:
                continue  # the date of a cited document ("Quyết định số 2150/QĐ-UBND ngày …")
            groups = [g for g in m.groups() if g]
            issued = _date(*groups[:3])
            return place, issued, issued.year if issued else None
    warn("Không tìm thấy ngày ban hành.")
    return place, None, None


LEVEL = r"(tỉnh|thành phố|huyện|thị xã|quận|xã|phường|thị trấn)"
PROPER = r"([A-ZĐ][\wÀ-ỹ]*(?:[ -][A-ZĐ][\wÀ-ỹ]*){0,3})"

# Agencies as they are written in full, to restore their case from an upper-case header
# ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG") and to name the issuer of a reference suffix ("KH-STTTT").
KNOWN_AGENCIES = [
    ("STTTT", "Sở Thông tin và Truyền thông"),
    ("SLĐTBXH", "Sở Lao động - Thương binh và Xã hội"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SNV", "Sở Nội vụ"),
    ("STC", "Sở Tài chính"),
    ("VHTT", "Phòng Văn hóa và Thông tin"),
    ("LĐTBXH", "Phòng Lao động - Thương binh và Xã hội"),
    ("VHXH", "Phòng Văn hóa - Xã hội"),
    ("BDT", "Ban Dân tộc"),
]
KNOWN_BY_KEY = {search_key(name).replace(" ", ""): name for _, name in KNOWN_AGENCIES}
KNOWN_BY_SUFFIX = {code: name for code, name in KNOWN_AGENCIES}


def _title_case(name: str) -> str:
    return " ".join(w.capitalize() for w in name.split()) if name.isupper() else name


def _agency_case(name: str) -> str:
    """'SỞ THÔNG TIN VÀ TRUYỀN THÔNG' -> 'Sở Thông tin và Truyền thông' (a known name, or sentence case)."""
    name = re.sub(r"\s+", " ", name).strip(" -,.")
    known = KNOWN_BY_KEY.get(search_key(name).replace(" ", ""))
    if known:
        return known
    return name[0] + name[1:].lower() if name.isupper() else name


def _place_words(text: str) -> str:
    """'TỈNH HÀ NAM' -> 'tỉnh Hà Nam'."""
    m = re.match(LEVEL + r"\s+(.+)$", text.strip(" -"), re.IGNORECASE)
    if not m:
        return _title_case(text.strip(" -"))
    return f"{m.group(1).lower()} {_title_case(m.group(2).strip(' -'))}"


def _issuer(lines: list[Line], flat: str, place: str | None, number: str | None, suffix: str | None = None) -> str | None:
    head = [ln.text for ln in lines[:25]]
    for i, text in enumerate(head):
        one_line = re.fullmatch(r"(?:ỦY|UỶ) BAN NHÂN DÂN\s+(" + LEVEL.upper() + r"\s+.+)", text)
        if one_line:
            return f"Ủy ban nhân dân {_place_words(one_line.group(1))}"
        if re.fullmatch(r"(ỦY|UỶ) BAN NHÂN DÂN|SỞ .+|BAN (?!HÀNH).+|PHÒNG .+|HỘI ĐỒNG NHÂN DÂN", text) and i + 1 < len(head):
            nxt = head[i + 1]
            m = re.match(LEVEL + r"\s+(.+)$", nxt, re.IGNORECASE)
            if text.upper() in ("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN") and m:
                return f"Ủy ban nhân dân {m.group(1).lower()} {_title_case(m.group(2).strip(' -'))}"
            if text.startswith(("SỞ", "BAN", "PHÒNG")):
                above = re.match(r"^(?:UBND|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN)\s+(.+)$", head[i - 1]) if i else None
                where = f" {_place_words(above.group(1))}" if above else ""
                return _agency_case(text) + where
    body = _issuer_from_body(flat, place)
    if body:
        return body
    if suffix:
        code = suffix.split("-", 1)[-1]
        if code in KNOWN_BY_SUFFIX and code != "UBND":
            name = KNOWN_BY_SUFFIX[code]
            level = "huyện" if name.startswith("Phòng") else "tỉnh"
            where = place or _most_named_place(flat, level)
            return f"{name} {level} {_title_case(where)}" if where else name
    kind, level = None, None
    m = re.search(r"(Ủy ban nhân dân|Uỷ ban nhân dân|UBND)\s+" + LEVEL + r"?\s*(?:đã\s+)?ban hành", flat)
    if m:
        kind, level = "Ủy ban nhân dân", (m.group(2) or "tỉnh")
    elif number and number.upper().endswith("UBND") or suffix == "KH-UBND":
        kind, level = "Ủy ban nhân dân", "tỉnh"
    if kind is None:
        return None
    if place is None:
        place = _most_named_place(flat, level)
    return f"{kind} {level} {_title_case(place)}" if place else f"{kind} {level}"


def _most_named_place(flat: str, level: str) -> str | None:
    counted: dict[str, int] = {}
    for m in re.finditer(r"\b" + level + r"\s+" + PROPER, flat, re.IGNORECASE):
        name = _title_case(m.group(1))
        if name[0].isupper():
            counted[name] = counted.get(name, 0) + 1
    return max(counted, key=counted.get) if counted else None


ISSUER_IN_BODY = re.compile(r"((?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Sở|Phòng|Ban)\s[^.;:\n]{2,90}?)[,\s]+(?:xây dựng|ban hành)\s+"
                            r"(?:kế hoạch|Kế hoạch)")


def _issuer_from_body(flat: str, place: str | None) -> str | None:
    """'Ủy ban nhân dân xã Yên Phong xây dựng Kế hoạch…', 'Sở Thông tin và Truyền thông xây dựng Kế hoạch…'."""
    for m in ISSUER_IN_BODY.finditer(flat):
        name = m.group(1)
        # the last agency word before the verb: "…năm 2022. Sở Thông tin…" keeps only "Sở Thông tin…"
        starts = [s.start() for s in re.finditer(r"(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Sở|Phòng|Ban)\s", name)]
        at = m.start(1) + starts[-1]
        if re.search(r"\bcủa\s*$", flat[max(0, at - 6):at]):
            continue  # the issuer of a cited document ("Quyết định số … của UBND tỉnh ban hành Kế hoạch …")
        name = name[starts[-1]:].strip(" ,")
        if re.search(r"\b(số|ngày)\b", name) or len(name) > 90:
            continue
        name = re.sub(r"^(UBND|Uỷ ban nhân dân)\b", "Ủy ban nhân dân", name)
        if re.fullmatch(r"Ủy ban nhân dân\s+" + LEVEL, name):
            where = place or _most_named_place(flat, name.split()[-1])
            return f"{name} {_title_case(where)}" if where else name
        if name.startswith("Sở") and not re.search(r"\b(tỉnh|thành phố)\s", name):
            where = place or _most_named_place(flat, "tỉnh")
            return f"{name} tỉnh {_title_case(where)}" if where else name
        return name
    return None


TITLE_STOP = re.compile(r"^(Căn cứ|Triển khai|Thực hiện|Phúc đáp|Nhằm|Để|Ủy ban|UBND|\(|CHỦ TỊCH|QUYẾT ĐỊNH|Nơi nhận)")


def _title(lines: list[Line], flat: str) -> str | None:
    for i, ln in enumerate(lines[:150]):
        if _key(ln.text) != "ke hoach":
            continue
        parts = []
        for nxt in lines[i + 1:i + 6]:
            if TITLE_STOP.match(nxt.text) or _top_heading(nxt.text):
                break
            if parts and not (nxt.text.isupper() and parts[-1].isupper()):
                break
            parts.append(nxt.text)
            if not nxt.text.isupper():
                break
        if parts:
            return _sentence(" ".join(parts), flat)
    for i, ln in enumerate(lines[:40]):
        if _key(ln.text) == "quyet dinh" and i + 1 < len(lines):
            parts = [lines[i + 1].text]
            for nxt in lines[i + 2:i + 5]:
                if TITLE_STOP.match(nxt.text) or not (nxt.text.isupper() and parts[-1].isupper()):
                    break
                parts.append(nxt.text)
            m = re.match(r"^(?:Về việc\s+)?Ban hành (Kế hoạch .+)$", " ".join(parts), re.IGNORECASE)
            if m:
                return _sentence(m.group(1), flat)
    for ln in lines[:12]:
        if re.match(r"^Kế hoạch\s+(?!số\b)\S", ln.text) and 20 <= len(ln.text) <= 250 and not ln.text.endswith(":"):
            return _sentence(ln.text, flat)
    m = re.search(r"ban hành Kế hoạch(?: số\s+\S+)?(?:\s+ngày\s+\S+)?\s+(?:về việc\s+|về\s+)?(.+?)\.(?:\s|$)", flat)
    if m:
        return "Kế hoạch " + m.group(1).strip()
    return None


def _sentence(title: str, flat: str) -> str:
    """An upper-case title takes its case from a mixed-case copy in the text when there is one."""
    title = re.sub(r"\s+", " ", title).strip(" .")
    if title.isupper():
        at = flat.lower().find(title.lower())
        copy = flat[at:at + len(title)] if at >= 0 else ""
        while at >= 0 and copy.isupper():
            at = flat.lower().find(title.lower(), at + 1)
            copy = flat[at:at + len(title)] if at >= 0 else ""
        title = copy if at >= 0 else title.lower().replace("chương trình mục tiêu quốc gia", "Chương trình mục tiêu quốc gia")
    if not _key(title).startswith("ke hoach"):
        title = "Kế hoạch " + title[0].lower() + title[1:]
    return title[0].upper() + title[1:]


def _period(flat: str, title: str | None, issued_year: int | None, warn) -> tuple[date | None, date | None]:
    at = re.search(r"thời gian thực hiện", flat, re.IGNORECASE)
    scopes = [flat[at.end():at.end() + 300]] if at else []
    scopes.append(flat)
    for scope in scopes:
        m = re.search(r"từ\s+(?:ngày\s+)?" + DATE_NUM + r"\s+(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s+)?" + DATE_NUM, scope, re.IGNORECASE)
        if m:
            g = m.groups()
            return _date(*g[:3]), _date(*g[3:])
        m = re.search(r"từ\s+tháng\s+(\d{1,2})\s*/\s*(\d{4})\s+(?:đến|tới)\s+(?:hết\s+)?tháng\s+(\d{1,2})\s*/\s*(\d{4})",
                      scope, re.IGNORECASE)
        if m and 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(3)) <= 12:
            end_month, end_year = int(m.group(3)), int(m.group(4))
            after = date(end_year + end_month // 12, end_month % 12 + 1, 1)
            return date(int(m.group(2)), int(m.group(1)), 1), after - dt.timedelta(days=1)
        m = re.search(r"từ\s+(?:năm\s+)?(\d{4})\s*(?:đến|tới|-|–)\s*(?:hết\s+)?(?:năm\s+)?(\d{4})", scope, re.IGNORECASE)
        if m:
            return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
    if at:
        m = re.match(r"\s*:?\s*(?:giai đoạn\s+|năm\s+)?(\d{4})\s*[-–]\s*(\d{4})", flat[at.end():], re.IGNORECASE)
        if m:
            return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
        m = re.match(r"\s*:?\s*(?:trong\s+)?năm\s+(\d{4})", flat[at.end():], re.IGNORECASE)
        if m:
            return date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31)
    m = re.search(r"giai đoạn\s+(\d{4})\s*[-–]\s*(\d{4})", title or "", re.IGNORECASE)
    if m:
        warn("Không thấy thời gian thực hiện: lấy giai đoạn trong tên kế hoạch.")
        return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
    # "… năm 2022" in the title: the plan's year, whatever year it was issued in (often the one before).
    m = re.search(r"\bnăm\s+(\d{4})\s*$", title or "", re.IGNORECASE) or re.search(r"\bnăm\s+(\d{4})\b", title or "")
    if m and (issued_year is None or int(m.group(1)) >= issued_year):
        warn(f"Không thấy thời gian thực hiện: lấy năm {m.group(1)} trong tên kế hoạch.")
        return date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31)
    warn("Không tìm thấy thời gian thực hiện.")
    return None, None


CITATION = re.compile(r"(Luật|Nghị quyết|Nghị định|Quyết định|Thông tư(?: liên tịch)?|Chỉ thị|Kế hoạch|Công văn|Hướng dẫn|Văn bản)"
                      r"\s+số\s*:?\s*(\S+)")
ISSUER_END = re.compile(r"\s+(phê duyệt|về|hướng dẫn|ban hành|quy định|triển khai|thực hiện|sửa đổi|tăng cường)\s+")
BASIS_START = re.compile(r"^(Căn cứ|Triển khai|Thực hiện|Theo|Phúc đáp)\b")
# A basis cited without a number: "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015",
# "Thực hiện Chương trình công tác năm 2023 của UBND xã".
UNNUMBERED = re.compile(r"^(?:Căn cứ|Thực hiện|Triển khai)\s+((?:Luật|Bộ luật|Chương trình công tác|Chương trình hành động|"
                        r"Nghị quyết|Chỉ thị|Kết luận|Kế hoạch|Hướng dẫn)\b.+)$")
SENTENCE_SPLIT = re.compile(r";|\.\s+(?=[A-ZĐÀ-Ỹ])|\.$")


def _legal_bases(lines: list[Line]) -> list[LegalBasis]:
    preamble = []
    def opens_body(ln: Line) -> bool:
        return _top_heading(ln.text) or re.sub(r"^(\d+|[ivxlc]+|[a-z])\s+", "", _key(ln.text)).startswith("muc dich")

    has_sections = any(opens_body(ln) for ln in lines)
    open_basis = False
    for ln in lines:
        if opens_body(ln):
            break
        if BASIS_START.match(ln.text) and (has_sections or ln.text.startswith("Căn cứ")):
            preamble.append(ln.text)
            open_basis = not ln.text.endswith((";", ".", ":"))
        elif open_basis and not ln.text.isupper():
            # a citation wrapped by a narrow column: "Căn cứ Quyết định số" / "90/QĐ-TTg ngày …"
            preamble[-1] += " " + ln.text
            open_basis = not ln.text.endswith((";", ".", ":"))
        else:
            open_basis = False
    out: dict[str, LegalBasis] = {}
    for text in preamble:
        starts = list(CITATION.finditer(text))
        for n, m in enumerate(starts):
            end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
            segment = text[m.start():end]
            segment = re.split(r"(?<!của),?\s+(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Sở|Phòng)\s+[^,.;]{0,60}?(?:ban hành|xây dựng)\s+Kế hoạch"
                               r"|;|\.\s+(?=[A-ZĐÀ-Ỹ])|\(sau đây|,\s*xét đề nghị|,\s*cụ thể", segment)[0]
            basis = _citation(m.group(1), m.group(2), segment)
            out.setdefault(basis.number, basis)
        for clause in SENTENCE_SPLIT.split(text):
            clause = clause.strip(" ,")
            if CITATION.search(clause):
                continue
            m = UNNUMBERED.match(clause)
            if m and not re.search(r"\b(xây dựng|ban hành) Kế hoạch", clause):
                basis = _unnumbered(m.group(1))
                out.setdefault(basis.title or "", basis)
    return list(out.values())


def _unnumbered(text: str) -> LegalBasis:
    when = re.search(r"\s+ngày\s+(" + DATE_NUM + "|" + DATE_WORDS + ")", text, re.IGNORECASE)
    issued = parse_date(when.group(1)) if when else None
    if when:
        text = text[:when.start()] + text[when.end():]
    issuer = None
    m = re.search(r"\s+của\s+(.+)$", text)
    if m:
        issuer, text = _issuer_part(m.group(1))[0], text[:m.start()]
    return LegalBasis(number="", date=issued, issuer=issuer, title=re.sub(r"\s+", " ", text).strip(" ,;."))


def _issuer_part(body: str) -> tuple[str, str | None]:
    """'UBND tỉnh Hải Dương truyền thông về …' -> ('UBND tỉnh Hải Dương', 'truyền thông về …'): the issuer
    ends before a verb of the title, or at the first lower-case word after its place name."""
    cut = ISSUER_END.search(body)
    issuer, title = (body[:cut.start()], body[cut.start():]) if cut else (body, None)
    words = issuer.split()
    for i, word in enumerate(words[:-1]):
        if re.fullmatch(LEVEL, word) or (word == "phố" and i and words[i - 1] == "thành") or \
                (word == "xã" and i and words[i - 1] == "thị"):
            if words[i + 1][:1].islower() and not (word == "thành" and words[i + 1] == "phố") and \
                    not (word == "thị" and words[i + 1] == "xã"):
                # "UBND tỉnh truyền thông về …": the level alone names the issuer's own province
                return " ".join(words[:i + 1]), " ".join(words[i + 1:]) + (title or "")
            j = i + 1
            while j < len(words) and (words[j][:1].isupper() or words[j] in ("-", "–")):
                j += 1
            if j > i + 1 and j < len(words):
                rest = " ".join(words[j:])
                return " ".join(words[:j]), (rest + (title or "")) if rest else title
    return issuer, title


def _citation(kind: str, number: str, segment: str) -> LegalBasis:
    number = number.rstrip(",;.")
    rest = segment.split(number, 1)[1]
    when = re.match(r"[\s,]*ngày\s+(" + DATE_NUM + "|" + DATE_WORDS + ")", rest, re.IGNORECASE)
    issued = parse_date(when.group(1)) if when else None
    rest = rest[when.end():] if when else rest
    issuer, title = None, None
    m = re.match(r"[\s,]*của\s+(.+)$", rest, re.DOTALL)
    if m:
        issuer, title = _issuer_part(m.group(1))
    elif rest.strip():
        title = rest
    clean = lambda s: re.sub(r"\s+", " ", s).strip(" ,;.") if s else None  # noqa: E731
    title = clean(title)
    title = re.sub(r"\s+và$", "", title) if title else title
    if title and title.startswith("về việc "):
        title = title[8:]
    elif title and title.startswith("về "):
        title = title[3:]
    return LegalBasis(number=f"{number}", date=issued, issuer=clean(issuer), title=title or kind)


SOURCES = [
    ("central", "Ngân sách trung ương", r"ngân sách trung ương|\bNSTW\b"),
    ("local", "Ngân sách địa phương", r"ngân sách địa phương|ngân sách tỉnh|ngân sách huyện|ngân sách xã|\bNSĐP\b"),
    ("mobilised", "Nguồn huy động, xã hội hóa", r"xã hội hóa|xã hội hoá|huy động|tài trợ"),
    # Only a line that is about it: "lồng ghép" also appears in passing in a sentence about the budget.
    ("integrated", "Lồng ghép các chương trình, nguồn khác", r"^[-+•*\s\d.)a-z]{0,4}(?:nguồn\s+|kinh phí\s+)?lồng ghép"),
]
UNALLOCATED = ("unallocated", "Chưa phân nguồn")


def _section(lines: list[Line], *targets: str) -> list[Line]:
    """Lines under the first heading matching one of `targets`, up to the next heading of its level."""
    for i, ln in enumerate(lines):
        if len(ln.text) <= 80 and _is_heading(_key(ln.text), *targets):
            level = _level(ln.text)
            out = []
            for nxt in lines[i + 1:]:
                if _ends_section(nxt, level):
                    break
                out.append(nxt)
            return out
    return []


def _level(text: str) -> int:
    if _top_heading(text):
        return 1
    if re.match(r"^\d{1,2}\.\s", text):
        return 2
    return 3


def _ends_section(ln: Line, level: int) -> bool:
    if re.match(r"^(Nơi nhận|TM\.|KT\.|T/M|Người ký)", ln.text, re.IGNORECASE):
        return True
    if len(ln.text) > 90:
        return False
    if _top_heading(ln.text):
        return True
    return level >= 2 and re.match(r"^\d{1,2}\.\s", ln.text) is not None and (ln.heading or ln.bold or len(ln.text) < 40) \
        and not _looks_like_agency(MARKER.sub("", ln.text))


def _budget(lines: list[Line], flat: str, warn) -> tuple[int | None, list[BudgetSource]]:
    """The total and each funding source's amount; what the total holds beyond the named sources is
    'chưa phân nguồn', so that a total written without its sources is never lost."""
    section = _section(lines, "kinh phi thuc hien", "kinh phi", "nguon kinh phi", "du toan kinh phi")
    texts = [ln.text for ln in section] or [s for s in re.split(r"(?<=[.;])\s+|\n", flat) if "kinh phí" in s.lower()]
    total, sources = None, {code: BudgetSource(source=code, label=label) for code, label, _ in SOURCES}
    named = set()
    for text in texts:
        which = [code for code, _, pattern in SOURCES if re.search(pattern, text, re.IGNORECASE)]
        named.update(which)
        amounts = list(MONEY.finditer(text))
        if not amounts:
            continue
        value = _money_value(amounts[0])
        if re.search(r"tổng|toàn bộ|dự kiến", text, re.IGNORECASE) or not which:
            total = total if total is not None else value
            if len(which) == 1 and len(amounts) == 1 and not re.search(r"\btừ\s+(nguồn\s+)?ngân sách", text):
                continue
        if len(which) == 1 and sources[which[0]].amount_vnd is None:
            sources[which[0]].amount_vnd = value if len(amounts) == 1 or total != value else _money_value(amounts[-1])
        elif len(which) > 1:
            for code, m in _amounts_by_source(text):
                sources[code].amount_vnd = sources[code].amount_vnd or m
    listed = [s for s in sources.values() if s.source in named or s.amount_vnd is not None]
    given = sum(s.amount_vnd or 0 for s in listed)
    if total is None and given:
        total = given
    if total is not None and total > given:
        code, label = UNALLOCATED
        listed.append(BudgetSource(source=code, label=label, amount_vnd=total - given))
        warn(f"Kinh phí {total - given:,} đồng chưa ghi nguồn: để ở mục “Chưa phân nguồn”.".replace(",", "."))
    if total is None:
        warn("Không thấy tổng kinh phí bằng số.")
    return total, listed


def _amounts_by_source(text: str):
    """'NSTW 2 tỷ đồng, NSĐP 1,5 tỷ đồng' -> each amount goes to the source named just before it."""
    last_end = 0
    for m in MONEY.finditer(text):
        before = text[last_end:m.start()]
        for code, _, pattern in SOURCES:
            if re.search(pattern, before, re.IGNORECASE):
                yield code, _money_value(m)
                break
        last_end = m.end()


def _forms(lines: list[Line]) -> list[str]:
    section = _section(lines, "hinh thuc", "hinh thuc truyen thong", "hinh thuc tuyen truyen")
    items = [MARKER.sub("", ln.text).strip() for ln in section]
    if items:
        return [i for i in items if i]
    out = []
    for i, ln in enumerate(lines):
        m = re.match(r"^Hình thức(?: truyền thông| tuyên truyền)?\s*:\s*(.+)$", ln.text, re.IGNORECASE)
        if not m:
            continue
        out.append(m.group(1).strip())
        for nxt in lines[i + 1:]:
            if (len(nxt.text) < 40 or ":" in nxt.text[:30] or re.search(r"\bgiao\b", nxt.text)
                    or re.match(r"^(UBND|Ủy ban|Uỷ ban|Kinh phí|Nội dung|Giải pháp|Tổ chức thực hiện)", nxt.text)):
                break
            out.append(MARKER.sub("", nxt.text).strip())
        break
    return out


TYPE_WORDS = [
    ("training", r"tập huấn|bồi dưỡng"), ("leaflet", r"tờ rơi|tờ gấp|in ấn|sổ tay|tài liệu|cẩm nang"),
    ("broadcast", r"phát thanh|truyền hình|truyền thanh|\bloa\b"), ("dialogue", r"đối thoại"),
    ("conference", r"hội nghị|hội thảo"), ("contest", r"hội thi|cuộc thi|văn nghệ|sân khấu hóa|sân khấu hoá"),
    ("press", r"phóng sự|tin, bài|báo chí|tin bài"), ("visual", r"băng rôn|khẩu hiệu|pano|áp phích|cổ động trực quan"),
    ("mobile_info", r"thông tin lưu động"), ("talk", r"nói chuyện chuyên đề|sinh hoạt cộng đồng"),
    ("online", r"mạng xã hội|trang thông tin điện tử|cổng thông tin"), ("emulation", r"thi đua|khen thưởng|biểu dương"),
    ("product", r"sản phẩm truyền thông|ấn phẩm|tác phẩm"),
]


def activity_types_of(text: str) -> list[str]:
    return [code for code, pattern in TYPE_WORDS if re.search(pattern, text, re.IGNORECASE)]


# --- tasks -----------------------------------------------------------------------------------

AGENCY_START = re.compile(
    r"^(Đề nghị\s+)?(các\s+)?(Sở|Ủy ban|Uỷ ban|UBND|Đài|Báo|Ban|Hội|Đoàn|Tỉnh đoàn|Thành đoàn|Huyện đoàn|Mặt trận|MTTQ|"
    r"Liên đoàn|Liên minh|Công an|Bộ Chỉ huy|Bộ đội|Văn phòng|Trung tâm|Phòng|Cục|Chi cục|Cổng|Bảo hiểm|Ngân hàng|Kho bạc|"
    r"Trường|Cơ quan|Bộ|Tổng cục|Viện|Thanh tra|Hạt|Kiểm lâm|Đơn vị|Đồn|Công đoàn|Cựu chiến binh|Chủ tịch|Thủ trưởng|"
    r"Phó Chủ tịch|Công chức|Cán bộ\s+(?:phụ trách|chuyên trách|văn hóa|lao động)|"
    r"Trưởng\s+(?:các\s+)?(?:thôn|xóm|bản|ấp|khu dân cư|tổ dân phố|ban công tác))\b",
    re.IGNORECASE,
)
AGENCY_VERB = re.compile(r"[,\s]+(chủ trì|phối hợp|có trách nhiệm|tham mưu|hướng dẫn|chỉ đạo|tổ chức|căn cứ|thực hiện|"
                         r"xây dựng|tăng cường|đẩy mạnh|triển khai|bố trí|theo dõi)\b")
HEAD_DUTY = re.compile(r"[,\s]+(có trách nhiệm|chịu trách nhiệm|chủ trì|thực hiện các nhiệm vụ|thực hiện nhiệm vụ)\b")
CLOSING = re.compile(r"^(Ủy ban nhân dân|Uỷ ban nhân dân|UBND)\s+(tỉnh|huyện|xã|thành phố|thị xã)\s+(yêu cầu|đề nghị)|"
                     r"^(Trên đây|Trong quá trình|Yêu cầu các|Đề nghị các cơ quan, đơn vị)", re.IGNORECASE)
TASK_HEADINGS = ("to chuc thuc hien", "trach nhiem thuc hien", "phan cong nhiem vu", "phan cong thuc hien", "nhiem vu",
                 "nhiem vu cu the", "nhiem vu cua cac co quan don vi")


def _looks_like_agency(text: str) -> bool:
    return bool(AGENCY_START.match(text.strip()))


def _marker_kind(text: str) -> str | None:
    m = MARKER.match(text)
    if not m:
        return None
    marker = m.group("marker")
    if re.fullmatch(r"[IVXLC]+\.", marker):
        return "roman"
    if re.fullmatch(r"\d{1,2}\.?", marker):
        return "num"
    if re.fullmatch(r"\d+(\.\d+)+\.?", marker):
        return "subnum"
    if marker.endswith(")"):
        return "alpha" if marker[0].isalpha() else "paren"
    return {"-": "dash", "–": "dash", "•": "dash", "+": "plus", "*": "dash"}[marker]


def _task_section(lines: list[Line]) -> list[Line]:
    for targets in (TASK_HEADINGS[:4], TASK_HEADINGS[4:]):
        section = _section(lines, *targets)
        if any(_agency_line(ln) for ln in section):
            return section
    return []


def _agency_line(ln: Line) -> tuple[str, str] | None:
    """(agency, rest of the line) when a line opens an agency's part; None otherwise."""
    body = MARKER.sub("", ln.text).strip() if _marker_kind(ln.text) != "roman" else ln.text
    if not _looks_like_agency(body):
        return None
    head, sep, rest = body.partition(":")
    if sep and len(head) <= 160:
        duty = HEAD_DUTY.search(head)
        if duty:
            said = head[duty.start():].strip(" ,")
            if re.fullmatch(r"(có|chịu) trách nhiệm|thực hiện (các )?nhiệm vụ( sau)?", said):
                said = ""
            return head[:duty.start()].strip(" ,"), f"{said}: {rest.strip()}".strip(" :")
        return head.strip(), rest.strip()
    if len(body) <= 160 and not AGENCY_VERB.search(body):
        return body.strip(" .:"), ""
    m = AGENCY_VERB.search(body)
    if m and m.start() <= 160 and (ln.heading or ln.bold or _marker_kind(ln.text)):
        return body[:m.start()].strip(" ,"), body[m.start():].strip(" ,")
    return None


def _tasks(lines: list[Line], flat: str, warn) -> tuple[list[TaskDraft], str]:
    section = _task_section(lines)
    if not section:
        tasks = _assignment_sentence(flat)
        if tasks:
            warn("Không có mục Tổ chức thực hiện: nhiệm vụ lấy từ câu giao việc, cần kiểm tra.")
        else:
            warn("Không tìm thấy mục TỔ CHỨC THỰC HIỆN: chưa có nhiệm vụ nào.")
        return tasks, ""
    level_kind = _agency_level(section)
    groups = _group_kinds(section, level_kind)
    tasks: list[tuple[str, str, list[str]]] = []
    closing: list[str] = []
    for ln in section:
        kind = _marker_kind(ln.text)
        opened = _agency_line(ln) if kind == level_kind or (level_kind == "style" and (ln.heading or ln.bold)) else None
        if opened:
            agency, rest = opened
            tasks.append((agency, kind, [rest] if rest else []))
            continue
        if kind in groups and not closing:
            continue  # "1. Cấp tỉnh", "2. Cấp huyện": groups of agencies, not part of a task
        if closing or not tasks:
            closing.append(ln.text)
            continue
        body = tasks[-1][2]
        if kind is None and (CLOSING.match(ln.text) or any(_marker_kind(b) in ("dash", "plus") for b in body)):
            closing.append(ln.text)
            continue
        body.append(ln.text)
    section_text = "\n".join(ln.text for ln in section)
    return [_task(agency, body) for agency, _, body in tasks], section_text


def _group_kinds(section: list[Line], level_kind: str | None) -> set[str]:
    """Numbering kinds used above the agencies' own items (seen before the first agency)."""
    kinds = set()
    for ln in section:
        if _agency_line(ln):
            break
        kind = _marker_kind(ln.text)
        if kind and kind != level_kind and kind not in ("dash", "plus"):
            kinds.add(kind)
    return kinds


def _agency_level(section: list[Line]) -> str | None:
    for ln in section:
        if _agency_line(ln):
            kind = _marker_kind(ln.text)
            if kind is None and (ln.heading or ln.bold):
                return "style"
            return kind
    return None


def _task(agency: str, body: list[str]) -> TaskDraft:
    agency = re.sub(r"^Đề nghị\s+", "", re.sub(r"\s+", " ", agency)).strip(" .:")
    agency = agency[0].upper() + agency[1:]
    description = "\n".join(b for b in body if b).strip()
    first = re.split(r"(?<=[.;])\s", MARKER.sub("", description) if description else "", maxsplit=1)[0].strip(" .;")
    title = _shorten(first) if len(first) >= 3 else agency
    types = activity_types_of(description)
    return TaskDraft(agency=agency, agencies=_split_group(agency), title=title, description=description,
                     activity_types=types, targets=targets_of(description, types))


# --- who a task is for -------------------------------------------------------------------------

GROUP = re.compile(r"^(cac|nhung)\b|\bcac (huyen|quan|thi xa|thanh pho|xa|phuong|thi tran|thon|xom|ban|to dan pho|dia phuong|"
                   r"co quan|so|nganh|don vi|cap|dai truyen thanh|truong)\b")
OFFICIAL = re.compile(r"^(cong chuc|can bo|chu tich|pho chu tich|truong (thon|xom|ban|ap|khu)|bi thu)\b")
SUB_UNIT = re.compile(r"^(phong|van phong so|thanh tra so|trung tam|chi cuc|ban quan ly)\b")


def _classify(tasks: list[TaskDraft], issuer: str | None) -> None:
    """A group of agencies is assigned, not created as one agency; a department's own divisions and a
    commune's officials act for the issuer."""
    of_department = bool(issuer and issuer.startswith("Sở"))
    for task in tasks:
        key = search_key(task.agency)
        if GROUP.search(key):
            task.kind = "group"
        elif OFFICIAL.match(key):
            task.kind = "official"
        elif of_department and (SUB_UNIT.match(key) or key.endswith(" so")) and " tinh" not in key:
            task.kind = "sub_unit"


CONTENT_HEADINGS = ("noi dung nhiem vu", "nhiem vu", "noi dung", "nhiem vu cu the", "noi dung hoat dong", "cac hoat dong",
                    "noi dung va hinh thuc", "noi dung hinh thuc", "noi dung thuc hien", "hoat dong")


def _content_tasks(lines: list[Line]) -> list[TaskDraft]:
    """Activities listed under 'NỘI DUNG' / 'NHIỆM VỤ' with no agency: one draft task each when the item
    names an activity type and a figure ('Tổ chức 02 buổi đối thoại', 'In 500 tờ rơi')."""
    section = _section(lines, *CONTENT_HEADINGS)
    out = []
    for ln in section:
        if _is_heading(_key(ln.text), "hinh thuc", "hinh thuc truyen thong", "giai phap", "kinh phi"):
            break
        kind = _marker_kind(ln.text)
        if kind not in ("num", "dash", "alpha", "plus") or _agency_line(ln):
            continue
        text = MARKER.sub("", ln.text).strip()
        types = activity_types_of(text)
        targets = targets_of(text, types)
        if not types or not targets:
            continue
        title = _shorten(re.split(r":\s", text, maxsplit=1)[0].strip(" .;"))
        out.append(TaskDraft(agency="", agencies=[], kind="content", title=title, description=text,
                             activity_types=types, targets=targets))
    return out


# --- figures that become targets ---------------------------------------------------------------

UNITS = [
    (r"lớp|buổi tập huấn|đợt tập huấn", "sessions"),
    (r"tờ rơi|tờ gấp|tờ|bản|cuốn|quyển|sổ tay", "copies"),
    (r"tin, bài|tin bài|bài|tin|phóng sự|chuyên mục|chuyên trang|pano|băng rôn|khẩu hiệu|áp phích|sản phẩm|video|clip|tác phẩm",
     "items"),
    (r"học viên|lượt người|người|đại biểu|lượt", "participants"),
    (r"phút", "minutes"),
    (r"buổi|cuộc|đợt|hội nghị|hội thi|lần|số|chương trình", "sessions"),
]
FIGURE = re.compile(r"(?<![\d/.,])(\d{1,3}(?:\.\d{3})+|\d{1,5})\s+(?:" + "|".join(u for u, _ in UNITS) + r")\b", re.IGNORECASE)


def targets_of(text: str, types: list[str]) -> list[TargetDraft]:
    """'tổ chức 02 lớp tập huấn cho 120 học viên' -> 2 sessions and 120 participants of training;
    'phát thanh 4 buổi/tháng' -> 4 airings a month."""
    out: dict[tuple, TargetDraft] = {}
    for clause in re.split(r"[;.](?:\s|$)|\n", text):
        clause_types = activity_types_of(clause) or types
        for m in FIGURE.finditer(clause):
            before = clause[max(0, m.start() - 12):m.start()].lower()
            if re.search(r"(ngày|số|năm|khoản|điều)\s*$", before):
                continue
            word = m.group(0)[len(m.group(1)):].strip().lower()
            metric = next(metric for pattern, metric in UNITS if re.fullmatch(pattern, word))
            kind = clause_types[0] if clause_types else None
            if metric == "sessions" and kind == "broadcast":
                metric = "airings"
            if kind == "training" and metric == "sessions" and word in ("buổi", "lần"):
                metric = "sessions"
            after = clause[m.end():m.end() + 25].lower()
            period = "plan"
            if re.match(r"\s*(/|mỗi|một|trên)\s*tháng|\s*hằng tháng|\s*hàng tháng", after):
                period = "month"
            elif re.match(r"\s*(/|mỗi|một|trên)\s*quý", after):
                period = "quarter"
            elif re.match(r"\s*(/|mỗi|một)\s*năm|\s*(hằng|hàng) năm|\s*trong năm", after):
                period = "year"
            per_unit = bool(re.match(r"\s*(/|mỗi|một|cho mỗi|tại mỗi)\s*(xã|thôn|huyện|đơn vị)", after))
            quantity = int(m.group(1).replace(".", ""))
            if quantity <= 0:
                continue
            key = (metric, period, kind)
            if key not in out:
                out[key] = TargetDraft(metric=metric, quantity=quantity, period=period, per_unit=per_unit,
                                       activity_type=kind, text=m.group(0) + clause[m.end():m.end() + 12].split(",")[0])
    return list(out.values())


def _shorten(text: str, limit: int = 160) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;") + "…"


def _split_group(agency: str) -> list[str]:
    """'Đài Phát thanh và truyền hình tỉnh, Báo Hải Dương' names two agencies."""
    parts = [p.strip() for p in re.split(r",\s*|\s+và\s+(?=[A-ZĐ])", agency) if p.strip()]
    if len(parts) > 1 and all(p[0].isupper() and _looks_like_agency(p) for p in parts):
        return parts
    return [agency]


def _assignment_sentence(flat: str) -> list[TaskDraft]:
    """News articles say 'UBND tỉnh giao A, B, C theo chức năng, nhiệm vụ ...'."""
    m = re.search(r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?:tỉnh|huyện|xã|thành phố)?\s*giao\s+(.+?)\s+"
                  r"(theo chức năng|chủ động|phối hợp|tổ chức|triển khai|thực hiện)([^.\n]*)", flat)
    if not m:
        return []
    names = [p.strip(" ,") for p in re.split(r",\s*(?=(?:UBND|Ủy ban|Uỷ ban|Sở|Đài|Báo|Ban|Hội)\b)", m.group(1))]
    description = (m.group(2) + m.group(3)).strip()
    return [_task(name, [description[0].upper() + description[1:] + "."]) for name in names if name]


def _report_deadline(text: str) -> ReportDeadline | None:
    m = re.search(r"trước ngày\s+(\d{1,2})\s*/\s*(\d{1,2})(?!\d)(?!\s*/\s*\d)", text, re.IGNORECASE)
    if not m:
        once = re.search(r"trước ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*\d{4}", text, re.IGNORECASE)
        if once and 1 <= int(once.group(2)) <= 12:
            return ReportDeadline(day=int(once.group(1)), month=int(once.group(2)), frequency="once",
                                  text=re.sub(r"\s+", " ", once.group(0)))
        return None
    around = text[max(0, m.start() - 120):m.end() + 40].lower()
    if "6 tháng" in around or "sáu tháng" in around:
        frequency = "half"
    elif "quý" in around:
        frequency = "quarter"
    elif "hàng tháng" in around or "hằng tháng" in around:
        frequency = "month"
    else:
        frequency = "year"
    return ReportDeadline(day=int(m.group(1)), month=int(m.group(2)), frequency=frequency,
                          text=re.sub(r"\s+", " ", m.group(0)))
