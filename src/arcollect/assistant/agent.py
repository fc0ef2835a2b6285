"""From a triage to the proposals a collector approves (pure): each proposed action with what it would do,
the words it came from and a confidence; the admin's auto-approval rules; a person's edit of a proposal,
checked like any input; the message text cut into plain and evidence parts for highlighting."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from arcollect.disputes.workflow import TEAMS
from arcollect.email_address import is_email_address
from arcollect.errors import InvalidInput

# the action kinds, in the order a collector reads them, and what each does in plain words
KINDS: dict[str, str] = {
    "record_promise": "Record the promise to pay",
    "open_dispute": "Open a dispute",
    "mark_paid_check_cash": "Check the payment the customer says was made",
    "send_invoice_copy": "Send the statement with the invoices asked for",
    "propose_payment_plan": "Note the request for a payment plan",
    "snooze_until": "Pause dunning until the stated return date",
    "update_contact": "Update the contact",
    "log_reply": "Put the reply on the account's timeline",
}

# the intents (CONTRACT §11) and the facts read, in the words a page shows
INTENT_WORDS: dict[str, str] = {
    "promise_to_pay": "Promise to pay", "dispute": "Dispute", "paid": "Says it has paid", "invoice_copy": "Asks for a copy",
    "out_of_office": "Out of office", "payment_plan": "Asks for a payment plan", "wrong_contact": "Wrong contact",
    "other": "Other"}
FACT_WORDS: dict[str, str] = {
    "promise_date": "Pays by", "paid_date": "Paid on", "paid_reference": "Payment reference", "reason": "Reason",
    "return_date": "Back on", "new_contact": "New contact"}

# what a person may change before approving, per kind (field → how it is read)
EDITABLE: dict[str, tuple[str, ...]] = {
    "record_promise": ("date", "amount", "invoices"),
    "open_dispute": ("reason", "invoices", "team", "note"),
    "mark_paid_check_cash": ("paid_on", "reference", "amount", "invoices"),
    "send_invoice_copy": ("invoices",),
    "propose_payment_plan": ("note",),
    "snooze_until": ("date",),
    "update_contact": ("email",),
    "log_reply": ("note",),
}

_FACT_OF = {"record_promise": ("promise_date",), "mark_paid_check_cash": ("paid_date", "paid_reference"),
            "open_dispute": ("reason",), "snooze_until": ("return_date",), "update_contact": ("new_contact",)}


def plan(reading: Mapping[str, Any], *, on_timeline: bool) -> list[dict[str, Any]]:
    """The proposals of a triage (CONTRACT §11's ``actions``), each ``{"kind", "payload", "evidence",
    "confidence"}``; with an account whose timeline does not show the reply yet, also logging it there. A reply
    no account was found for gets none: it waits in triage to be linked (nothing could be carried out)."""
    if not reading.get("customer_id"):
        return []
    facts = reading.get("facts") or {}
    general = [e for e in reading.get("evidence") or [] if e]
    intent_conf = float(reading.get("confidence") or 0.0)
    out: list[dict[str, Any]] = []
    for action in reading.get("actions") or []:
        kind = action.get("kind")
        if kind not in KINDS:
            continue
        payload = {k: v for k, v in action.items() if k not in ("kind", "needs_approval")}
        own = [facts[f] for f in _FACT_OF.get(kind, ()) if facts.get(f)]
        if kind == "record_promise" and payload.get("amount_from") == "stated" and facts.get("amounts"):
            own.append(facts["amounts"][0])
        evidence = _distinct([f["evidence"] for f in own if f.get("evidence")] + general)[:8]
        confidence = min([intent_conf, *(float(f.get("confidence") or 0.0) for f in own)])
        if kind == "snooze_until" and not payload.get("stated"):
            confidence = min(confidence, 0.5)  # no date was stated: a week is a guess
        out.append({"kind": kind, "payload": payload, "evidence": evidence, "confidence": round(confidence, 3)})
    if reading.get("customer_id") and not on_timeline:
        out.append({"kind": "log_reply", "payload": {"note": None}, "evidence": general[:3],
                    "confidence": round(intent_conf, 3)})
    return out


def _distinct(phrases: list[str]) -> list[str]:
    """The phrases in order without repeats or phrases inside a longer one ("will pay" in "we will pay")."""
    unique = list(dict.fromkeys(p.strip() for p in phrases if p and p.strip()))
    return [p for p in unique if not any(p != q and p.casefold() in q.casefold() for q in unique)]


def auto_rules(setting: str) -> dict[str, float]:
    """``record_promise:0.95,log_reply:0.8`` → kind → threshold (the setting's format is checked on load;
    a kind the assistant does not know is refused here)."""
    rules: dict[str, float] = {}
    for part in (setting or "").split(","):
        kind, _, threshold = part.strip().partition(":")
        if not kind.strip():
            continue
        if kind.strip() not in KINDS:
            raise InvalidInput(f"assistant_auto_approve: {kind.strip()!r} is not an action kind "
                               f"(one of {', '.join(KINDS)})")
        rules[kind.strip()] = float(threshold)
    return rules


def auto_approves(kind: str, confidence: float, rules: Mapping[str, float]) -> bool:
    """Whether an admin's rule approves this proposal without a person (off unless a rule names the kind)."""
    return kind in rules and confidence >= rules[kind]


def _date(value: Any, field: str, problems: list[str]) -> str | None:
    text = str(value or "").strip()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        problems.append(f"{field}: {text!r} is not a date (YYYY-MM-DD)")
        return None


def _amount(value: Any, field: str, problems: list[str]) -> str | None:
    text = str(value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        problems.append(f"{field}: {str(value).strip()!r} is not an amount more than zero")
        return None
    return f"{number:f}"


def _invoices(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;\s]+", str(value or ""))
    return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))[:200]


def edited(kind: str, payload: Mapping[str, Any], changes: Mapping[str, Any], *,
           reasons: Sequence[str] = ()) -> dict[str, Any]:
    """The payload with a person's changes, each checked (every problem named by its field); only the
    fields the kind lets a person change."""
    allowed = EDITABLE.get(kind, ())
    problems = [f"{k}: cannot be changed on {kind.replace('_', ' ')} (only {', '.join(allowed) or 'nothing'})"
                for k in changes if k not in allowed]
    out = dict(payload)
    for key in (k for k in allowed if k in changes):
        value = changes[key]
        if key in ("date", "paid_on"):
            out[key] = _date(value, key, problems)
        elif key == "amount":
            out[key] = _amount(value, key, problems)
            if kind == "record_promise":
                out["amount_from"] = "edited"
        elif key == "invoices":
            out[key] = _invoices(value)
        elif key == "reason":
            code = str(value or "").strip()
            if reasons and code not in reasons:
                problems.append(f"reason: {code!r} is not one of {', '.join(reasons)}")
            out[key] = code
        elif key == "team":
            team = str(value or "").strip()
            if team not in TEAMS:
                problems.append(f"team: {team!r} is not one of {', '.join(TEAMS)}")
            out[key] = team
        elif key == "email":
            email = str(value or "").strip().lower()
            if not is_email_address(email):
                problems.append(f"email: {email!r} is not an email address")
            out[key] = email
        else:
            text = str(value or "").strip()
            if len(text) > 4000:
                problems.append(f"{key}: at most 4000 characters (got {len(text)})")
            out[key] = text or None
    if problems:
        raise InvalidInput(f"the {kind.replace('_', ' ')} proposal was not changed", problems)
    return out


def highlight(text: str, evidence: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is_evidence) pieces: every place an evidence phrase occurs (case-insensitive,
    longest first, non-overlapping) is marked, so a page can highlight it without writing HTML itself."""
    spans: list[tuple[int, int]] = []
    lower = text.casefold()
    for phrase in sorted({e.strip() for e in evidence if e and e.strip()}, key=len, reverse=True):
        needle, start = phrase.casefold(), 0
        while needle and (i := lower.find(needle, start)) >= 0:
            end = i + len(needle)
            if all(end <= a or i >= b for a, b in spans):
                spans.append((i, end))
            start = end
    pieces: list[tuple[str, bool]] = []
    at = 0
    for a, b in sorted(spans):
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
