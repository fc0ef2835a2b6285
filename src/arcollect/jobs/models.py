"""The job record (``job_runs``): one row per job — what ran, where, how often, how long, its progress and its
last error. On PostgreSQL it sits beside procrastinate's own queue (``job_id`` is procrastinate's job id); on
SQLite, where jobs run in-process, it is the only record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime

STATUSES = ("doing", "succeeded", "failed")


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('doing', 'succeeded', 'failed')", name="ck_job_runs_status"),
        Index("ix_job_runs_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    job_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)  # procrastinate's (PostgreSQL)
    task: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="doing")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    worker: Mapped[str] = mapped_column(String(128))  # host:pid of the process that ran it last
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    seconds: Mapped[float | None] = mapped_column(Float)
    done: Mapped[int] = mapped_column(Integer, default=0)  # progress: done of total (0 of 0: not told)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)
