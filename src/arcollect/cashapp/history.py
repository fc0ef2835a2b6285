"""A bank line's history in words, for its detail page (pure): the audit rows of the line — matched, applied,
unapplied (the reversal of what was applied), moved from one customer or invoice to another, written off or sent
for approval, excluded — each told as a finance user reads it, amounts formatted in the line's currency.

The rows of one move (its reversal — an unapply whose reason starts "moved: " —, the new application, what it
taught, the move itself, written in that order) are told once, as the move."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from arcollect.money import format_money

# the reason codes of a write-off, in words (CLI --reason, API, the web form's select)
WRITEOFF_REASONS: dict[str, str] = {
    "bank_fee": "Bank fee deducted by the payer's or an intermediary bank",
    "discount": "Early-payment discount taken",
    "deduction": "Deduction accepted (the payer kept it back)",
    "fx_difference": "Exchange-rate difference",
    "small_balance": "Small balance not worth collecting",
    "rounding": "Rounding difference",
}


@dataclass(frozen=True)
class Entry:
    """One audit row of a bank line, as read from the log."""
    at: dt.datetime
    actor: str
    action: str
    changes: Mapping[str, Any]


def _money(value: Any, currency: str) -> str:
    try:
        return format_money(Decimal(str(value)), currency)
    except (ArithmeticError, ValueError):
        return str(value)


def _spread(applications: Sequence[Mapping[str, Any]] | None, currency: str, empty: str = "no invoice") -> str:
    parts = [f"{a.get('invoice_id')} {_money(a.get('amount'), currency)}" for a in applications or []]
    return ", ".join(parts) or empty


def _rest(value: Any, currency: str) -> str:
    try:
        return f"; {_money(value, currency)} on account" if value is not None and Decimal(str(value)) > 0 else ""
    except ArithmeticError:
        return ""


def _who(actor: str, by: str | None = None) -> str:
    return "the matcher" if by == "rule" else actor


def _invoices(amounts: Mapping[str, Any] | None, currency: str) -> str:
    return ", ".join(f"{_money(a, currency)} of {i}" for i, a in (amounts or {}).items()) or "—"


def told(entries: Sequence[Entry], *, currency: str) -> list[dict[str, Any]]:
    """The line's events, oldest first: ``{"at", "actor", "kind", "title", "detail"}``."""
    events: list[dict[str, Any]] = []
    in_force: list[Mapping[str, Any]] = []  # what the line's payment applies, as the history goes
    in_move = False  # between a move's reversal and its own row: the rows of the move
    for e in entries:
        c, title, detail = e.changes or {}, None, ""
        if e.action == "unapply" and str(c.get("reason") or "").startswith("moved: "):
            in_move = True
            continue  # told as the move
        if e.action == "apply" and in_move:
            in_force = list(c.get("applications") or [])
            continue
        if e.action == "move":
            in_move = False
        if e.action == "match":
            status = c.get("status")
            title = {"proposed": "Proposals ranked for review", "unmatched": "Matched: no customer identified"
                     }.get(status, f"Matched: {status}")
            detail = "; ".join(c.get("reasons") or [])
        elif e.action == "apply":
            in_force = list(c.get("applications") or [])
            title = f"Applied to {c.get('customer')} by {_who(e.actor, c.get('by'))}"
            detail = (_spread(in_force, currency) + _rest(c.get("unapplied"), currency) if in_force
                      else f"all on account ({_money(c.get('unapplied'), currency)}), on no invoice")
        elif e.action == "unapply":
            title = f"Unapplied by {e.actor}: reversed {_spread(in_force, currency, 'what was on account')}"
            detail = f"Reason: {c.get('reason')}" if c.get("reason") else ""
            in_force = []
        elif e.action == "move":
            before, after = c.get("from") or {}, c.get("to") or {}
            in_force = list(after.get("applications") or [])
            title = f"Moved by {e.actor} from {before.get('customer')} to {after.get('customer')}"
            gone = _spread(before.get("applications"), currency, "what was on account")
            detail = (f"Reversed {gone}; applied {_spread(in_force, currency, 'to no invoice')}"
                      f"{_rest(after.get('unapplied'), currency)}. Reason: {c.get('reason')}")
        elif e.action == "write_off":
            code = str(c.get("reason") or "")
            title = f"Written off by {e.actor}: {_invoices(c.get('invoices'), currency)}"
            detail = (f"{WRITEOFF_REASONS.get(code, code)}; within the automatic limit of "
                      f"{_money(c.get('auto_limit'), currency)}")
        elif e.action == "write_off_request":
            code = str(c.get("reason") or "")
            title = f"Write-off of {_invoices(c.get('invoices'), currency)} sent for approval by {e.actor}"
            detail = f"{WRITEOFF_REASONS.get(code, code)}; escalation {c.get('escalation')}"
        elif e.action == "exclude":
            title, detail = f"Excluded by {e.actor}", f"Reason: {c.get('reason')}"
        elif e.action == "learn":
            title = f"Learned from {e.actor}'s match: " + " and ".join(c.get("learned") or [])
        if title:
            events.append({"at": e.at, "actor": e.actor, "kind": e.action, "title": title, "detail": detail,
                           "escalation_id": str(c["escalation"]) if e.action == "write_off_request" and c.get("escalation") else None})
    return events
