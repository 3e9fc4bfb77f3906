"""Loads both sets of administrative units and the 2025 old→new mapping from `vietnamadminunits`.

Ids are derived from era, level and official code, so loading is idempotent and a unit keeps its
id on every installation. The same 5-digit code can name a legacy and a current commune; their
ids differ by era.
"""
import json
import time
from dataclasses import dataclass
from importlib.resources import files

from sqlalchemy import delete, insert, or_, select, update
from sqlmodel import Session

from app.core.text import search_key
from app.units.models import CURRENT_START, LEGACY_END, Level, Unit, UnitSuccessor

LEGACY, CURRENT = 10_000_000, 20_000_000
LEVEL_OFFSET = {"province": 1_000_000, "district": 2_000_000, "commune": 3_000_000}


def unit_id(era: int, level: str, code: str) -> int:
    return era + LEVEL_OFFSET[level] + int(code)


@dataclass
class LoadResult:
    inserted: int
    updated: int
    successors: int
    seconds: float


def _dataset_rows(table: str) -> list[dict]:
    from vietnamadminunits.database import query

    return query(f"SELECT * FROM [{table}]")


def _converter() -> dict:
    path = files("vietnamadminunits") / "data" / "converter_2025.json"
    return json.loads(path.read_text(encoding="utf-8"))


def build_units() -> tuple[list[dict], list[dict]]:
    """Returns (unit rows, successor rows) ready for bulk insert."""
    units: dict[int, dict] = {}

    def add(uid, code, name, short, level, parent_id, valid_from, valid_to, **ancestors):
        if uid in units:
            return
        units[uid] = {
            "id": uid, "code": code, "name": name, "short_name": short, "level": level,
            "parent_id": parent_id, "valid_from": valid_from, "valid_to": valid_to,
            "search_name": search_key(name),
            "province_id": ancestors.get("province_id"), "district_id": ancestors.get("district_id"),
            "commune_id": ancestors.get("commune_id"),
            "current_province_id": ancestors.get("current_province_id"),
            "current_commune_id": ancestors.get("current_commune_id"),
        }

    current_commune_by_key: dict[tuple[str, str], int] = {}
    current_province_by_key: dict[str, int] = {}
    for r in _dataset_rows("admin_units"):
        pid = unit_id(CURRENT, "province", r["provinceCode"])
        current_province_by_key[r["provinceKey"]] = pid
        add(pid, r["provinceCode"], r["province"], r["provinceShort"], "province", None, CURRENT_START, None,
            province_id=pid, current_province_id=pid)
        cid = unit_id(CURRENT, "commune", r["wardCode"])
        current_commune_by_key[(r["provinceKey"], r["wardKey"])] = cid
        add(cid, r["wardCode"], r["ward"], r["wardShort"], "commune", pid, CURRENT_START, None,
            province_id=pid, commune_id=cid, current_province_id=pid, current_commune_id=cid)

    conv = _converter()
    new_province_of_old = {old: new for new, olds in conv["DICT_PROVINCE"].items() for old in olds}
    whole: dict[str, tuple[str, str]] = {}
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            for old_key in old_keys:
                whole[old_key] = (new_pkey, new_wkey)
    divided = {}
    for new_pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            divided[old_key] = [(new_pkey, t["newWardKey"], bool(t["isDefaultNewWard"])) for t in targets]

    successors: dict[tuple[int, int], bool] = {}
    for r in _dataset_rows("admin_units_legacy"):
        pid = unit_id(LEGACY, "province", r["provinceCode"])
        new_pid = current_province_by_key.get(new_province_of_old.get(r["provinceKey"], ""))
        add(pid, r["provinceCode"], r["province"], r["provinceShort"], "province", None, None, LEGACY_END,
            province_id=pid, current_province_id=new_pid)
        if new_pid:
            successors[(pid, new_pid)] = True
        did = unit_id(LEGACY, "district", r["districtCode"])
        add(did, r["districtCode"], r["district"], r["districtShort"], "district", pid, None, LEGACY_END,
            province_id=pid, district_id=did, current_province_id=new_pid)
        if not r["wardCode"]:
            continue
        cid = unit_id(LEGACY, "commune", r["wardCode"])
        old_key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        targets = []
        if old_key in whole:
            targets = [(*whole[old_key], True)]
        elif old_key in divided:
            targets = divided[old_key]
        default_successor = None
        for new_pkey, new_wkey, is_default in targets:
            sid = current_commune_by_key.get((new_pkey, new_wkey))
            if sid is None:
                continue
            successors[(cid, sid)] = is_default
            if is_default or default_successor is None:
                default_successor = sid
        add(cid, r["wardCode"], r["ward"], r["wardShort"], "commune", did, None, LEGACY_END,
            province_id=pid, district_id=did, commune_id=cid, current_province_id=new_pid,
            current_commune_id=default_successor)

    successor_rows = [
        {"predecessor_id": p, "successor_id": s, "is_default": d} for (p, s), d in successors.items()
    ]
    return list(units.values()), successor_rows


# Villages are added by users under a commune and copy its place (`units.services.create_village`);
# the dataset does not hold them, so a commune that a new load moves takes them along here.
VILLAGE_PLACE = ("province_id", "district_id", "current_province_id", "current_commune_id")


def _villages_follow_their_commune(session: Session) -> None:
    village, commune = Unit.__table__, Unit.__table__.alias("commune")
    session.execute(update(village)
                    .where(village.c.level == Level.village, village.c.commune_id == commune.c.id,
                           or_(*[village.c[c].is_distinct_from(commune.c[c]) for c in VILLAGE_PLACE]))
                    .values({c: commune.c[c] for c in VILLAGE_PLACE}))


def load_units(session: Session) -> LoadResult:
    started = time.perf_counter()
    rows, successor_rows = build_units()
    existing = set(session.execute(select(Unit.id).where(Unit.id >= LEGACY)).scalars().all())
    new_rows = [r for r in rows if r["id"] not in existing]
    old_rows = [r for r in rows if r["id"] in existing]
    # Parents first, so that foreign keys hold at every insert.
    order = {"province": 0, "district": 1, "commune": 2}
    new_rows.sort(key=lambda r: order[r["level"]])
    for start in range(0, len(new_rows), 2000):
        session.execute(insert(Unit), new_rows[start:start + 2000])
    if old_rows:
        session.execute(update(Unit), old_rows)
    _villages_follow_their_commune(session)
    session.execute(delete(UnitSuccessor).where(UnitSuccessor.predecessor_id >= LEGACY))
    for start in range(0, len(successor_rows), 2000):
        session.execute(insert(UnitSuccessor), successor_rows[start:start + 2000])
    return LoadResult(len(new_rows), len(old_rows), len(successor_rows), time.perf_counter() - started)
