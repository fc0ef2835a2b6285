"""Playbook use cases: validate, load (a new version each time), show, list versions, diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from arcollect import versions as versions_
from arcollect.context import Context
from arcollect.errors import NotFound
from arcollect.playbook.models import PlaybookVersion
from arcollect.playbook.rules import Playbook, default_text, parse

MAX_SOURCE = 200_000


@dataclass(frozen=True)
class Active:
    version: int  # 0: the built-in default, never loaded
    playbook: Playbook
    source: str


@lru_cache(maxsize=16)
def _parsed(source: str) -> Playbook:
    return parse(source)


def validate(text: str, *, source: str = "playbook") -> Playbook:
    """Parse and validate; InvalidInput lists every problem with its line and field."""
    if len(text) > MAX_SOURCE:
        from arcollect.errors import InvalidInput

        raise InvalidInput(f"{source}: a playbook is at most {MAX_SOURCE} characters")
    return parse(text, source=source)


def active(ctx: Context) -> Active:
    """The playbook in force: the last one loaded, else the built-in default (version 0)."""
    with ctx.sessions() as session:
        row = versions_.latest(session, PlaybookVersion)
    if row is None:
        text = default_text()
        return Active(0, _parsed(text), text)
    return Active(row[0], _parsed(row[1]), row[1])


def load(ctx: Context, *, text: str, source: str = "playbook") -> dict[str, Any]:
    """Validate and store as the next version (nothing new if it equals the one in force); audited."""
    playbook = validate(text, source=source)
    with ctx.unit_of_work() as session:
        return versions_.store(session, PlaybookVersion, name=playbook.name, text=text, now=ctx.clock.now(),
                               actor=ctx.actor, entity="playbook",
                               changes={"segments": [s.name for s in playbook.segments]})


def versions(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        rows = session.execute(select(PlaybookVersion.version, PlaybookVersion.name, PlaybookVersion.loaded_at,
                                      PlaybookVersion.loaded_by, PlaybookVersion.sha256)
                               .order_by(PlaybookVersion.version.desc())).all()
    return [r._asdict() for r in rows]


def source_of(ctx: Context, *, version: int | None = None) -> tuple[int, str]:
    if version is None:
        current = active(ctx)
        return current.version, current.source
    if version == 0:
        return 0, default_text()
    with ctx.sessions() as session:
        text = session.scalar(select(PlaybookVersion.source).where(PlaybookVersion.version == version))
    if text is None:
        raise NotFound(f"playbook version {version} not found")
    return version, text


def diff(ctx: Context, *, text: str, against: int | None = None) -> str:
    """A unified diff from a stored version (default: the one in force) to ``text``."""
    version, old = source_of(ctx, version=against)
    lines = difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                 fromfile=f"version {version}", tofile="new")
    return "".join(lines)


def summary(playbook: Playbook) -> list[dict[str, Any]]:
    """Segments and their steps as plain data (show / API / web)."""
    return [{"name": s.name, "description": s.description,
             "when": s.when.model_dump(exclude_none=True),
             "steps": [st.model_dump(exclude_defaults=True) | {"id": st.id, "channel": st.channel,
                                                                "from_day": st.from_day} for st in s.steps]}
            for s in playbook.segments]
