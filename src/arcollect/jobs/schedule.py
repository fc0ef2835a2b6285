"""When jobs run (pure): each collector's morning in their time zone, cron lines, chunks of work."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


def collector_zones(spec: str) -> dict[str, str]:
    """``"ana=Europe/Berlin,bo=America/Chicago"`` → {login: zone} (validated by Settings)."""
    zones = {}
    for part in spec.split(","):
        login, sep, zone = part.partition("=")
        if sep and login.strip():
            zones[login.strip()] = zone.strip()
    return zones


def mornings(at: dt.datetime, collectors: Iterable[str | None], *, hour: int, zones: dict[str, str],
             default_zone: str) -> list[tuple[str | None, dt.date]]:
    """The collectors (None: the customers nobody is assigned to) whose local hour at the instant ``at`` is
    the morning ``hour``, each with their local date — the day their daily run is for. Called once an hour."""
    due = []
    for collector in collectors:
        local = at.astimezone(ZoneInfo(zones.get(collector or "", default_zone)))
        if local.hour == hour:
            due.append((collector, local.date()))
    return due


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """Consecutive slices of at most ``size`` items (the units of work spread across workers)."""
    return [list(items[i:i + size]) for i in range(0, len(items), max(1, size))]


def periodic(settings) -> list[tuple[str, str]]:  # noqa: ANN001
    """(task, cron line in UTC) of the scheduled jobs: the daily runs are looked for every hour on the hour
    (each collector's own morning), due dunning emails sent every five minutes, mail fetched every few minutes
    (when a mailbox is set up), the weekly portfolio report and the model's retraining on their cron lines."""
    lines = [("morning", "0 * * * *"), ("send_outbox", "*/5 * * * *"),
             ("weekly_report", settings.jobs_weekly_report_cron), ("train_model", settings.jobs_train_cron)]
    if settings.imap_host:
        lines.append(("fetch_mail", f"*/{settings.jobs_mail_fetch_minutes} * * * *"))
    return lines
