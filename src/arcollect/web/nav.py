"""The main navigation: which pages a signed-in user is offered, in groups (Work, Manage, Settings). A link is
shown when the user's role has the permission its page checks — the same constants the routes pass to
``require``/``needs`` (auth.permissions is the one source of truth; no role names here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from arcollect.auth.permissions import ADMIN, ANSWER, ASSIGN, CASH, CLOSE, IMPORT, PLAYBOOK, READ, SOPS, WORK, Principal

Rule = Callable[[Principal], bool]


def _can(*permissions: str) -> Rule:
    return lambda p: any(p.can(x) for x in permissions)


def _reads_reports(p: Principal) -> bool:
    """The dashboard, the Reports page (metrics, roll-forward, causes) and the aging are for those who oversee
    the work (ASSIGN) or whose job is reading the book (read access without working accounts: viewers, cash
    application — who see every customer, as the pages do for them); a collector's day starts from their
    worklist (the pages still open for them, on their own portfolio)."""
    return p.can(READ) and (p.can(ASSIGN) or not p.can(WORK))


@dataclass(frozen=True)
class Link:
    key: str          # the page's ``nav`` value (marks the current page)
    label: str
    href: str
    shown: Rule


@dataclass(frozen=True)
class Group:
    label: str
    links: tuple[Link, ...]
    fold: bool = False  # a drop-down on wide screens (the settings: visited rarely)


GROUPS: tuple[Group, ...] = (
    Group("Work", (
        Link("worklist", "My day", "/worklist", _can(WORK)),
        Link("inbox", "Inbox", "/inbox", _can(ANSWER)),
        Link("customers", "Accounts", "/customers", _can(READ)),
        Link("outbox", "Outbox", "/outbox", _can(READ)),
        Link("disputes", "Disputes", "/disputes", _can(READ, ANSWER)),
        Link("cash", "Cash", "/cash", _can(CASH)),  # the cash application page (bank lines, review queue)
    )),
    Group("Manage", (
        Link("team", "Team", "/worklist/team", _can(ASSIGN)),
        Link("escalations", "Escalations", "/escalations", lambda p: p.can(READ) and p.can(ASSIGN)),
        Link("triage", "Triage", "/inbound/triage", _can(ASSIGN, WORK)),  # replies: proposals to approve, mail to link
        Link("dashboard", "Dashboard", "/", _reads_reports),
        Link("reports", "Reports", "/reports", _reads_reports),
        Link("aging", "Aging", "/aging", _reads_reports),
    )),
    Group("Settings", (
        Link("playbook", "Playbook", "/playbook", _can(PLAYBOOK)),
        Link("templates", "Templates", "/templates", _can(PLAYBOOK)),
        Link("admin", "Users", "/admin", _can(ADMIN)),
        Link("imports", "Imports", "/imports", _can(IMPORT)),
        Link("periods", "Periods", "/periods", _can(CLOSE)),  # month-end close
        Link("jobs", "Jobs", "/admin/jobs", _can(ADMIN)),  # background jobs and their progress
        Link("assistant", "Assistant", "/admin/assistant", _can(ADMIN)),  # auto-approval rules, answers for drafts
        Link("sops", "SOPs", "/sops", _can(SOPS)),  # upload/delete; everyone reads them from the search page
    ), fold=True),
)


@dataclass(frozen=True)
class MenuGroup:
    label: str
    links: tuple[Link, ...]
    fold: bool
    current: bool  # the page shown is one of the group's


def menu(principal: Principal, current: str | None = None) -> list[MenuGroup]:
    """The groups and links ``principal`` is offered (empty groups left out)."""
    out = []
    for group in GROUPS:
        links = tuple(link for link in group.links if link.shown(principal))
        if links:
            out.append(MenuGroup(group.label, links, group.fold, any(link.key == current for link in links)))
    return out


def can_search(principal: Principal) -> bool:
    """The header's search box (everything: accounts, invoices, mail, notes, disputes, SOPs) is for those who may
    open customers; a stakeholder works from their inbox and dispute list."""
    return principal.can(READ)


def hrefs(principal: Principal) -> list[str]:
    """Every page the menu offers ``principal`` (tests: each one opens for them)."""
    return [link.href for group in menu(principal) for link in group.links]
