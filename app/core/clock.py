"""One place for 'now' so that every timestamp Loa writes is timezone-aware UTC."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def within(day: date, valid_from: date | None, valid_to: date | None) -> bool:
    """Whether a day falls in a validity period (open-ended where a bound is None): used by units
    and agencies, which the 2025 reorganisation ended or started."""
    return (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date where the users are (Vietnam)."""
    return datetime.now(VN_TZ).date()
