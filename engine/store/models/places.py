"""Tables of a centre's places: rooms and places, who stays where, the waiting list, turn-aways, and
occupancy by day (``engine.people.places``, ``engine.reports.occupancy``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.models.core import Base, UTCDateTime, new_public_id


class Room(Base):
    """A room of a residential centre. A family room keeps a mother and her children together."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("centre_id", "name", name="uq_room_centre_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    family: Mapped[bool] = mapped_column(Boolean, default=False)


class Place(Base):
    """A bed: who may take it (adult, child or anyone; women only)."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("room_id", "label", name="uq_place_room_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    occupant: Mapped[str] = mapped_column(String(10), default="any")  # adult | child | any
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)

    room: Mapped[Room] = relationship(lazy="joined")


class PlaceStay(Base):
    """A case's person on a place. The place is taken while the case is staying (centres.staying)."""

    __tablename__ = "place_stay"
    __table_args__ = (Index("ix_place_stay_place_until", "place_id", "until_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    from_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WaitingEntry(Base):
    """A person waiting for a place: resolved when admitted or withdrawn."""

    __tablename__ = "waiting_entry"
    __table_args__ = (Index("ix_waiting_entry_centre_resolved", "centre_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(200))
    target_group: Mapped[str] = mapped_column(String(40))
    sex: Mapped[str] = mapped_column(String(10), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str] = mapped_column(String(20), default="")  # admitted | withdrawn


class TurnAway(Base):
    """A person the centre could not take, and why: a figure the municipality asks for (no names)."""

    __tablename__ = "turn_away"
    __table_args__ = (Index("ix_turn_away_centre_at", "centre_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(30))  # no_place | outside_target_group | safety
    target_group: Mapped[str] = mapped_column(String(40), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class OccupancyDay(Base):
    """Residents of a centre at the end of a day (Sofia), for the occupancy chart."""

    __tablename__ = "occupancy_day"

    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    residents: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
