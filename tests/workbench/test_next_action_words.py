"""The next best action's reason in plain words says when the account owes more than the step's invoices."""

from __future__ import annotations

from decimal import Decimal

from arcollect.money import format_money
from arcollect.worklist.pane import next_best_action


def _item(invoices: list[str], amount: str) -> dict:
    return {"actions": [{"kind": "call", "due": "2026-11-23", "invoices": invoices, "amounts": {"GBP": amount},
                         "reasons": [], "needs_approval": False}]}


def test_a_call_on_the_31_to_60_day_invoices_says_older_ones_are_past_due_too():
    """Seen on the demo: "3 invoices (£56,353.00) are past due; the oldest by 51 days" beside an open items
    table whose oldest invoice was 340 days past due. The step names its window's invoices (here 38, 44, 51
    days); the account has two more past due (120 and 340 days) and one not yet due."""
    items = [{"invoice_id": i, "days_past_due": d} for i, d in
             (("A", 340), ("B", 120), ("C", 51), ("D", 44), ("E", 38), ("F", -10))]
    nba = next_best_action(_item(["C", "D", "E"], "56353.00"), items, "Torex", format_money)
    assert nba["reason"] == ("3 invoices (£56,353.00) are past due; the oldest by 51 days. In all 5 invoices on "
                             "the account are past due, the oldest by 340 days.")


def test_when_the_step_names_every_past_due_invoice_nothing_is_added():
    items = [{"invoice_id": "A", "days_past_due": 12}, {"invoice_id": "B", "days_past_due": -3}]
    nba = next_best_action(_item(["A"], "10.00"), items, "Torex", lambda v, c: format_money(Decimal(v), c))
    assert nba["reason"] == "1 invoice (£10.00) is past due; the oldest by 12 days."
