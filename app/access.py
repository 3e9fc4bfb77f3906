"""Who may see and do what: the one place for Loa's access rules.

Every query of scoped data starts from these functions ("what may this user see"), every write
asks one of the `can_*` functions in its service (a page asks them only to decide what it shows).
Reads outside the scope answer 404, forbidden writes 403. The module sits at the root of app/
because it reads the tables of every domain; it imports no domain's logic.

A scope is one administrative unit and everything below it. It follows the 2025 reorganisation:
a current province also covers the legacy units that went into it, and a current commune covers
its predecessor communes.
"""
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from app.accounts.models import ROLE_RANK, ApiToken, Role, User
from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.core.errors import Forbidden, NotFound  # noqa: F401 (the access rules raise them; callers import them here)
from app.plans.models import Plan, Task, TaskUnit
from app.units.models import Unit, UnitSuccessor, today_province_id

SCOPE_PROVINCES = "access.scope_provinces"  # session.info: root unit id → `scope_province_id`
READ_ROLES = {Role.admin, Role.reviewer, Role.reporter, Role.viewer}
LOG_ROLES = {Role.admin, Role.reviewer, Role.reporter}


def is_national_admin(user: User) -> bool:
    """An admin tied to no unit: sees and manages the whole country."""
    return user.role == Role.admin and user.unit_id is None


def national_admin_condition() -> ColumnElement[bool]:
    """`is_national_admin` as a condition on `User`."""
    return and_(User.role == Role.admin, User.unit_id.is_(None))


def limited_to_agency(user: User) -> int | None:
    """The agency whose entries alone an officer bound to an agency sees and logs (admins are not
    bound to theirs); None when the user is not so limited."""
    return user.agency_id if user.role != Role.admin else None


def unit_scope_condition(user: User, scope_unit: Unit | None) -> ColumnElement[bool]:
    """A condition on `Unit` true for the units inside the user's scope."""
    if is_national_admin(user):
        return true()
    if scope_unit is None:
        return false()
    return scope_condition(scope_unit)


def scope_condition(root: Unit) -> ColumnElement[bool]:
    """The units a user scoped to `root` works in: its subtree and, for the officer of a legacy
    commune, the current commune(s) it went into on 1/7/2025 (the same people carry on logging
    there, so they must see and log what they do after the merger)."""
    condition = unit_subtree_condition(root)
    if root.level == "commune" and root.is_legacy:
        successors = select(UnitSuccessor.successor_id).where(UnitSuccessor.predecessor_id == root.id)
        condition = or_(condition, Unit.commune_id.in_(successors))
    return condition


def unit_subtree_condition(root: Unit) -> ColumnElement[bool]:
    """Units at or below `root`, including legacy units that went into a current root."""
    if root.level == "province":
        return or_(Unit.province_id == root.id, Unit.current_province_id == root.id)
    if root.level == "district":
        return Unit.district_id == root.id
    if root.level == "commune":
        predecessors = select(UnitSuccessor.predecessor_id).where(UnitSuccessor.successor_id == root.id)
        return or_(Unit.commune_id == root.id, Unit.commune_id.in_(predecessors))
    return Unit.id == root.id


def scope_unit(session: Session, user: User) -> Unit | None:
    if user.unit_id is None:
        return None
    return session.get(Unit, user.unit_id)


def visible_unit_ids(session: Session, user: User) -> Select:
    """SELECT of the ids of every unit the user may see (use with `.in_()`)."""
    return select(Unit.id).where(unit_scope_condition(user, scope_unit(session, user)))


def subtree_unit_ids(root: Unit) -> Select:
    return select(Unit.id).where(unit_subtree_condition(root))


def can_see_unit(session: Session, user: User, unit_id: int) -> bool:
    if is_national_admin(user):
        return session.get(Unit, unit_id) is not None
    if unit_id == user.unit_id:
        return True  # every scope holds its own unit
    root = scope_unit(session, user)
    if root is None:
        return False
    query = select(Unit.id).where(Unit.id == unit_id, scope_condition(root))
    return session.execute(query).first() is not None


def require_visible_unit(session: Session, user: User, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not can_see_unit(session, user, unit_id):
        raise NotFound()
    return unit


def can_add_village(session: Session, user: User, commune_id: int) -> bool:
    """Thôn and tổ dân phố under a commune: whoever may log work there."""
    return user.role in LOG_ROLES and can_see_unit(session, user, commune_id)


# --- activities -------------------------------------------------------------------------------

def activity_scope_condition(session: Session, user: User):
    """A condition on `Activity` for the entries the user may see. When the whole scope lies in one
    province, the entries' province is stated beside it: a condition the scope implies (it narrows
    nothing), which lets a page be read from an index over that province's entries alone."""
    if is_national_admin(user):
        return true()
    conditions = [Activity.unit_id.in_(visible_unit_ids(session, user))]
    if (province_id := scope_province_id(session, scope_unit(session, user))) is not None:
        conditions.append(Activity.province_id == province_id)
    if (agency_id := limited_to_agency(user)) is not None:
        conditions.append(Activity.agency_id == agency_id)
    return and_(*conditions)


def scope_province_id(session: Session, root: Unit | None) -> int | None:
    """The province (within today's boundaries, `units.models.today_province_id`) that every unit of
    the scope of `root` lies in, or None when the scope spans several. Read from the units themselves, so
    it holds whatever the scope's shape (a legacy commune's scope reaches into its successors); read
    once per session (a request states the scope in several queries)."""
    if root is None:
        return None
    known = session.info.setdefault(SCOPE_PROVINCES, {})
    if root.id not in known:
        query = select(today_province_id()).where(scope_condition(root)).distinct().limit(2)
        found = list(session.execute(query).scalars())
        known[root.id] = found[0] if len(found) == 1 else None
    return known[root.id]


def deleted_activity_scope_condition(session: Session, user: User):
    """A condition on `AuditEntry` for the deletions of entries the user could see: those of the
    units in scope (the feed tells an integrator which ids to drop; it holds no entry's content)."""
    return _audit_units_condition(session, user)


def can_log_activity(session: Session, user: User, unit_id: int, agency_id: int | None) -> bool:
    if user.role not in LOG_ROLES:
        return False
    if limited_to_agency(user) not in (None, agency_id):
        return False
    return can_see_unit(session, user, unit_id)


def can_edit_activity(user: User, activity) -> bool:
    """Edit, submit or delete: the author (or a reviewer/admin) while not submitted or approved."""
    if activity.status not in ("draft", "returned"):
        return False
    if user.role == Role.admin:
        return True
    if user.role == Role.reviewer:
        return True
    return user.role == Role.reporter and activity.created_by_id == user.id


def can_add_evidence(user: User, activity) -> bool:
    """Photos and scans: whoever may edit, and the author until the entry is approved (photos
    often follow the entry itself, from a phone that was offline)."""
    if can_edit_activity(user, activity):
        return True
    return activity.status == "submitted" and activity.created_by_id == user.id


def can_review_activity(session: Session, user: User, activity) -> bool:
    """Approve, return or reopen: a reviewer of a unit above the entry's unit, or of the same
    unit when the entry is province-level work."""
    if user.role == Role.admin:
        return True
    if user.role != Role.reviewer or user.unit_id is None:
        return False
    if activity.unit_id == user.unit_id:
        unit = session.get(Unit, activity.unit_id)
        return unit is not None and unit.level == "province"
    return can_see_unit(session, user, activity.unit_id)


# --- plans ------------------------------------------------------------------------------------

def can_create_plans(user: User) -> bool:
    """Admins and reviewers create plans (of the units `can_manage_plans_of` allows)."""
    return user.role in (Role.admin, Role.reviewer)


def can_manage_plans_of(session: Session, user: User, unit_id: int) -> bool:
    """Create or change plans and tasks of a unit: admins, and reviewers of that unit or above."""
    if user.role == Role.admin:
        return True
    return user.role == Role.reviewer and can_see_unit(session, user, unit_id)


def plan_scope_condition(session: Session, user: User) -> ColumnElement[bool]:
    """A condition on `Plan`: its unit is visible, or one of its tasks is assigned to a visible
    unit (a commune officer sees the provincial plan that gives the commune tasks)."""
    if is_national_admin(user):
        return true()
    visible = visible_unit_ids(session, user)
    assigned = exists(select(TaskUnit.task_id).join(Task, Task.id == TaskUnit.task_id)
                      .where(Task.plan_id == Plan.id, TaskUnit.unit_id.in_(visible)))
    return or_(Plan.unit_id.in_(visible), assigned)


# --- users ------------------------------------------------------------------------------------

def can_manage_user(session: Session, actor: User, role: Role, unit_id: int | None, agency_id: int | None = None) -> bool:
    """Nobody grants more than they hold: reviewers manage reporters and viewers of their scope."""
    if actor.role == Role.admin:
        return True
    if actor.role != Role.reviewer or role not in (Role.reporter, Role.viewer):
        return False
    if ROLE_RANK[role] > ROLE_RANK[actor.role] or unit_id is None:
        return False
    if actor.agency_id is not None and agency_id != actor.agency_id:
        return False
    return can_see_unit(session, actor, unit_id)


def can_read_audit(user: User) -> bool:
    return user.role in (Role.admin, Role.reviewer)


# --- accounts and audit -----------------------------------------------------------------------

def user_scope_condition(session: Session, actor: User) -> ColumnElement[bool]:
    """A condition on `User` for the accounts the actor may see: admins all, reviewers those of
    their scope (and agency), everyone else only themselves."""
    if is_national_admin(actor):
        return true()
    if actor.role in (Role.admin, Role.reviewer):
        conditions = [User.unit_id.in_(visible_unit_ids(session, actor))]
        if (agency_id := limited_to_agency(actor)) is not None:
            conditions.append(User.agency_id == agency_id)
        return or_(User.id == actor.id, and_(*conditions))
    return User.id == actor.id


def can_list_users(actor: User) -> bool:
    return actor.role in (Role.admin, Role.reviewer)


def token_scope_condition(actor: User):
    """A condition on `ApiToken`: owners see theirs, admins every token."""
    if actor.role == Role.admin:
        return true()
    return ApiToken.user_id == actor.id


def audit_scope_condition(session: Session, actor: User):
    """A condition on `AuditEntry`: admins all, reviewers the entries of their scope's units."""
    return _audit_units_condition(session, actor) if can_read_audit(actor) else false()


def _audit_units_condition(session: Session, user: User):
    if is_national_admin(user):
        return true()
    return AuditEntry.unit_id.in_(visible_unit_ids(session, user))


def review_queue_condition(session: Session, user: User):
    """A condition on `Activity` for the entries the user may review (same rule as
    `can_review_activity`): below the reviewer's unit, or at it when it is a province."""
    return and_(activity_scope_condition(session, user), reviewable_within_scope_condition(session, user))


def reviewable_within_scope_condition(session: Session, user: User):
    """What `review_queue_condition` adds to `activity_scope_condition`, for a query that already
    holds the scope (stating the scope twice makes PostgreSQL expect far fewer rows than there
    are, and choose a plan that sorts the whole queue)."""
    if user.role == Role.admin:
        return true()
    if user.role != Role.reviewer or user.unit_id is None:
        return false()
    own = session.get(Unit, user.unit_id)
    if own is not None and own.level == "province":
        return true()
    return Activity.unit_id != user.unit_id
