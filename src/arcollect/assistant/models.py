"""The assistant's tables: the team's SOPs (markdown documents admins upload — escalation matrix, credit
policy), searched with everything else by ``assistant ask``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime


class SopDocument(Base):
    """One uploaded SOP: its title, the markdown as uploaded (rendered safely when shown), who and when."""

    __tablename__ = "sop_documents"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(128))
