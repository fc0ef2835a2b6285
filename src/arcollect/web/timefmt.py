"""Times on the workspace pages in the viewer's zone, with the zone named ("2026-11-23 10:30 CET").

The viewer's zone is the installation's (``ARCOLLECT_TIMEZONE``); users have no zone of their own yet.
Installed as the Jinja filter ``localtime`` by :func:`install`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from arcollect import calendar


def localtime(value: Any, zone: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime or ISO string shown in ``zone`` with the zone's name; naive values are UTC."""
    if value in (None, ""):
        return ""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, dt.datetime):
        return str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    tz = calendar.zone(zone)
    local = when.astimezone(tz)
    name = local.tzname() or tz.key
    if name[:1] in "+-":  # zones without an abbreviation ("+04"): name the zone itself
        name = tz.key
    return f"{local.strftime(fmt)} {name}"


def install(env: Any, zone_of: Any) -> None:
    """Register ``localtime`` on a Jinja environment; ``zone_of(context)`` gives the viewer's zone."""
    from jinja2 import pass_context

    @pass_context
    def _filter(context: Any, value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return localtime(value, zone_of(context), fmt)

    env.filters.setdefault("localtime", _filter)
