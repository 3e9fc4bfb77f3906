"""Demo data for a first run: the agencies of one legacy province (Hải Dương) and their 2025
successors in Thành phố Hải Phòng, one user per role, then each domain's own demo data."""
import importlib
import importlib.util
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.accounts import services as account_services
from app.accounts.models import Role, User, UserCreate
from app.agencies.models import Agency, AgencyKind
from app.core.config import get_settings
from app.core.text import search_key
from app.units.loader import CURRENT, LEGACY, unit_id
from app.units.models import Unit, UnitSuccessor

LEGACY_PROVINCE_CODE = "30"   # Tỉnh Hải Dương (until 30/6/2025)
CURRENT_PROVINCE_CODE = "31"  # Thành phố Hải Phòng (from 1/7/2025)
AGENCY_SWITCH = date(2025, 3, 1)  # departments merged on 1/3/2025

# (legacy name, short, kind, successor name, successor short) — from the Hải Dương plan's
# "TỔ CHỨC THỰC HIỆN" and the 2025 mergers (poverty reduction moved to agriculture and environment).
AGENCIES = [
    ("Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương", "Sở LĐTBXH", AgencyKind.department,
     "Sở Nông nghiệp và Môi trường thành phố Hải Phòng", "Sở NN&MT"),
    ("Sở Thông tin và Truyền thông tỉnh Hải Dương", "Sở TT&TT", AgencyKind.department,
     "Sở Khoa học và Công nghệ thành phố Hải Phòng", "Sở KH&CN"),
    ("Sở Nội vụ tỉnh Hải Dương", "Sở Nội vụ", AgencyKind.department,
     "Sở Nội vụ thành phố Hải Phòng", "Sở Nội vụ"),
    ("Sở Nông nghiệp và Phát triển nông thôn tỉnh Hải Dương", "Sở NN&PTNT", AgencyKind.department,
     "Sở Nông nghiệp và Môi trường thành phố Hải Phòng", "Sở NN&MT"),
    ("Sở Văn hóa, Thể thao và Du lịch tỉnh Hải Dương", "Sở VHTTDL", AgencyKind.department,
     "Sở Văn hóa, Thể thao và Du lịch thành phố Hải Phòng", "Sở VHTTDL"),
    ("Sở Tài chính tỉnh Hải Dương", "Sở Tài chính", AgencyKind.department,
     "Sở Tài chính thành phố Hải Phòng", "Sở Tài chính"),
    ("Đài Phát thanh và Truyền hình tỉnh Hải Dương", "Đài PT-TH", AgencyKind.station,
     "Đài Phát thanh và Truyền hình Hải Phòng", "Đài PT-TH"),
    ("Báo Hải Dương", "Báo Hải Dương", AgencyKind.newspaper, "Báo Hải Phòng", "Báo Hải Phòng"),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Hải Dương", "UBMTTQ tỉnh", AgencyKind.mass_organisation,
     "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hải Phòng", "UBMTTQ thành phố"),
    ("Ủy ban nhân dân tỉnh Hải Dương", "UBND tỉnh", AgencyKind.people_committee,
     "Ủy ban nhân dân thành phố Hải Phòng", "UBND thành phố"),
]

# The commune's own bodies (name prefix, short name, kind): before 1/7/2025 a commune names an
# official for culture and social affairs, from 1/7/2025 it has a Phòng Văn hóa - Xã hội.
COMMUNE_BODIES = [
    ("Ủy ban nhân dân", "UBND xã", AgencyKind.people_committee),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam", "Mặt trận Tổ quốc xã", AgencyKind.mass_organisation),
    ("Hội Liên hiệp Phụ nữ", "Hội Phụ nữ xã", AgencyKind.mass_organisation),
    ("Hội Nông dân", "Hội Nông dân xã", AgencyKind.mass_organisation),
    ("Đoàn Thanh niên Cộng sản Hồ Chí Minh", "Đoàn Thanh niên xã", AgencyKind.mass_organisation),
    ("Hội Cựu chiến binh", "Hội Cựu chiến binh xã", AgencyKind.mass_organisation),
]

DEMO_USERNAMES = ("admin", "reviewer", "viewer", "reporter_legacy", "reporter")


@dataclass
class DemoContext:
    legacy_province: Unit
    current_province: Unit
    legacy_commune: Unit
    current_commune: Unit
    agencies: dict[str, Agency] = field(default_factory=dict)  # by legacy short name
    successor_agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def is_loaded(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(User)).scalar_one() > 0


def _demo_communes(session: Session) -> tuple[Unit, Unit]:
    """A legacy commune of Hải Dương that went whole into one current commune, and that commune."""
    legacy_province_id = unit_id(LEGACY, "province", LEGACY_PROVINCE_CODE)
    query = (select(Unit).where(Unit.province_id == legacy_province_id, Unit.level == "commune",
                                Unit.name.like("Xã %"), Unit.current_commune_id.is_not(None))
             .order_by(Unit.code))
    for legacy in session.execute(query).scalars():
        successors = session.execute(select(UnitSuccessor).where(UnitSuccessor.predecessor_id == legacy.id)).all()
        if len(successors) == 1:
            return legacy, session.get(Unit, legacy.current_commune_id)
    raise RuntimeError("demo communes not found: load the units first (loa units load)")


def context(session: Session) -> DemoContext:
    legacy_province = session.get(Unit, unit_id(LEGACY, "province", LEGACY_PROVINCE_CODE))
    current_province = session.get(Unit, unit_id(CURRENT, "province", CURRENT_PROVINCE_CODE))
    if legacy_province is None or current_province is None:
        raise RuntimeError("administrative units are not loaded: run `loa units load` first")
    legacy_commune, current_commune = _demo_communes(session)
    ctx = DemoContext(legacy_province, current_province, legacy_commune, current_commune)
    for agency in session.execute(select(Agency).where(Agency.unit_id == legacy_province.id)).scalars():
        ctx.agencies[agency.short_name] = agency
        if agency.successor_id:
            ctx.successor_agencies[agency.short_name] = session.get(Agency, agency.successor_id)
    for user in session.execute(select(User).where(User.username.in_(DEMO_USERNAMES))).scalars():
        ctx.users[user.username] = user
    return ctx


def _load_agencies(session: Session, ctx: DemoContext) -> None:
    successors: dict[str, Agency] = {}
    for name, short, kind, new_name, new_short in AGENCIES:
        successor = successors.get(new_name)
        if successor is None:
            successor = Agency(name=new_name, short_name=new_short, kind=kind, unit_id=ctx.current_province.id,
                               valid_from=AGENCY_SWITCH, search_name=search_key(new_name))
            session.add(successor)
            session.flush()
            successors[new_name] = successor
        session.add(Agency(name=name, short_name=short, kind=kind, unit_id=ctx.legacy_province.id,
                           valid_to=date(2025, 2, 28), successor_id=successor.id, search_name=search_key(name)))
    for commune, official, official_short in (
            (ctx.legacy_commune, "Công chức văn hóa - xã hội", "Công chức VH-XH"),
            (ctx.current_commune, "Phòng Văn hóa - Xã hội", "Phòng VH-XH")):
        place = commune.name[:1].lower() + commune.name[1:]  # "xã Đại An", "phường Nguyễn Trãi"
        bodies = COMMUNE_BODIES[:1] + [(official, official_short, AgencyKind.other)] + COMMUNE_BODIES[1:]
        word = place.split()[0]  # xã, phường
        for prefix, short, kind in bodies:
            name = f"{prefix} {place}"
            session.add(Agency(name=name, short_name=short.replace(" xã", f" {word}"), kind=kind, unit_id=commune.id,
                               valid_from=commune.valid_from, valid_to=commune.valid_to, search_name=search_key(name)))
    session.flush()


def _load_users(session: Session, ctx: DemoContext) -> None:
    password = get_settings().demo_password
    people = [
        ("admin", "Quản trị hệ thống", Role.admin, None, None),
        ("reviewer", "Nguyễn Thị Hồng Nhung", Role.reviewer, ctx.current_province.id, "0912 345 678"),
        ("viewer", "Trần Văn Bình", Role.viewer, ctx.current_province.id, "0987 654 321"),
        ("reporter_legacy", "Phạm Văn Đức", Role.reporter, ctx.legacy_commune.id, "0903 111 222"),
        ("reporter", "Lê Thị Thu Hà", Role.reporter, ctx.current_commune.id, "0934 555 666"),
    ]
    for username, full_name, role, unit, phone in people:
        account_services.create_user(session, UserCreate(username=username, full_name=full_name, role=role,
                                                         unit_id=unit, phone=phone, password=password), user=None)


# Each domain may add its own demo data with `load(session, ctx)` in `app/<domain>/demo.py`.
DOMAIN_DEMOS = ("plans.demo", "activities.demo", "reviews.demo")


def load_demo(session: Session) -> DemoContext:
    ctx = context(session)
    if not ctx.agencies:
        _load_agencies(session, ctx)
    if not is_loaded(session):
        _load_users(session, ctx)
    ctx = context(session)
    for name in DOMAIN_DEMOS:
        if importlib.util.find_spec(f"app.{name}") is not None:
            importlib.import_module(f"app.{name}").load(session, ctx)
    return ctx
