"""The activity types of DOMAIN.md and the fields each one counts.

This registry is the single source for forms, validation, exports and reports: a type's
quantities are real columns on `Activity` (so SQL can sum them), text details live in
`Activity.details`.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TypeField:
    name: str
    label: str
    kind: str = "int"  # int (a column), text (in details), choice (in details)
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False


@dataclass(frozen=True)
class ActivityType:
    code: str
    label: str
    short: str
    fields: tuple[TypeField, ...] = field(default_factory=tuple)
    participants: bool = True


CHANNELS = (
    ("commune_loudspeaker", "Loa truyền thanh xã"),
    ("district_radio", "Đài huyện/cơ sở"),
    ("province_radio", "Đài phát thanh tỉnh"),
    ("television", "Truyền hình"),
)
LANGUAGES = (
    ("vi", "Tiếng Việt"),
    ("ethnic", "Tiếng dân tộc thiểu số"),
    ("vi_ethnic", "Tiếng Việt và tiếng dân tộc"),
)

TYPES: dict[str, ActivityType] = {t.code: t for t in [
    ActivityType("broadcast", "Phát thanh, truyền hình", "Phát thanh", (
        TypeField("channel", "Kênh phát", "choice", CHANNELS, required=True),
        TypeField("airings", "Số lần phát", required=True),
        TypeField("minutes_per_airing", "Số phút mỗi lần", required=True),
        TypeField("language", "Ngôn ngữ", "choice", LANGUAGES),
        TypeField("programme_title", "Tên chương trình, tin bài", "text"),
    ), participants=False),
    ActivityType("training", "Tập huấn, bồi dưỡng", "Tập huấn", (
        TypeField("sessions", "Số lớp/buổi", required=True),
        TypeField("trainer", "Giảng viên", "text"),
        TypeField("materials", "Tài liệu", "text"),
    )),
    ActivityType("leaflet", "In ấn, phát hành tờ rơi, tài liệu", "Tờ rơi", (
        TypeField("product_kind", "Loại ấn phẩm", "text"),
        TypeField("copies", "Số bản in", required=True),
        TypeField("copies_distributed", "Số bản đã phát"),
        TypeField("languages", "Ngôn ngữ", "text"),
    ), participants=False),
    ActivityType("dialogue", "Đối thoại chính sách", "Đối thoại", (
        TypeField("chaired_by", "Người chủ trì", "text"),
        TypeField("questions_raised", "Số ý kiến, câu hỏi"),
        TypeField("questions_answered", "Số ý kiến trả lời tại chỗ"),
    )),
    ActivityType("conference", "Hội nghị, hội thảo", "Hội nghị", ()),
    ActivityType("contest", "Hội thi, văn nghệ, sân khấu hóa", "Hội thi", (
        TypeField("teams", "Số đội thi"),
        TypeField("audience", "Số khán giả"),
    )),
    ActivityType("press", "Tin, bài, phóng sự", "Tin bài", (
        TypeField("outlet", "Cơ quan báo chí, trang", "text"),
        TypeField("items", "Số tin, bài", required=True),
        TypeField("links", "Đường dẫn", "text"),
    ), participants=False),
    ActivityType("visual", "Băng rôn, khẩu hiệu, pano, áp phích", "Băng rôn", (
        TypeField("items", "Số sản phẩm", required=True),
        TypeField("places", "Số địa điểm"),
    ), participants=False),
    ActivityType("mobile_info", "Thông tin lưu động", "Lưu động", (
        TypeField("sessions", "Số buổi", required=True),
        TypeField("places", "Số địa điểm"),
    )),
    ActivityType("talk", "Nói chuyện chuyên đề, sinh hoạt cộng đồng", "Nói chuyện", ()),
    ActivityType("online", "Mạng xã hội, trang thông tin điện tử", "Trực tuyến", (
        TypeField("items", "Số bài đăng", required=True),
        TypeField("reach", "Lượt tiếp cận"),
        TypeField("links", "Đường dẫn", "text"),
    ), participants=False),
    ActivityType("emulation", "Thi đua, khen thưởng", "Thi đua", (
        TypeField("commended_collectives", "Tập thể được khen"),
        TypeField("commended_individuals", "Cá nhân được khen"),
    )),
    ActivityType("product", "Sản xuất sản phẩm truyền thông", "Sản phẩm", (
        TypeField("items", "Số sản phẩm", required=True),
        TypeField("product_kind", "Loại sản phẩm", "text"),
    ), participants=False),
    ActivityType("other", "Khác", "Khác", (
        TypeField("description", "Mô tả", "text"),
    )),
]}

# Integer columns on Activity that hold type-specific quantities.
QUANTITY_COLUMNS = (
    "sessions", "airings", "minutes_per_airing", "minutes", "copies", "copies_distributed", "items",
    "places", "teams", "audience", "reach", "questions_raised", "questions_answered",
    "commended_collectives", "commended_individuals",
)
PARTICIPANT_COLUMNS = (
    ("participants", "Tổng số người tham gia"),
    ("participants_women", "Nữ"),
    ("participants_ethnic", "Người dân tộc thiểu số"),
    ("participants_poor", "Người thuộc hộ nghèo"),
    ("participants_near_poor", "Người thuộc hộ cận nghèo"),
    ("participants_escaped", "Người thuộc hộ mới thoát nghèo"),
    ("participants_officials", "Cán bộ"),
)
COST_COLUMNS = (
    ("cost_central_vnd", "Ngân sách trung ương"),
    ("cost_local_vnd", "Ngân sách địa phương"),
    ("cost_mobilised_vnd", "Xã hội hóa"),
)


def _counted(kind: ActivityType) -> frozenset[str]:
    own = {f.name for f in kind.fields if f.kind == "int"}
    people = {name for name, _ in PARTICIPANT_COLUMNS} if kind.participants else set()
    return frozenset(own | people | {name for name, _ in COST_COLUMNS})


# The integer columns an entry of each type may fill: its own quantities, the participants and
# their breakdown when the type has participants, and the cost by source (every type).
COUNTED_COLUMNS: dict[str, frozenset[str]] = {code: _counted(kind) for code, kind in TYPES.items()}
# The text and choice details each type keeps (in `Activity.details`).
DETAIL_NAMES: dict[str, frozenset[str]] = {
    code: frozenset(f.name for f in kind.fields if f.kind != "int") for code, kind in TYPES.items()}
STATUS_LABELS = {"draft": "Nháp", "submitted": "Đã gửi", "approved": "Đã duyệt", "returned": "Trả lại"}
# The types offered as "Ghi nhanh" buttons on a reporter's home screen.
QUICK_TYPES = ("broadcast", "visual", "leaflet", "talk", "training", "dialogue")
