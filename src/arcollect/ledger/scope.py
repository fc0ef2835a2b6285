"""Which customers a caller may see: everything, or the portfolios of some collectors and teams.

Built by auth from the signed-in user; applied by every ledger read (pages, API, exports, counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_

from arcollect.ledger.models import Customer


@dataclass(frozen=True)
class CustomerScope:
    everything: bool = False
    collectors: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @classmethod
    def all(cls) -> "CustomerScope":
        return cls(everything=True)

    def condition(self) -> Any | None:
        """A WHERE condition on ``customers`` (None: no restriction)."""
        if self.everything:
            return None
        parts = []
        if self.collectors:
            parts.append(Customer.collector.in_(self.collectors))
        if self.teams:
            parts.append(Customer.team.in_(self.teams))
        return or_(*parts) if parts else false()

    def allows(self, collector: str | None, team: str | None) -> bool:
        return self.everything or (collector in self.collectors) or (team is not None and team in self.teams)


EVERYTHING = CustomerScope.all()


@dataclass(frozen=True)
class ImportRights:
    """What an import may touch: the caller's portfolio, whether it may move customers between collectors
    (``portfolio:assign``), and the team new customers of a team's manager join (so that they stay visible)."""

    scope: CustomerScope = EVERYTHING
    may_assign: bool = True
    team: str | None = None


FULL_RIGHTS = ImportRights()  # the CLI and the system: everything
