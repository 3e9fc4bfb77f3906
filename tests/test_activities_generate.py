"""Demo and scale data: legacy communes before 1/7/2025, current ones after, broadcasts most."""
from datetime import date

from sqlalchemy import func, select

from app import demo
from app.activities import demo as activities_demo
from app.activities.generate import generate_activities
from app.activities.models import Activity
from app.units.models import Unit
from tests.factories import make_user

SWITCH = date(2025, 7, 1)


def _era_mismatches(session) -> int:
    wrong_era = ((Activity.start_date < SWITCH) & Unit.valid_to.is_(None)) | (
        (Activity.start_date >= SWITCH) & Unit.valid_to.is_not(None))
    query = select(func.count()).select_from(Activity).join(Unit, Unit.id == Activity.unit_id).where(wrong_era)
    return session.execute(query).scalar_one()


def test_generated_activities_use_the_units_of_their_date_and_broadcasts_lead(session):
    assert generate_activities(session, 3000) == 3000
    by_type = dict(session.execute(select(Activity.type, func.count()).group_by(Activity.type)).all())
    assert sum(by_type.values()) == 3000 and max(by_type, key=by_type.get) == "broadcast"
    assert _era_mismatches(session) == 0
    years = set(session.execute(select(func.min(Activity.start_date), func.max(Activity.start_date))).one())
    assert min(years).year == 2022
    bad = session.execute(select(func.count()).select_from(Activity)
                          .where(Activity.minutes != Activity.airings * Activity.minutes_per_airing)).scalar_one()
    assert bad == 0


def test_the_demo_gives_the_reporters_entries_and_one_returned_with_a_comment(session):
    ctx = demo.context(session)
    make_user(session, "reporter", ctx.current_commune.id, username="reporter")
    make_user(session, "reporter", ctx.legacy_commune.id, username="reporter_legacy")
    ctx = demo.context(session)
    activities_demo.load(session, ctx)
    reporter = ctx.users["reporter"]
    returned = session.execute(select(Activity).where(Activity.created_by_id == reporter.id,
                                                      Activity.status == "returned")).scalars().all()
    assert returned and all(a.review_comment for a in returned)
    legacy_entries = session.execute(select(func.count()).select_from(Activity).where(
        Activity.created_by_id == ctx.users["reporter_legacy"].id, Activity.unit_id == ctx.legacy_commune.id)).scalar_one()
    assert legacy_entries > 20
    assert _era_mismatches(session) == 0
    province_units = select(Unit.id).where((Unit.province_id == ctx.legacy_province.id)
                                           | (Unit.current_province_id == ctx.current_province.id))
    outside = session.execute(select(func.count()).select_from(Activity)
                              .where(Activity.unit_id.not_in(province_units))).scalar_one()
    assert outside == 0
