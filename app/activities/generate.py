"""Realistic activities in bulk: the demo province's year and `loa demo --activities N` for scale.

Rows are built in batches and inserted with one executemany per batch (COPY on PostgreSQL), so a
million activities take a few minutes. Types follow how often communes really log them: the
commune loudspeaker first, then banners, leaflets, talks and trainings.
"""
import json
import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone

from contextlib import contextmanager, nullcontext

from sqlalchemy import insert, select, text
from sqlmodel import Session

from app.activities import provinces
from app.activities.models import Activity, ActivityCounts, ActivityTask
from app.core.clock import today, utcnow
from app.units.models import CURRENT_START, Unit

BATCH = 20_000
TYPE_WEIGHTS = {
    "broadcast": 45, "visual": 12, "leaflet": 8, "talk": 8, "training": 6, "dialogue": 4, "online": 4,
    "conference": 4, "mobile_info": 3, "press": 2, "contest": 1.5, "product": 1, "emulation": 1, "other": 0.5,
}
TITLES = {
    "broadcast": ["Phát thanh tuyên truyền chính sách giảm nghèo bền vững", "Bản tin giảm nghèo trên loa truyền thanh xã",
                  "Tuyên truyền chính sách hỗ trợ hộ nghèo, hộ cận nghèo", "Phát thanh gương thoát nghèo tiêu biểu",
                  "Tuyên truyền chính sách tín dụng ưu đãi cho hộ nghèo"],
    "visual": ["Treo băng rôn hưởng ứng Tháng cao điểm Vì người nghèo", "Pano tuyên truyền giảm nghèo bền vững",
               "Khẩu hiệu tuyên truyền tại nhà văn hóa thôn"],
    "leaflet": ["Phát tờ rơi chính sách hỗ trợ hộ nghèo", "In tờ gấp hướng dẫn vay vốn ưu đãi",
                "Phát sổ tay giảm nghèo cho cán bộ thôn"],
    "talk": ["Sinh hoạt cộng đồng về giảm nghèo bền vững", "Nói chuyện chuyên đề thoát nghèo bằng chăn nuôi"],
    "training": ["Tập huấn nâng cao năng lực cán bộ giảm nghèo cấp xã", "Tập huấn kỹ năng truyền thông cho cán bộ thôn",
                 "Bồi dưỡng nghiệp vụ rà soát hộ nghèo, cận nghèo"],
    "dialogue": ["Đối thoại chính sách với hộ nghèo, hộ cận nghèo", "Đối thoại về chính sách hỗ trợ nhà ở"],
    "online": ["Đăng tin giảm nghèo trên trang Zalo của xã", "Bài viết trên trang thông tin điện tử xã"],
    "conference": ["Hội nghị sơ kết công tác giảm nghèo", "Hội nghị triển khai kế hoạch truyền thông giảm nghèo"],
    "mobile_info": ["Thông tin lưu động tuyên truyền giảm nghèo tại các thôn"],
    "press": ["Phóng sự về mô hình thoát nghèo", "Tin bài về kết quả giảm nghèo"],
    "contest": ["Hội thi tuyên truyền viên giảm nghèo giỏi", "Văn nghệ tuyên truyền Vì người nghèo"],
    "product": ["Sản xuất video gương thoát nghèo", "Sản xuất chương trình phát thanh chuyên đề"],
    "emulation": ["Khen thưởng phong trào thi đua Vì người nghèo"],
    "other": ["Thăm, tặng quà hộ nghèo dịp Tết", "Khảo sát nhu cầu thông tin của hộ nghèo"],
}
CHANNEL_WEIGHTS = {"commune_loudspeaker": 85, "district_radio": 10, "province_radio": 4, "television": 1}
COLUMNS = ["id", "type", "title", "start_date", "end_date", "unit_id", "province_id", "agency_id", "notes", "status",
           "minutes", "cost_vnd", "topics", "audiences", "details", "version", "review_comment", "submitted_at",
           "reviewed_at", "reviewed_by_id", "created_by_id", "updated_by_id", "created_at", "updated_at",
           *ActivityCounts.model_fields]
JSON_COLUMNS = {"topics", "audiences", "details"}
_TYPES, _WEIGHTS = zip(*TYPE_WEIGHTS.items())
_CHANNELS, _CHANNEL_W = zip(*CHANNEL_WEIGHTS.items())


def _participants(rng: random.Random, low: int, high: int) -> dict[str, int]:
    total = rng.randint(low, high)
    return {"participants": total, "participants_women": int(total * rng.uniform(.4, .65)),
            "participants_ethnic": int(total * rng.choice((0, 0, 0, .1, .4))),
            "participants_poor": int(total * rng.uniform(.1, .35)),
            "participants_near_poor": int(total * rng.uniform(.05, .2)),
            "participants_escaped": int(total * rng.uniform(0, .1)),
            "participants_officials": int(total * rng.uniform(.02, .15))}


def _quantities(rng: random.Random, kind: str) -> tuple[dict[str, int], dict[str, str]]:
    q: dict[str, int] = {}
    details: dict[str, str] = {}
    if kind == "broadcast":
        channel = rng.choices(_CHANNELS, _CHANNEL_W)[0]
        details = {"channel": channel, "language": "ethnic" if rng.random() < .05 else "vi"}
        q = {"airings": rng.choice((1, 1, 2, 2, 3, 4)), "minutes_per_airing": rng.choice((5, 10, 10, 15, 15, 20, 30))}
    elif kind == "training":
        q = {"sessions": rng.choice((1, 1, 2, 3)), **_participants(rng, 20, 80),
             "cost_central_vnd": rng.randrange(3_000_000, 20_000_000, 500_000)}
    elif kind == "leaflet":
        copies = rng.randrange(200, 3000, 50)
        q = {"copies": copies, "copies_distributed": int(copies * rng.uniform(.7, 1)),
             "cost_local_vnd": copies * rng.choice((800, 1200, 2000))}
        details = {"product_kind": rng.choice(("Tờ rơi", "Tờ gấp", "Sổ tay"))}
    elif kind == "visual":
        q = {"items": rng.randint(1, 10), "places": rng.randint(1, 5),
             "cost_local_vnd": rng.randrange(500_000, 5_000_000, 100_000)}
    elif kind in ("talk", "conference"):
        q = _participants(rng, 25, 150)
    elif kind == "dialogue":
        raised = rng.randint(3, 20)
        q = {**_participants(rng, 30, 120), "questions_raised": raised, "questions_answered": rng.randint(1, raised)}
    elif kind == "online":
        q = {"items": rng.randint(1, 5), "reach": rng.randrange(100, 8000, 10)}
    elif kind == "mobile_info":
        q = {"sessions": rng.randint(1, 3), "places": rng.randint(1, 4), **_participants(rng, 50, 300)}
    elif kind == "press":
        q = {"items": rng.randint(1, 3)}
    elif kind == "contest":
        q = {"teams": rng.randint(4, 12), "audience": rng.randrange(100, 600, 10), **_participants(rng, 30, 100),
             "cost_mobilised_vnd": rng.randrange(2_000_000, 15_000_000, 500_000)}
    elif kind == "product":
        q = {"items": rng.randint(1, 4), "cost_central_vnd": rng.randrange(5_000_000, 30_000_000, 1_000_000)}
    elif kind == "emulation":
        q = {"commended_collectives": rng.randint(0, 5), "commended_individuals": rng.randint(1, 15)}
    else:
        q = _participants(rng, 10, 60)
    return q, details


def _status(rng: random.Random, day: date, now: date) -> str:
    age = (now - day).days
    r = rng.random()
    if age > 90:
        return "approved" if r < .85 else "submitted" if r < .97 else "returned"
    if age > 14:
        return "approved" if r < .5 else "submitted" if r < .85 else "draft" if r < .95 else "returned"
    return "draft" if r < .3 else "submitted" if r < .85 else "approved"


def make_row(rng: random.Random, unit_id: int, day: date, *, kind: str | None = None, status: str | None = None,
             created_by_id: int | None = None, agency_id: int | None = None, now: datetime | None = None) -> dict:
    """One activity as a column dict ready for a bulk insert."""
    now = now or utcnow()
    kind = kind or rng.choices(_TYPES, _WEIGHTS)[0]
    quantities, details = _quantities(rng, kind)
    row = dict.fromkeys(ActivityCounts.model_fields, 0)
    row.update(quantities)
    created = min(datetime.combine(day, time(9), tzinfo=timezone.utc) + timedelta(hours=rng.randint(1, 72)), now)
    status = status or _status(rng, day, now.date())
    row.update({
        "id": uuid.UUID(int=rng.getrandbits(128), version=4), "type": kind, "title": rng.choice(TITLES[kind]),
        "start_date": day, "end_date": None, "unit_id": unit_id, "agency_id": agency_id, "notes": None,
        "status": status, "minutes": row["airings"] * row["minutes_per_airing"],
        "cost_vnd": row["cost_central_vnd"] + row["cost_local_vnd"] + row["cost_mobilised_vnd"],
        "topics": [], "audiences": [], "details": details, "version": 1 if status == "draft" else 2,
        "review_comment": None, "submitted_at": created if status != "draft" else None,
        "reviewed_at": min(created + timedelta(days=3), now) if status in ("approved", "returned") else None,
        "reviewed_by_id": None, "created_by_id": created_by_id, "updated_by_id": created_by_id,
        "created_at": created, "updated_at": created,
    })
    if status == "returned":
        row["review_comment"] = "Bổ sung ảnh minh chứng và danh sách người tham gia."
    return row


class BulkLoad:
    """What a bulk load tells whoever keeps figures over the activities. COPY writes past the
    session's hooks, so the activity summary (app/progress/summary.py, a layer above this one)
    subscribes here when it is imported, and this module needs not know it."""

    @staticmethod
    def loading(session: Session):
        """Wraps a whole load (the summary stops its upserts meanwhile)."""
        return nullcontext()

    @staticmethod
    def copied(session: Session, rows: list[dict]) -> None:
        """Rows written by COPY, outside the session."""

    @staticmethod
    def loaded(session: Session) -> None:
        """The load is written (the summary rebuilds itself)."""


BULK = BulkLoad()


def insert_rows(session: Session, rows: Iterable[dict]) -> int:
    """Inserts rows in batches (COPY on PostgreSQL, executemany elsewhere) into the caller's
    transaction: the batches bound the memory, the command that loads commits once. COPY bypasses
    the session, so whoever keeps figures over the activities is told of each batch (`BULK`)."""
    count = 0
    for batch in _batches(rows, BATCH):
        provinces.fill(session, batch)
        if session.get_bind().dialect.name == "postgresql":
            _copy(session, batch)
            BULK.copied(session, batch)
        else:
            session.execute(insert(Activity.__table__), batch)
        count += len(batch)
    return count


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _copy(session: Session, batch: list[dict]) -> None:
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY activity ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in JSON_COLUMNS else row[c]
                                for c in COLUMNS])


def _commune_ids(session: Session, legacy: bool) -> list[int]:
    era = Unit.valid_to.is_not(None) if legacy else Unit.valid_to.is_(None)
    query = select(Unit.id).where(Unit.level == "commune", era).order_by(Unit.id)
    return list(session.execute(query).scalars())


def generate_activities(session: Session, n: int, *, seed: int = 2025, start: date = date(2022, 1, 1)) -> int:
    """N activities over 2022–today in every commune (legacy before 1/7/2025, current after)."""
    rng = random.Random(seed)
    legacy, current = _commune_ids(session, True), _commune_ids(session, False)
    if not legacy or not current:
        raise RuntimeError("administrative units are not loaded: run `loa units load` first")
    end = today()
    span = (end - start).days
    now = utcnow()

    # Ids share a random prefix and then count up, so the primary key index grows at its end.
    prefix = rng.getrandbits(64) << 64

    def rows():
        for i in range(n):
            day = start + timedelta(days=rng.randint(0, span))
            unit_id = rng.choice(legacy if day < CURRENT_START else current)
            row = make_row(rng, unit_id, day, now=now)
            row["id"] = uuid.UUID(int=prefix | (i << 16) | rng.getrandbits(16), version=4)
            yield row

    # Figures over the activities are built once at the end: one GROUP BY instead of an upsert per batch.
    with BULK.loading(session):
        if n < 50_000:
            count = insert_rows(session, rows())
        else:
            with _indexes_rebuilt_after(session):
                count = insert_rows(session, rows())
    BULK.loaded(session)
    return count


@contextmanager
def _indexes_rebuilt_after(session: Session):
    """Large loads go faster into a table whose secondary indexes are built once at the end. All
    in the caller's transaction (DDL is transactional on SQLite and PostgreSQL): a failed load
    rolls back to the table and indexes as they were."""
    indexes = list(Activity.__table__.indexes)
    for index in indexes:
        index.drop(session.connection(), checkfirst=True)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # Each index is one sort of the whole table: in memory, or in few passes, rather than 64 MB runs.
        session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    yield
    for index in indexes:
        index.create(session.connection(), checkfirst=True)


def link_tasks(session: Session, links: list[tuple[uuid.UUID, int]]) -> None:
    if links:
        session.execute(insert(ActivityTask.__table__), [{"activity_id": a, "task_id": t} for a, t in links])

