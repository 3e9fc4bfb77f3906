"""Demo plans: the Hải Dương communication plan 2023–2025 (from its text, the ten agencies' tasks
of "TỔ CHỨC THỰC HIỆN", every commune of the province and, after 1/7/2025, their successors) and a
2026 plan of Thành phố Hải Phòng for the communes of the former Hải Dương territory."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app.plans import services
from app.plans.models import Assignment, LegalBasis, Plan, PlanCreate, PlanStatus, TargetCreate, TaskCreate

HAI_DUONG_TITLE = ("Kế hoạch truyền thông về Chương trình mục tiêu quốc gia giảm nghèo bền vững trên địa bàn "
                   "tỉnh Hải Dương giai đoạn 2021-2025")
HAI_PHONG_TITLE = "Kế hoạch truyền thông giảm nghèo bền vững năm 2026 tại các xã, phường khu vực Hải Dương cũ"
REPORT_DEADLINE = date(2023, 11, 20)  # "báo cáo kết quả thực hiện định kỳ hàng năm (trước ngày 20/11)"


@dataclass
class HaiDuongTask:
    name: str
    description: str
    lead: str | None
    partners: tuple[str, ...]
    types: tuple[str, ...]
    every_commune: bool
    targets: tuple[tuple[str, int, str, bool, str], ...]

    @property
    def title(self) -> str:
        return "Nhiệm vụ của " + self.name.removeprefix("Đề nghị ")


HAI_DUONG_TASKS = [
    HaiDuongTask(
        'Sở Lao động - Thương binh và Xã hội',
        '- Tham mưu trình Ủy ban nhân dân tỉnh ban kế hoạch tổ chức truyền thông thực hiện Chương trình; chủ trì tham mưu, tổ chức thực hiện các nội dung truyền thông về Chương trình.\n- Cung cấp các thông tin cơ bản về công tác giảm nghèo của tỉnh cho các cơ quan liên quan thực hiện truyền thông theo quy định.\n- Chủ trì, phối hợp với cơ quan, đơn vị, địa phương tham mưu xây dựng, ban hành kế hoạch thực hiện chương trình mục tiêu quốc gia giảm nghèo bền vững hằng năm, trong đó có các hoạt động tuyên truyền, truyền thông về chương trình.\n- Chủ trì phối hợp với Ủy ban nhân dân các huyện, thị xã, thành phố tổ chức hội nghị, hội thảo, tập huấn, bồi dưỡng nghiệp vụ truyền thông về công tác giảm nghèo đối với đội ngũ cán bộ làm công tác tuyên truyền và cán bộ làm công tác giảm nghèo; phối hợp với cơ quan, đơn vị, địa phương tổ chức tập huấn, truyền thông về các chính sách đối với công tác giảm nghèo cho các hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo; tổ chức đối thoại về chính sách giảm nghèo định kỳ hàng năm với cán bộ và người dân nhằm tạo sự đồng thuận, thống nhất cao trong quá trình tổ chức thực hiện Chương trình; tổ chức thực hiện in ấn, phát hành tờ rơi, tài liệu; giới thiệu các ấn phẩm, sản phẩm truyền thông, xây dựng các phóng sự, tin, bài tuyên truyền về Chương trình và chính sách giảm nghèo.\n- Tổ chức triển khai, theo dõi, kiểm tra, đôn đốc việc thực hiện kế hoạch; định kỳ tổng hợp, báo cáo tiến độ, kết quả thực hiện kế hoạch với Ban Chỉ đạo các Chương trình mục tiêu quốc gia tỉnh Hải Dương giai đoạn 2021-2025, Ủy ban nhân dân tỉnh và Bộ Lao động - Thương binh và Xã hội.',
        lead='Sở LĐTBXH', partners=(), types=('training', 'conference', 'dialogue', 'leaflet', 'press'), every_commune=False,
        targets=(('sessions', 2, 'year', False, 'training'), ('sessions', 1, 'year', False, 'dialogue'), ('copies', 5000, 'year', False, 'leaflet'))),
    HaiDuongTask(
        'Sở Thông tin và Truyền thông',
        '- Chỉ đạo, hướng dẫn các cơ quan thông tin, báo chí trên địa bàn tỉnh đẩy mạnh thông tin, tuyên truyền về công tác giảm nghèo của tỉnh bằng nhiều hình thức, nội dung phong phú, phù hợp; tăng cường phối hợp với các cơ quan thông tấn, báo chí Trung ương trong công tác thông tin, tuyên truyền nhằm nâng cao nhận thức của toàn xã hội về công tác giảm nghèo; chú trọng tuyên truyền, giới thiệu các mô hình giảm nghèo hiệu quả, các tổ chức, cá nhân điển hình tiên tiến, các tấm gương tiêu biểu trong công tác giảm nghèo.\n- Lồng ghép hoạt động truyền thông tin về Chương trình MTQG giảm nghèo bền vững giai đoạn 2021-2025 với Chương trình mục tiêu quốc gia xây dựng nông thôn mới giai đoạn 2021-2025.\n- Phối hợp với các sở, ngành liên quan triển khai hiệu quả các giải pháp về chuyển đổi số, tăng cường ứng dụng công nghệ thông tin trong hệ thống truyền thanh cơ sở để triển khai hiệu quả công tác thông tin, tuyên truyền về giảm nghèo.\n- Phối hợp với các Sở, ngành liên quan đánh giá, giám sát nội dung truyền thông, tuyên truyền về công tác giảm nghèo theo quy định.',
        lead='Sở TT&TT', partners=('Báo Hải Dương', 'Đài PT-TH'), types=('press', 'online', 'broadcast'), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Sở Nội vụ',
        'Chủ trì, phối hợp với Sở, ngành, Ủy ban mặt trận Tổ quốc tỉnh, Ủy ban nhân dân các huyện, thị xã, thành phố tổ chức các hoạt động, phong trào thi đua “Vì người nghèo - Không để ai bị bỏ lại phía sau”, biểu dương, khen thưởng các địa phương, cơ quan, tổ chức, hộ nghèo và các cá nhân có thành tích trong công tác giảm nghèo.',
        lead='Sở Nội vụ', partners=('UBMTTQ tỉnh',), types=('emulation',), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Sở Nông nghiệp và Phát triển nông thôn',
        'Phối hợp với các cơ quan liên quan tổ chức truyền thông, tuyên truyền, nhân rộng các mô hình phát triển kinh tế, phát triển sản xuất, nông lâm ngư nghiệp, giới thiệu các tấm gương điển hình, sáng kiến hay tới người dân bằng nhiều hình thức nhằm lan tỏa trong toàn xã hội, góp phần thực hiện mục tiêu giảm nghèo.',
        lead='Sở NN&PTNT', partners=(), types=('talk', 'product'), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Sở Văn hóa Thể thao và Du lịch',
        'Chủ trì, phối hợp với Sở, ngành, địa phương tổ chức hội thi văn hóa, văn nghệ, sáng tác các tác phẩm tiểu phẩm về công tác giảm nghèo nhằm đẩy mạnh phong trào thi đua, tuyên truyền về giảm nghèo.',
        lead='Sở VHTTDL', partners=(), types=('contest',), every_commune=False,
        targets=(('activities', 1, 'year', False, 'contest'),)),
    HaiDuongTask(
        'Sở Tài chính',
        'Chủ trì, phối hợp với Sở Lao động - Thương binh và Xã hội, các Sở, ngành có liên quan, căn cứ khả năng ngân sách địa phương hàng năm, tham mưu trình UBND tỉnh bố trí kinh phí chi thường xuyên, lồng ghép với các chương trình, đề án liên quan để triển khai thực hiện nội dung của kế hoạch.',
        lead='Sở Tài chính', partners=('Sở LĐTBXH',), types=(), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Đài Phát thanh và truyền hình tỉnh, Báo Hải Dương',
        'Tăng cường công tác truyền thông, tuyên truyền các chính sách đối với công tác giảm nghèo, các kinh nghiệm, tấm gương điển hình, sáng kiến hay, mô hình giảm nghèo trên địa bàn tỉnh, các phong trào thi đua nhằm lan tỏa trong xã hội.',
        lead='Đài PT-TH', partners=('Báo Hải Dương',), types=('broadcast', 'press'), every_commune=False,
        targets=(('airings', 24, 'year', False, 'broadcast'), ('items', 24, 'year', False, 'press'))),
    HaiDuongTask(
        'Các sở, ban, ngành liên quan',
        '- Căn cứ chức năng, nhiệm vụ, chủ động tổ chức thực hiện các nội dung truyền thông về Chương trình; tổng hợp, lồng ghép báo cáo công tác truyền thông, tuyên truyền trong báo cáo công tác giảm nghèo hằng năm của cơ quan, đơn vị gửi Sở Lao động - Thương binh và Xã hội để tổng hợp, báo cáo Ban Chỉ đạo các Chương trình MTQG tỉnh, Ủy ban nhân dân tỉnh và Bộ Lao động - Thương binh và Xã hội.\n- Tham gia triển khai Kế hoạch này trong phạm vi và nội dung, nhiệm vụ có liên quan đến lĩnh vực do sở, ngành quản lý.',
        lead=None, partners=('Sở LĐTBXH',), types=('other',), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam, các Hội, đoàn thể các cấp',
        '- Đẩy mạnh công tác tuyên truyền, vận động các tầng lớp nhân dân tích cực tham gia thực hiện công tác giảm nghèo.\n- Tăng cường tuyên truyền, vận động doanh nghiệp, tổ chức, cá nhân trong và ngoài nước tiếp tục hỗ trợ, đóng góp nguồn lực cho công tác giảm nghèo bền vững. Khuyến khích các doanh nghiệp, các hộ khá giả giúp đỡ hộ nghèo; xây dựng, nhân rộng các mô hình tốt, sáng kiến hay về giảm nghèo bền vững.\n- Tiếp tục tổ chức hiệu quả các cuộc vận động xã hội, phong trào thi đua yêu nước, trọng tâm là cuộc vận động, phong trào thi đua "Vì người nghèo - Không để ai bị bỏ lại phía sau".',
        lead='UBMTTQ tỉnh', partners=(), types=('talk', 'emulation'), every_commune=False,
        targets=()),
    HaiDuongTask(
        'Ủy ban nhân dân các huyện, thị xã, thành phố',
        '- Xây dựng, ban hành kế hoạch và tổ chức triển khai thực hiện hiệu quả các hoạt động truyền thông về Chương trình; tổ chức tuyên truyền sâu rộng tới cán bộ, đảng viên và mọi tầng lớp nhân dân trên địa bàn về Chương trình.\n- Căn cứ điều kiện thực tế của địa phương, bố trí nguồn lực và chỉ đạo tổ chức các hoạt động tuyên truyền phù hợp. Phối hợp với các Sở, ngành tổ chức nói chuyện chuyên đề, phổ biến cho hộ nghèo, hộ cận nghèo về chính sách giảm nghèo, kinh nghiệm, gương điển hình về giảm nghèo tại các buổi sinh hoạt cộng đồng dân cư; tuyên truyền, phổ biến thông qua các hoạt động thông tin lưu động ở cơ sở, ưu tiên thực hiện trên đài truyền thanh xã; tổ chức biểu dương, khen thưởng đối với các địa phương, cộng đồng, hộ nghèo phấn đấu và có thành tích xuất sắc trong phong trào thi đua "Cả nước chung tay vì người nghèo - Không để ai bị bỏ lại phía sau".\n- Chỉ đạo hướng dẫn các xã lập kế hoạch và tổ chức triển khai các hoạt động truyền thông, tuyên truyền đảm bảo tiết kiệm, hiệu quả, tránh chồng chéo.\n- Tăng cường kiểm tra, giám sát và đôn đốc việc thực hiện công tác truyền thông, tuyên truyền về công tác giảm nghèo trên địa bàn, trong đó chú trọng kiểm tra về nhận thức của cán bộ, đảng viên và người dân, để làm căn cứ đánh giá hiệu quả tuyên truyền.\n- Hằng năm, tổng hợp, báo cáo tình hình thực hiện kế hoạch truyền thông, tuyên truyền về Chương trình gửi về Sở Lao động - Thương binh và Xã hội để tổng hợp, báo cáo Ban Chỉ đạo các Chương trình MTQG tỉnh.',
        lead=None, partners=('Sở LĐTBXH',), types=('broadcast', 'talk', 'mobile_info', 'emulation'), every_commune=True,
        targets=(('activities', 12, 'year', True, 'broadcast'), ('airings', 48, 'year', True, 'broadcast'), ('participants', 100, 'year', True, 'talk'))),
]


def _exists(session: Session, title: str, unit_id: int) -> bool:
    return session.execute(select(Plan.id).where(Plan.title == title, Plan.unit_id == unit_id)).first() is not None


def _targets(rows) -> list[TargetCreate]:
    return [TargetCreate(metric=m, quantity=q, period=p, per_unit=per_unit, activity_type=t)
            for m, q, p, per_unit, t in rows]


def _hai_duong_plan(ctx) -> PlanCreate:
    def agency_id(short):
        agency = ctx.agencies.get(short) if short else None
        return agency.id if agency else None

    tasks = []
    for position, t in enumerate(HAI_DUONG_TASKS):
        assignment = Assignment(every="commune", of_unit_id=ctx.legacy_province.id) if t.every_commune else None
        tasks.append(TaskCreate(
            title=t.title, description=t.description, lead_agency_id=agency_id(t.lead),
            partner_agency_ids=[a for a in map(agency_id, t.partners) if a], activity_types=list(t.types),
            assignment=assignment, report_deadline=REPORT_DEADLINE, report_frequency="year",
            targets=_targets(t.targets), position=position))
    return PlanCreate(
        number=None,  # the published text leaves the number blank: "Số: /KH-UBND"
        title=HAI_DUONG_TITLE, programme="Chương trình MTQG giảm nghèo bền vững giai đoạn 2021-2025",
        unit_id=ctx.legacy_province.id, agency_id=agency_id("UBND tỉnh"), issued_on=None,
        period_start=date(2023, 1, 1), period_end=date(2025, 12, 31), status=PlanStatus.active,
        legal_bases=[
            LegalBasis(number="90/QĐ-TTg", date=date(2022, 1, 18), issuer="Thủ tướng Chính phủ",
                       title="Phê duyệt Chương trình mục tiêu quốc gia Giảm nghèo bền vững giai đoạn 2021-2025"),
            LegalBasis(number="650/QĐ-LĐTBXH", date=date(2022, 7, 21), issuer="Bộ Lao động - Thương binh và Xã hội",
                       title="Phê duyệt Kế hoạch truyền thông về Chương trình MTQG giảm nghèo bền vững giai đoạn 2021-2025"),
        ],
        tasks=tasks)


def _hai_phong_plan(ctx) -> PlanCreate:
    lead = ctx.successor_agencies.get("Sở LĐTBXH")
    issuer = ctx.successor_agencies.get("UBND tỉnh")
    task = TaskCreate(
        title="Phát thanh về giảm nghèo bền vững trên loa truyền thanh xã, phường",
        description=("Mỗi xã, phường của khu vực Hải Dương cũ phát thanh về chính sách giảm nghèo, gương điển hình "
                     "thoát nghèo ít nhất mỗi tuần một lần trên hệ thống truyền thanh cơ sở."),
        lead_agency_id=lead.id if lead else None, activity_types=["broadcast"],
        assignment=Assignment(every="commune", of_unit_id=ctx.legacy_province.id),
        report_deadline=date(2026, 11, 20), report_frequency="year",
        targets=_targets([("activities", 48, "year", True, "broadcast"), ("airings", 96, "year", True, "broadcast"),
                          ("minutes", 1440, "year", True, "broadcast")]))
    return PlanCreate(
        title=HAI_PHONG_TITLE, programme="Chương trình MTQG xây dựng nông thôn mới, giảm nghèo bền vững 2026-2035",
        unit_id=ctx.current_province.id, agency_id=issuer.id if issuer else None,
        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), status=PlanStatus.active,
        tasks=[task])


def load(session: Session, ctx) -> None:
    admin = ctx.users.get("admin")
    if admin is None:
        return
    if not _exists(session, HAI_DUONG_TITLE, ctx.legacy_province.id):
        services.create_plan(session, _hai_duong_plan(ctx), user=admin)
    if not _exists(session, HAI_PHONG_TITLE, ctx.current_province.id):
        services.create_plan(session, _hai_phong_plan(ctx), user=admin)
