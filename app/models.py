"""Imports every table so that metadata (Alembic, tests) sees the whole schema, and the session hooks that
keep the activity summary exact with them: whatever loads the tables can write activities."""
from app.accounts.models import ApiToken, AuthSession, LoginThrottle, User  # noqa: F401
from app.activities.models import Activity, ActivityTask, Evidence  # noqa: F401
from app.agencies.models import Agency  # noqa: F401
from app.audit.models import AuditEntry  # noqa: F401
from app.plans.models import Plan, Target, Task, TaskPartner, TaskUnit  # noqa: F401
from app.progress.models import ActivitySummary  # noqa: F401
from app.units.models import Unit, UnitSuccessor  # noqa: F401
from app.activities import provinces  # noqa: F401,E402 - installs the hooks that give each entry its province
from app.progress import summary  # noqa: F401,E402 - installs the activity summary's session hooks
