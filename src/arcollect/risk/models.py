"""The stored payment-prediction models: each training run is a new version, the latest one is used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime


class PredictionModel(Base):
    __tablename__ = "prediction_models"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="lightgbm")
    as_of: Mapped[dt.date] = mapped_column(Date)  # learnt from what was settled before this date
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    trained_by: Mapped[str] = mapped_column(String(128))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
