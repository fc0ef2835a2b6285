"""Who sees which disputes: collectors and managers those of the customers in their scope, stakeholders
(no portfolio) only those routed to their team; and what the caller's role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arcollect.auth.permissions import ANSWER, READ, Principal
from arcollect.disputes.models import Dispute
from arcollect.errors import PermissionDenied
from arcollect.ledger.scope import EVERYTHING, CustomerScope


@dataclass(frozen=True)
class CaseScope:
    """The customers whose disputes the caller sees, or (stakeholders) the team the disputes are routed to."""

    customers: CustomerScope = EVERYTHING
    team: str | None = None
    principal: Principal | None = None  # who acts; None: the operator (CLI, scheduled runs), who may do all

    def condition(self) -> Any | None:
        if self.team is not None:
            return Dispute.team == self.team
        return self.customers.condition()

    def require(self, *permissions: str) -> None:
        """PermissionDenied unless the caller's role has one of ``permissions``."""
        if self.principal is not None:
            self.principal.require(*permissions)


ALL_CASES = CaseScope()


def case_scope(principal: Principal) -> CaseScope:
    """Stakeholders read and answer the cases routed to their team (none without a team); everyone else
    with read access their customers'. PermissionDenied for a role that may read neither."""
    if principal.role == "stakeholder" and principal.can(ANSWER):
        # "": no case is routed to no team
        return CaseScope(customers=CustomerScope(), team=principal.team or "", principal=principal)
    if principal.can(READ):
        return CaseScope(customers=principal.scope, principal=principal)
    raise PermissionDenied(f"role {principal.role!r} may not read disputes")
