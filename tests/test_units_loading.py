"""Loading administrative units from the vietnamadminunits dataset."""
from sqlalchemy import func, select

from app.units.loader import CURRENT, LEGACY, load_units, unit_id
from app.units.models import Unit, UnitSuccessor


def count(session, level, legacy):
    era = (Unit.id >= LEGACY) & (Unit.id < CURRENT) if legacy else (Unit.id >= CURRENT)
    return session.execute(select(func.count()).where(Unit.level == level, era)).scalar_one()


def test_both_eras_are_loaded_with_official_counts(session):
    assert count(session, "province", legacy=True) == 63
    assert count(session, "district", legacy=True) == 696
    assert count(session, "commune", legacy=True) == 10035
    assert count(session, "province", legacy=False) == 34
    assert count(session, "commune", legacy=False) == 3321


def test_a_reused_code_names_two_different_units(session):
    legacy = session.get(Unit, unit_id(LEGACY, "commune", "00004"))
    current = session.get(Unit, unit_id(CURRENT, "commune", "00004"))
    assert legacy.code == current.code == "00004"
    assert legacy.name == "Phường Trúc Bạch" and current.name == "Phường Ba Đình"
    assert legacy.valid_to.isoformat() == "2025-06-30" and current.valid_from.isoformat() == "2025-07-01"


def test_a_split_commune_lists_every_successor_and_one_default(session):
    split = session.execute(
        select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id).having(func.count() > 1)
    ).scalars().first()
    links = session.execute(select(UnitSuccessor).where(UnitSuccessor.predecessor_id == split)).scalars().all()
    assert len(links) >= 2
    assert sum(1 for link in links if link.is_default) == 1
    unit = session.get(Unit, split)
    assert unit.current_commune_id == next(link.successor_id for link in links if link.is_default)


def test_loading_twice_changes_nothing(session):
    before = session.execute(select(func.count()).select_from(Unit)).scalar_one()
    links = session.execute(select(func.count()).select_from(UnitSuccessor)).scalar_one()
    result = load_units(session)
    assert result.inserted == 0
    assert session.execute(select(func.count()).select_from(Unit)).scalar_one() == before
    assert session.execute(select(func.count()).select_from(UnitSuccessor)).scalar_one() == links
