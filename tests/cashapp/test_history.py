"""A bank line's history in words (pure): each audit row told as a finance user reads it, the rows of a move told
once as the move (what was reversed, what was applied, why), write-offs at once or sent for approval."""

from __future__ import annotations

import datetime as dt

from arcollect.cashapp.history import Entry, told

T = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)


def _at(minutes: int) -> dt.datetime:
    return T + dt.timedelta(minutes=minutes)


def test_a_move_is_told_once_with_what_was_reversed_and_what_was_applied():
    rows = [
        Entry(_at(0), "rule", "match", {"status": "proposed", "reasons": ["payer name equals customer"]}),
        Entry(_at(1), "cash", "apply", {"customer": "C1", "applications": [{"invoice_id": "INV-2", "amount": "250.00"}],
                                        "unapplied": "0.00", "by": "cash"}),
        Entry(_at(1), "cash", "learn", {"learned": ["payer name"]}),
        # the move, all at the same moment (and the same as the apply: a fixed clock must not merge them)
        Entry(_at(1), "cash", "unapply", {"reason": "moved: belongs to Beta"}),
        Entry(_at(1), "cash", "apply", {"customer": "C2", "applications": [{"invoice_id": "INV-3", "amount": "200.00"}],
                                        "unapplied": "50.00", "by": "cash"}),
        Entry(_at(1), "cash", "move", {"from": {"customer": "C1", "applications": [{"invoice_id": "INV-2", "amount": "250.00"}]},
                                       "to": {"customer": "C2", "applications": [{"invoice_id": "INV-3", "amount": "200.00"}],
                                              "unapplied": "50.00"}, "reason": "belongs to Beta"}),
        Entry(_at(2), "cash", "unapply", {"reason": "wrong after all"}),
    ]
    events = told(rows, currency="EUR")
    assert [e["kind"] for e in events] == ["match", "apply", "learn", "move", "unapply"]
    assert events[1]["title"] == "Applied to C1 by cash" and events[1]["detail"] == "INV-2 €250.00"
    assert events[3]["title"] == "Moved by cash from C1 to C2"
    assert events[3]["detail"] == ("Reversed INV-2 €250.00; applied INV-3 €200.00; €50.00 on account. "
                                   "Reason: belongs to Beta")
    assert events[4]["title"] == "Unapplied by cash: reversed INV-3 €200.00"  # what the move applied
    assert events[4]["detail"] == "Reason: wrong after all"


def test_write_offs_at_once_and_for_approval_and_cash_on_account():
    rows = [
        Entry(T, "rule", "apply", {"customer": "C1", "applications": [], "unapplied": "1234.50", "by": "rule"}),
        Entry(T, "cash", "write_off", {"invoices": {"INV-2": "12.00"}, "reason": "bank_fee", "auto_limit": "15.00"}),
        Entry(T, "cash", "write_off_request", {"invoices": {"INV-2": "30.00"}, "reason": "discount", "escalation": 7}),
    ]
    applied, at_once, asked = told(rows, currency="EUR")
    assert applied["title"] == "Applied to C1 by the matcher"
    assert applied["detail"] == "all on account (€1,234.50), on no invoice"
    assert at_once["title"] == "Written off by cash: €12.00 of INV-2"
    assert at_once["detail"].startswith("Bank fee deducted") and "limit of €15.00" in at_once["detail"]
    assert asked["title"] == "Write-off of €30.00 of INV-2 sent for approval by cash"
    assert asked["escalation_id"] == "7" and asked["detail"].startswith("Early-payment discount taken")
