"""One place for 'now' so that every timestamp Loa writes is timezone-aware UTC."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date where the users are (Vietnam)."""
    return datetime.now(VN_TZ).date()
