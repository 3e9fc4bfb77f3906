"""Agencies (cơ quan, đơn vị) that lead or partner in tasks and carry out activities.

Agencies are dated like units: the 2025 reorganisation merged departments, so an agency has a
validity period and may name its successor.
"""
from datetime import date
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.clock import within
from app.core.schemas import STRICT, read_only_ignored


class AgencyKind(StrEnum):
    people_committee = "people_committee"
    department = "department"
    station = "station"
    newspaper = "newspaper"
    mass_organisation = "mass_organisation"
    other = "other"


AGENCY_KIND_LABELS = {
    "people_committee": "Ủy ban nhân dân",
    "department": "Sở, ngành",
    "station": "Đài phát thanh – truyền hình",
    "newspaper": "Báo",
    "mass_organisation": "Mặt trận, đoàn thể",
    "other": "Khác",
}


class AgencyBase(SQLModel):
    name: str = Field(min_length=2, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    kind: AgencyKind = Field(default=AgencyKind.other, max_length=32)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: int | None = Field(default=None, foreign_key="agency.id")


class Agency(AgencyBase, table=True):
    # The order of the agency list (its keyset is a row comparison on these columns).
    __table_args__ = (Index("ix_agency_search_name_id", "search_name", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    search_name: str = Field(default="", max_length=300)

    def is_valid_on(self, day: date) -> bool:
        return within(day, self.valid_from, self.valid_to)


class AgencyCreate(AgencyBase):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: AgencyPublic)
    pass


class AgencyPublic(AgencyBase):
    id: int
