"""Periods as typed in URLs ("2026", "2026-H1", "2026-Q1", "2026-03", "plan") and their date spans."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.core.errors import ApiError, field_error

ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Span:
    key: str
    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed(self, day: date) -> float:
        """Share of the span elapsed at the end of `day` (0 before it starts, 1 after it ends)."""
        if day < self.start:
            return 0.0
        if day >= self.end:
            return 1.0
        return ((day - self.start).days + 1) / self.days


def month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def months_between(start: date, end: date) -> int:
    """Calendar months touched from `start` to `end` inclusive."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def invalid_period() -> ApiError:
    return ApiError(422, "validation_error", "Kỳ báo cáo không hợp lệ.", [field_error(
        "query.period", "invalid", "Kỳ báo cáo có dạng 2026, 2026-H1, 2026-Q1, 2026-03 hoặc plan.")])


def parse(key: str | None, *, today: date, plan=None) -> Span:
    """The span of a period key; the default is the current year (within the plan's years)."""
    key = (key or "").strip()
    if not key:
        year = today.year
        if plan is not None:
            year = min(max(year, plan.period_start.year), plan.period_end.year)
        key = str(year)
    if key == "plan":
        if plan is None:
            raise invalid_period()
        return Span(key, plan.period_start, plan.period_end,
                    f"Cả kỳ kế hoạch {format_range(plan.period_start, plan.period_end)}")
    if m := re.fullmatch(r"(\d{4})", key):
        y = int(m[1])
        return Span(key, date(y, 1, 1), date(y, 12, 31), f"Năm {y}")
    if m := re.fullmatch(r"(\d{4})-H([12])", key):
        y, h = int(m[1]), int(m[2])
        return Span(key, date(y, 1 if h == 1 else 7, 1), date(y, 6, 30) if h == 1 else date(y, 12, 31),
                    f"6 tháng {'đầu' if h == 1 else 'cuối'} năm {y}")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        y, q = int(m[1]), int(m[2])
        return Span(key, date(y, 3 * q - 2, 1), month_end(y, 3 * q), f"Quý {ROMAN[q - 1]} năm {y}")
    if (m := re.fullmatch(r"(\d{4})-(\d{2})", key)) and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return Span(key, date(y, mo, 1), month_end(y, mo), f"Tháng {mo} năm {y}")
    raise invalid_period()


def format_range(start: date, end: date) -> str:
    return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"


def choices(today: date, years: int = 3) -> list[tuple[str, str]]:
    """Period keys offered in the filter: recent years, their halves, quarters and months."""
    out = []
    for y in range(today.year, today.year - years, -1):
        out.append((str(y), f"Năm {y}"))
        out += [(f"{y}-H{h}", f"6 tháng {'đầu' if h == 1 else 'cuối'} {y}") for h in (1, 2)]
        out += [(f"{y}-Q{q}", f"Quý {ROMAN[q - 1]}/{y}") for q in range(1, 5)]
        out += [(f"{y}-{m:02d}", f"Tháng {m}/{y}") for m in range(1, 13)]
    return out
