"""Administrative units of both eras (before and after the reorganisation of 1/7/2025).

Loaded units get deterministic ids (see `loader.unit_id`) so that a URL names the same unit on
every installation; villages added by users take ids from the database sequence, far below them.
"""
from datetime import date
from enum import StrEnum

from sqlalchemy import Index, func
from sqlmodel import Field, SQLModel

from app.core.clock import within
from app.core.schemas import STRICT, read_only_ignored

LEGACY_END = date(2025, 6, 30)
CURRENT_START = date(2025, 7, 1)


class Level(StrEnum):
    province = "province"
    district = "district"
    commune = "commune"
    village = "village"


LEVEL_LABELS = {"province": "Tỉnh/thành phố", "district": "Huyện", "commune": "Xã/phường", "village": "Thôn/tổ dân phố"}


class UnitBase(SQLModel):
    code: str = Field(max_length=16, index=True)
    name: str = Field(max_length=200)
    short_name: str = Field(max_length=200)
    level: Level = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    valid_from: date | None = None
    valid_to: date | None = None


class Unit(UnitBase, table=True):
    __table_args__ = (
        Index("ix_unit_level_valid", "level", "valid_from", "valid_to"),
        Index("ix_unit_code_level", "code", "level"),
        # The order of the unit list (its keyset is a row comparison on these columns).
        Index("ix_unit_search_name_id", "search_name", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    search_name: str = Field(default="", max_length=200)
    # Ancestors, denormalised so that scope checks and roll-ups are single indexed lookups.
    province_id: int | None = Field(default=None, index=True)
    district_id: int | None = Field(default=None, index=True)
    commune_id: int | None = Field(default=None, index=True)
    # Where the unit lies within today's boundaries: its own ids for current units, the default
    # successor's for legacy ones (None for districts, which have no successor).
    current_province_id: int | None = Field(default=None, index=True)
    current_commune_id: int | None = Field(default=None, index=True)

    def is_valid_on(self, day: date) -> bool:
        return within(day, self.valid_from, self.valid_to)

    @property
    def is_legacy(self) -> bool:
        return self.valid_to is not None and self.valid_to < CURRENT_START

    @property
    def provinces(self) -> set[int]:
        """The province the unit lies in, and for a legacy unit also the current province it went into."""
        return {p for p in (self.province_id, self.current_province_id) if p is not None}


def today_province_id():
    """The province a unit lies in within today's boundaries, as an SQL expression on `Unit`: its
    own for a current unit, the one a legacy unit went into (its legacy province when it went into
    none). Entries carry it (`Activity.province_id`)."""
    return func.coalesce(Unit.current_province_id, Unit.province_id)


class UnitSuccessor(SQLModel, table=True):
    """A legacy unit went (wholly or partly) into a current unit on 1/7/2025."""

    __tablename__ = "unit_successor"
    predecessor_id: int = Field(foreign_key="unit.id", primary_key=True)
    successor_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    is_default: bool = True


class UnitRef(SQLModel):
    id: int
    code: str
    name: str
    level: Level
    valid_from: date | None
    valid_to: date | None


class UnitPublic(UnitBase):
    id: int


class UnitSuccessorRef(UnitRef):
    is_default: bool


class UnitDetail(UnitPublic):
    parents: list[UnitRef]
    children_count: int
    predecessors: list[UnitSuccessorRef]
    successors: list[UnitSuccessorRef]


class VillageCreate(SQLModel):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: UnitPublic)
    name: str = Field(min_length=2, max_length=200)
    code: str | None = Field(default=None, max_length=16)
