"""Changes to agencies: reviewers add the agencies a plan names that Loa does not know yet."""
from sqlalchemy import select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.agencies.models import Agency, AgencyCreate
from app.audit.services import record, snapshot
from app.core.text import search_key
from app.units.models import Unit


class AgencyInputError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def create_agency(session: Session, data: AgencyCreate, *, user: User) -> Agency:
    if session.get(Unit, data.unit_id) is None:
        raise AgencyInputError("unit_id", "Không có đơn vị này.")
    if not access.can_manage_plans_of(session, user, data.unit_id):
        raise access.Forbidden()
    name = data.name.strip()
    key = search_key(name)
    duplicate = select(Agency.id).where(Agency.unit_id == data.unit_id, Agency.search_name == key)
    if session.execute(duplicate).first():
        raise AgencyInputError("name", "Đơn vị này đã có cơ quan cùng tên.")
    if data.successor_id is not None and session.get(Agency, data.successor_id) is None:
        raise AgencyInputError("successor_id", "Không có cơ quan kế thừa này.")
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        raise AgencyInputError("valid_to", "Ngày hết hiệu lực phải sau ngày bắt đầu.")
    agency = Agency(**data.model_dump(exclude={"name"}), name=name, search_name=key)
    session.add(agency)
    session.flush()
    record(session, user=user, entity="agency", entity_id=agency.id, action="create", after=snapshot(agency),
           unit_id=agency.unit_id)
    return agency
