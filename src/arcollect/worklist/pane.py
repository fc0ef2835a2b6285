"""The worklist's account pane in a collector's words (pure): the contact card (who to call, their local
time, whether it is inside the contact window), one next best action with its reason, and the worklist's
notes rewritten without the playbook's internal step ids."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Mapping, Sequence

from arcollect import calendar

# what a collector does in person first; emails and letters mostly go out through the outbox
KIND_ORDER = ("call", "review", "escalation", "letter", "email")
VERBS = {"call": "Call", "email": "Send the reminder email to", "letter": "Send the letter to",
         "review": "Review the account of", "escalation": "Decide on the escalation for"}
STEP_ID = r"[a-z][a-z0-9_]*"


def contact_card(customer: Mapping[str, Any], contacts: Sequence[Mapping[str, Any]], now: dt.datetime,
                 window: calendar.Window = calendar.Window()) -> dict[str, Any]:
    """The person to call (the primary contact, else one with a phone), the customer's local time and
    whether it falls inside their contact window (their business hours, on their business days)."""
    person = next((k for k in contacts if k.get("primary")), None) or next(
        (k for k in contacts if k.get("phone")), None) or (contacts[0] if contacts else None)
    tz = calendar.zone(customer.get("timezone"))
    local = now.astimezone(tz)
    inside = (calendar.is_business_day(local.date(), customer.get("country"), window.days)
              and window.start <= local.time().replace(tzinfo=None) < window.end)
    opens = None if inside else calendar.first_call_slot(now, customer_tz=customer.get("timezone"),
                                                          customer_country=customer.get("country"), contact=window)
    phone = (person or {}).get("phone") or customer.get("phone")
    return {"name": (person or {}).get("name"), "role": (person or {}).get("role"),
            "email": (person or {}).get("email") or customer.get("email"), "phone": phone,
            "tel": "tel:" + re.sub(r"[^0-9+]", "", phone) if phone else None,
            "bouncing": bool((person or {}).get("bouncing")),
            "zone": tz.key, "local_time": local.strftime("%H:%M"), "local_day": local.strftime("%a %d %b"),
            "abbrev": local.tzname(), "inside_window": inside,
            "window": f"{window.start.strftime('%H:%M')}–{window.end.strftime('%H:%M')}",
            "opens_at": opens.astimezone(tz).strftime("%a %H:%M") if opens else None}


def _money_text(amounts: Mapping[str, Any], fmt: Any) -> str:
    return " + ".join(fmt(Decimal(str(v)), cur) for cur, v in sorted(amounts.items()))


def next_best_action(item: Mapping[str, Any] | None, open_items: Sequence[Mapping[str, Any]],
                     name: str, fmt: Any) -> dict[str, Any] | None:
    """The one thing to do on the account now, and why, in plain words (no step ids). ``fmt(amount,
    currency)`` is the money display formatter."""
    if item is None:
        return None
    actions = list(item.get("actions") or [])
    if not actions and item.get("callback"):
        return {"kind": "call", "action": None, "title": f"Call {name} back",
                "reason": f"You agreed to call back on {item['callback']}."}
    if not actions:
        return None
    action = min(actions, key=lambda a: (KIND_ORDER.index(a["kind"]) if a["kind"] in KIND_ORDER else 9, a["due"]))
    by_id = {i["invoice_id"]: i for i in open_items}
    invoices = [by_id[i] for i in action.get("invoices", []) if i in by_id]
    late = [i["days_past_due"] for i in invoices if i["days_past_due"] > 0]
    count = len(action.get("invoices", []))
    what = f"{count} invoice{'s' if count != 1 else ''}"
    amounts = action.get("amounts") or {}
    money = _money_text(amounts, fmt) if amounts else ""
    if late:
        oldest = max(late)
        reason = (f"{what} ({money}) {'is' if count == 1 else 'are'} past due; the oldest by {oldest} "
                  f"day{'s' if oldest != 1 else ''}.")
        overdue = [i["days_past_due"] for i in open_items if i["days_past_due"] > 0]
        if len(overdue) > len(late):  # the step names its window's invoices: say the account owes more
            reason += (f" In all {len(overdue)} invoices on the account are past due, the oldest by "
                       f"{max(overdue)} day{'s' if max(overdue) != 1 else ''}.")
    elif invoices:
        soonest = min(-i["days_past_due"] for i in invoices)
        reason = (f"{what} ({money}) {'falls' if count == 1 else 'fall'} due "
                  f"{'today' if soonest == 0 else f'in {soonest} day' + ('s' if soonest != 1 else '')}.")
    else:
        reason = f"{what} ({money}) to follow up." if count else "The playbook asks for it today."
    reason = reason.replace(" ()", "")
    extra = [r for r in action.get("reasons", []) if "promise" in r and "broken" in r]
    if extra:
        reason += " The last promise to pay was broken."
    if item.get("callback") and action["kind"] == "call":
        reason += f" You agreed to call back on {item['callback']}."
    if action.get("needs_approval"):
        reason += " A manager must approve it first."
    return {"kind": action["kind"], "action": action, "title": f"{VERBS.get(action['kind'], 'Work')} {name}",
            "reason": reason}


_RULES: list[tuple[str, Any]] = [
    (rf"^{STEP_ID} folded into {STEP_ID}$", None),
    (rf"^{STEP_ID} waits: {STEP_ID} goes first$", None),
    (rf"^superseded by {STEP_ID}$", None),
    (rf"^{STEP_ID} held until a call is logged$", "The next written reminder waits until you log a call."),
    (rf"^{STEP_ID} skipped: (?P<flags>.+)$", lambda m: f"A reminder is skipped: {m['flags'].replace('_', ' ')}."),
    (r"^callback due (?P<d>[\d-]+) \(today\)$", lambda m: "You agreed to call back today."),
    (r"^callback due (?P<d>[\d-]+) \(overdue\)$", lambda m: f"A callback was due on {m['d']}."),
    (r"^past due (?P<amt>.+), oldest (?P<n>\d+) days$", lambda m: f"{m['amt']} past due; the oldest invoice is {m['n']} days late."),
    (r"^(?P<n>\d+) broken promises? in the last (?P<d>\d+) days$",
     lambda m: f"Broke {m['n']} promise{'s' if m['n'] != '1' else ''} to pay in the last {m['d']} days."),
    (r"^never contacted$", "Not contacted yet."),
    (r"^last contact (?P<n>\d+) days ago$", lambda m: f"Last contacted {m['n']} days ago."),
    (r"^promise to pay by (?P<d>[\d-]+): (?P<what>.+) paused until (?P<u>[\d-]+)$",
     lambda m: f"Promised to pay by {m['d']}: reminders for {m['what']} wait until {m['u']}."),
    (r"^promise of (?P<d>[\d-]+) (?P<s>[a-z ]+): moved to the next step$",
     lambda m: f"The promise to pay of {m['d']} was {m['s']}: the next, firmer reminder is used."),
    (r"^written reminders held: last one on (?P<d>[\d-]+) \(minimum (?P<n>\d+) days between them\)$",
     lambda m: f"No email or letter today: the last one went on {m['d']} (at least {m['n']} days apart)."),
    (r"^(?P<n>\d+) invoices? in dispute: not dunned$",
     lambda m: f"{m['n']} invoice{'s are' if m['n'] != '1' else ' is'} in dispute and get{'' if m['n'] != '1' else 's'} no reminders."),
    (r"^do not contact: .*$", "Do not contact: no emails, calls or letters."),
    (r"^on credit hold$", "The account is on credit hold."),
    (r"^no playbook segment matches this account$", "No collection strategy applies to this account."),
]


def plain_reason(note: str) -> str | None:
    """A worklist note as a sentence for the collector, or None when it only speaks of the playbook's
    internals (which step took over which)."""
    text = note.strip()
    for pattern, out in _RULES:
        m = re.match(pattern, text)
        if m:
            return out(m) if callable(out) else out
    return text[:1].upper() + text[1:].replace("_", " ")


_AMOUNT = re.compile(r"(?P<num>\d[\d,]*(?:\.\d+)?) (?P<cur>[A-Z]{3})\b")


def plain_reasons(notes: Sequence[str], fmt: Any = None) -> list[str]:
    """The notes as sentences; amounts ("1,234.50 EUR") shown by ``fmt(amount, currency)`` when given."""
    out = [r for r in (plain_reason(n) for n in notes) if r]
    if fmt is None:
        return out
    return [_AMOUNT.sub(lambda m: fmt(Decimal(m["num"].replace(",", "")), m["cur"]), r) for r in out]


def next_account(items: Sequence[dict[str, Any]], customer_id: str) -> str | None:
    """The account after ``customer_id`` in a worklist's order (the first one when it is not listed)."""
    ids = [i["customer_id"] for i in items]
    if customer_id in ids:
        rest = ids[ids.index(customer_id) + 1:] + ids[:ids.index(customer_id)]
        return rest[0] if rest else None
    return ids[0] if ids else None
