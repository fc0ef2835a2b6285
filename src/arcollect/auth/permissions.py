"""Roles → permissions, and the Principal (who is calling, what they may do and see). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from arcollect.errors import PermissionDenied
from arcollect.ledger.service import CustomerScope, ImportRights

READ = "ledger:read"              # customers, documents, aging, dashboard
EDIT_CUSTOMER = "customer:edit"   # contact details of a customer in scope
IMPORT = "ledger:import"          # upload ERP files
ASSIGN = "portfolio:assign"       # move customers between collectors and teams
ADMIN = "users:admin"             # users, roles, teams, everyone's tokens
WORK = "collections:work"         # log calls and notes, record promises, work and snooze actions, flag disputes
PLAYBOOK = "playbook:edit"        # load a new playbook version, edit the message templates
DISPUTE = "disputes:work"         # open disputes, move them through the workflow, add action items
ANSWER = "cases:answer"           # stakeholders: read and answer the cases routed to their team
ESCALATE = "escalations:work"     # propose escalations and decide them (the escalation matrix says at what amount)
CASH = "cash:apply"               # import bank files, match, apply, unapply and exclude bank lines, see unidentified cash
CLOSE = "periods:close"           # see the periods, close a month (reopening one is for admins: periods.service checks)
SOPS = "sops:edit"                # upload and delete the team's SOPs (everyone signed in reads them)

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({READ, EDIT_CUSTOMER, IMPORT, ASSIGN, ADMIN, WORK, PLAYBOOK, DISPUTE, ESCALATE, CASH, CLOSE, SOPS}),
    "manager": frozenset({READ, EDIT_CUSTOMER, IMPORT, ASSIGN, WORK, DISPUTE, ESCALATE, CASH, CLOSE}),
    "collector": frozenset({READ, EDIT_CUSTOMER, WORK, DISPUTE, ESCALATE}),
    "cash_app": frozenset({READ, IMPORT, CASH}),
    # Stakeholders work on the cases routed to their team (disputes), not on the portfolio.
    "stakeholder": frozenset({ANSWER}),
    "viewer": frozenset({READ}),
}

# What each permission lets a person do, in the words a refusal uses ("Your role (viewer) cannot …"): the one
# table from permission codes to plain words — pages and API answers never show the codes themselves.
PLAIN: dict[str, str] = {
    READ: "open customer accounts, documents and the aging",
    EDIT_CUSTOMER: "change a customer's contact details",
    IMPORT: "import ERP or bank files",
    ASSIGN: "manage a team's work (assign portfolios, approve outgoing messages, triage replies)",
    ADMIN: "administer users and API tokens",
    WORK: "work accounts (log calls, record promises, close actions)",
    PLAYBOOK: "change the playbook or the message templates",
    DISPUTE: "open or move disputes",
    ANSWER: "answer the cases routed to a team",
    ESCALATE: "propose or decide escalations",
    CASH: "apply bank cash (import bank files, match, apply, unapply or exclude bank lines)",
    CLOSE: "close accounting months",
    SOPS: "upload or delete the team's SOPs",
}
assert set(PLAIN) == set().union(*PERMISSIONS.values()), "every permission has its plain words"


def refusal(role: str, *permissions: str) -> str:
    """The sentence a refused request shows: ``Your role (collector) cannot import ERP or bank files.``"""
    words = " or ".join(PLAIN.get(p, "do this") for p in permissions) or "do this"
    return f"Your role ({role.replace('_', ' ')}) cannot {words}."


@dataclass(frozen=True)
class Principal:
    user_pk: int
    login: str
    role: str
    team: str | None = None
    team_collectors: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def scope(self) -> CustomerScope:
        """Collectors: their portfolio. Managers in a team: the team's customers and its
        collectors' portfolios. Everyone else with read access: every customer."""
        if self.role == "collector":
            return CustomerScope(collectors=(self.login,))
        if self.role == "manager" and self.team:
            return CustomerScope(collectors=self.team_collectors, teams=(self.team,))
        if self.role == "stakeholder":
            return CustomerScope()
        return CustomerScope.all()

    def worklist_of(self, collector: str | None) -> str | None:
        """Whose worklist the caller reads: a collector only their own (another's is refused); anyone
        else the collector named, or every one in their scope."""
        if self.role == "collector":
            if collector not in (None, "", self.login):
                raise PermissionDenied("a collector reads their own worklist")
            return self.login
        return collector or None

    @property
    def import_rights(self) -> ImportRights:
        """What the caller's imports may touch: their portfolio; collectors changed only with ASSIGN."""
        return ImportRights(scope=self.scope, may_assign=self.can(ASSIGN),
                            team=self.team if self.role == "manager" else None)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, *permissions: str) -> None:
        """PermissionDenied unless the role has one of ``permissions``."""
        if not any(p in self.permissions for p in permissions):
            raise PermissionDenied(refusal(self.role, *permissions))


def principal_for(*, user_pk: int, login: str, role: str, team: str | None = None,
                  team_collectors: tuple[str, ...] = ()) -> Principal:
    return Principal(user_pk, login, role, team, team_collectors, PERMISSIONS[role])
