"""Showing audit entries to people: Vietnamese labels, local time and readable values."""
from datetime import datetime
from typing import Any

from app.activities.types import TYPES
from app.core.clock import VN_TZ
from app.core.text import format_number

ENTITY_LABELS = {
    "user": "Người dùng", "api_token": "Mã truy cập API", "session": "Phiên đăng nhập", "unit": "Đơn vị",
    "village": "Thôn, tổ dân phố", "agency": "Cơ quan", "plan": "Kế hoạch", "task": "Nhiệm vụ", "target": "Chỉ tiêu",
    "activity": "Hoạt động", "evidence": "Minh chứng", "review": "Thẩm định", "report": "Báo cáo",
}
ACTION_LABELS = {
    "create": "Tạo mới", "update": "Sửa", "delete": "Xóa", "login": "Đăng nhập", "logout": "Đăng xuất",
    "revoke": "Thu hồi", "set_password": "Đặt mật khẩu", "deactivate": "Khóa", "activate": "Mở khóa",
    "submit": "Gửi duyệt", "approve": "Duyệt", "return": "Trả lại", "reopen": "Mở lại", "upload": "Tải lên",
    "approve_period": "Duyệt theo kỳ",
}
FIELD_LABELS = {
    "username": "Tên đăng nhập", "full_name": "Họ tên", "phone": "Điện thoại", "email": "Email", "role": "Vai trò",
    "unit_id": "Đơn vị", "agency_id": "Cơ quan", "is_active": "Đang hoạt động", "name": "Tên", "prefix": "Tiền tố",
    "revoked_at": "Thu hồi lúc", "password_changed": "Đổi mật khẩu", "sessions_ended": "Phiên đăng nhập đã kết thúc",
    "tokens_revoked": "Mã truy cập API đã thu hồi", "title": "Tiêu đề", "status": "Trạng thái",
    "start_date": "Ngày bắt đầu", "end_date": "Ngày kết thúc", "type": "Loại", "participants": "Người tham dự",
    "cost_vnd": "Kinh phí (đồng)", "note": "Ghi chú", "notes": "Ghi chú", "period_start": "Từ ngày",
    "period_end": "Đến ngày", "code": "Mã", "updated_at": "Cập nhật lúc", "created_at": "Tạo lúc",
    "activity_types": "Loại hoạt động", "legal_bases": "Căn cứ", "assignment": "Đơn vị thực hiện",
    "partner_agency_ids": "Cơ quan phối hợp", "description": "Nội dung", "number": "Số",
    "lead_agency_id": "Cơ quan chủ trì", "plan_id": "Kế hoạch", "task_id": "Nhiệm vụ", "position": "Thứ tự",
    "programme": "Chương trình", "issued_on": "Ngày ban hành", "due_date": "Hạn hoàn thành",
    "report_deadline": "Hạn báo cáo", "report_frequency": "Kỳ báo cáo", "parent_plan_id": "Kế hoạch cấp trên",
    "parent_task_id": "Nhiệm vụ cấp trên", "created_by_id": "Người tạo", "updated_by_id": "Người sửa",
    "budget_central_vnd": "Kinh phí NSTW (đồng)", "budget_local_vnd": "Kinh phí NSĐP (đồng)",
    "budget_mobilised_vnd": "Kinh phí huy động (đồng)", "metric": "Chỉ tiêu", "quantity": "Số lượng",
    "period": "Kỳ", "per_unit": "Mỗi đơn vị", "activity_type": "Loại hoạt động", "reason": "Lý do",
    "review_comment": "Nhận xét", "reviewed_at": "Thẩm định lúc", "reviewed_by_id": "Người thẩm định", "airings": "Số lần phát", "minutes": "Số phút", "sessions": "Số buổi/lớp",
    "copies": "Số bản in", "items": "Số tin, bài", "version": "Phiên bản", "of_unit_id": "đơn vị",
    "unit_ids": "Đơn vị", "every": "mọi",
}
ROLE_VALUES = {"admin": "Quản trị", "reviewer": "Cán bộ thẩm định", "reporter": "Cán bộ báo cáo", "viewer": "Người xem"}
STATUS_VALUES = {"draft": "Nháp", "submitted": "Đã gửi", "approved": "Đã duyệt", "returned": "Bị trả lại"}
HIDDEN_FIELDS = {"id", "created_at", "updated_at", "last_seen_at", "last_used_at", "search_name"}
# Fields holding ids that read better as names.
NAMED_FIELDS = ("unit_id", "agency_id")


def format_time(value: datetime | None) -> str:
    """A UTC timestamp as Vietnamese local time: 23/11/2026 21:05."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


def format_value(field: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    if field == "role":
        return ROLE_VALUES.get(value, str(value))
    if field == "status":
        return STATUS_VALUES.get(value, str(value))
    if field == "assignment" and isinstance(value, dict):
        if value.get("every"):
            level = {"commune": "xã", "district": "huyện", "village": "thôn"}.get(value["every"], value["every"])
            return f"mọi {level} của đơn vị #{value.get('of_unit_id')}"
        return _shortened("đơn vị " + ", ".join(f"#{u}" for u in value.get("unit_ids") or []))
    if field in ("type", "activity_types", "activity_type"):
        codes = value if isinstance(value, list) else [value]
        return _shortened(", ".join(TYPES[c].label if isinstance(c, str) and c in TYPES else str(c) for c in codes))
    if isinstance(value, int) and not isinstance(value, bool) and not field.endswith("_id"):
        return format_number(value)
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return format_time(datetime.fromisoformat(value))
        except ValueError:
            pass
    if isinstance(value, list):
        return _shortened("; ".join(_plain_text(v) for v in value))
    return _shortened(_plain_text(value))


def _plain_text(value: Any) -> str:
    """A recorded value (a list of objects, such as a plan's legal bases, included) as one line."""
    if isinstance(value, dict):
        return ", ".join(f"{FIELD_LABELS.get(k, k)}: {_plain_text(v)}" for k, v in value.items()
                         if v not in (None, "", [], {}))
    if isinstance(value, list):
        return ", ".join(_plain_text(v) for v in value)
    return str(value)


def _shortened(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "…"


def named_ids(entries, field: str) -> set[int]:
    """The ids found under `field` (before or after) in the entries' changes."""
    found = set()
    for entry in entries:
        change = (entry.changes or {}).get(field)
        if isinstance(change, dict):
            found.update(v for v in (change.get("before"), change.get("after")) if isinstance(v, int))
    return found


def _named(lookup: dict[int, str], value: Any) -> str | None:
    """The name of an id; lists and objects recorded under the same field are not ids."""
    return lookup.get(value) if isinstance(value, int) and not isinstance(value, bool) else None


def changed_fields(changes: dict[str, Any], names: dict[str, dict[int, str]] | None = None) -> list[dict[str, str]]:
    """[{"field", "label", "before", "after"}] for display; ids shown by name, noisy fields left out."""
    names = names or {}
    rows = []
    for field, change in (changes or {}).items():
        if field in HIDDEN_FIELDS or not isinstance(change, dict):
            continue
        before, after = change.get("before"), change.get("after")
        lookup = names.get(field, {})
        rows.append({"field": field, "label": FIELD_LABELS.get(field, field),
                     "before": _named(lookup, before) or format_value(field, before),
                     "after": _named(lookup, after) or format_value(field, after)})
    return rows
