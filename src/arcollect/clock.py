"""The one clock: everything that needs 'now' or 'today' asks a Clock, so tests can set time."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that stays where a test puts it."""

    def __init__(self, at: dt.datetime | dt.date) -> None:
        if isinstance(at, dt.datetime):
            self._at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
        else:
            self._at = dt.datetime(at.year, at.month, at.day, 12, tzinfo=dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._at

    def today(self) -> dt.date:
        return self._at.date()

    def advance(self, delta: dt.timedelta) -> None:
        self._at = self._at + delta
