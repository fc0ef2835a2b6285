"""The evaluation engine on hand-built accounts: every default step, every exception, cadence,
idempotence and staleness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.playbook import evaluate as E
from arcollect.playbook.rules import default_text, parse

AS_OF = dt.date(2026, 11, 23)  # a Monday
PB = parse(default_text().replace("due_date_convention: following", "due_date_convention: none"))


def item(invoice_id: str, days_past_due: int, amount: str = "1000.00", disputed: bool = False) -> E.OpenItem:
    return E.OpenItem(invoice_id, AS_OF - dt.timedelta(days=days_past_due), Decimal(amount), "USD", disputed)


def account(*items: E.OpenItem, **kw) -> E.Account:  # noqa: ANN003
    base = dict(customer_pk=1, customer_id="C1", currency="USD", items=tuple(items), segment="mid",
                country="US", timezone="America/New_York", collector="alice", team="north")
    base.update(kw)
    return E.Account(**base)


def past(step: str, channel: str, days_ago: int, *invoices: str, open_: bool = False, id_: int = 1) -> E.PastAction:
    return E.PastAction(id_, step, channel, AS_OF - dt.timedelta(days=days_ago), frozenset(invoices), open_)


def run(acct: E.Account, history: E.History = E.History(), as_of: dt.date = AS_OF, playbook=PB) -> E.Outcome:  # noqa: ANN001
    return E.Engine(playbook, as_of).evaluate(acct, history)


def steps(outcome: E.Outcome) -> dict[str, tuple[str, ...]]:
    return {p.step: p.invoices for p in outcome.proposals}


@pytest.mark.parametrize("dpd, expected", [
    (-3, {"courtesy": "email"}),
    (-10, {}),
    (0, {}),
    (1, {"reminder": "email"}),
    (10, {"second_reminder": "email", "call_10": "call"}),
    (35, {"firm": "email", "call_31": "call"}),
    (65, {"final_notice": "email", "escalation_review": "review"}),
    (95, {}),  # the demand letter and the suspension review are escalations: the ladder proposes them
])
def test_each_default_step_fires_in_its_window(dpd, expected):
    out = run(account(item("I1", dpd)))
    assert out.segment == "standard"
    assert {p.step: p.channel for p in out.proposals} == expected
    for p in out.proposals:
        assert p.invoices == ("I1",) and p.amounts == {"USD": Decimal("1000.00")}
        assert p.reasons and p.reasons[0]


def test_demand_letter_and_suspension_review_are_escalations_not_worklist_tasks():
    """Bug #8.5: the playbook's letter step and the escalation were two approval tasks for one thing."""
    out = run(account(item("I1", 120)))
    assert out.proposals == []
    stale = E.History((past("demand_letter", "letter", 1, "I1", open_=True, id_=7),))
    assert run(account(item("I1", 120)), stale).stale == [(7, "an escalation now: decided in the escalation queue")]


def test_one_email_per_customer_per_day_lists_the_invoices_of_every_email_step():
    out = run(account(item("A", 3), item("B", 15), item("C", 40)))
    emails = [p for p in out.proposals if p.channel == "email"]
    calls = [p for p in out.proposals if p.channel == "call"]
    assert len(emails) == 1 and emails[0].step == "firm" and emails[0].invoices == ("A", "B", "C")
    assert len(calls) == 1 and calls[0].step == "call_31" and calls[0].invoices == ("B", "C")
    assert emails[0].amounts == {"USD": Decimal("3000.00")}


def test_a_courtesy_reminder_waits_while_a_past_due_reminder_goes():
    out = run(account(item("A", -2), item("B", 3)))
    assert steps(out) == {"reminder": ("B",)}
    assert any("courtesy waits" in n for n in out.notes)


def test_a_one_shot_step_is_not_repeated_for_the_same_invoice():
    history = E.History((past("reminder", "email", 4, "I1"),))
    assert steps(run(account(item("I1", 5)), history)) == {}


def test_a_one_shot_step_covers_an_invoice_that_entered_its_window_later():
    history = E.History((past("reminder", "email", 4, "I1"),))
    assert steps(run(account(item("I1", 5), item("I2", 1)), history)) == {"reminder": ("I2",)}


def test_a_repeating_step_waits_its_cadence():
    acct = account(item("I1", 40))
    history = E.History((past("firm", "email", 5, "I1"), past("call_31", "call", 5, "I1")))
    assert steps(run(acct, history)) == {}
    history = E.History((past("firm", "email", 7, "I1"), past("call_31", "call", 7, "I1")))
    assert steps(run(acct, history)) == {"firm": ("I1",), "call_31": ("I1",)}


def test_no_two_written_reminders_within_the_minimum_gap():
    history = E.History((past("reminder", "email", 2, "I1"),))
    out = run(account(item("I1", 3), item("I2", 12)), history)
    assert steps(out) == {"call_10": ("I2",)}
    assert any("minimum 3 days" in n for n in out.notes)


def test_an_earlier_step_is_moot_for_an_invoice_a_later_step_already_took_up():
    # the firm email went out for I1 (it was 31+ days then); the day-10 call is not proposed for it
    history = E.History((past("call_31", "call", 2, "I1"),))
    assert "call_10" not in steps(run(account(item("I1", 20)), history))


def test_running_the_same_day_twice_proposes_the_same_actions():
    acct = account(item("I1", 12), item("I2", 40))
    first = run(acct)
    # the first run's actions are in the history now, proposed today
    history = E.History(tuple(past(p.step, p.channel, 0, *p.invoices, open_=True, id_=n)
                              for n, p in enumerate(first.proposals)))
    second = run(acct, history)
    assert [(p.step, p.invoices, p.due) for p in second.proposals] == [(p.step, p.invoices, p.due) for p in first.proposals]
    assert second.stale == []


def test_key_accounts_are_called_before_any_firm_email():
    acct = account(item("I1", 35, "50000.00"), segment="key")
    out = run(acct)
    assert out.segment == "key_accounts"
    assert steps(out) == {"call_31": ("I1",)}
    assert any("firm held until a call is logged" in n for n in out.notes)
    called = E.History((past("call_31", "call", 1, "I1"),), last_call_on=AS_OF - dt.timedelta(days=1))
    assert steps(run(acct, called)) == {"firm": ("I1",)}


def test_small_balances_are_emailed_only():
    acct = account(item("I1", 35, "120.00"))
    out = run(acct)
    assert out.segment == "small_balances"
    assert steps(out) == {"firm": ("I1",)}
    assert all(p.channel == "email" for p in run(account(item("I1", 120, "120.00"))).proposals)


def test_disputed_invoices_are_never_dunned():
    out = run(account(item("I1", 40, disputed=True), item("I2", 3)))
    assert steps(out) == {"reminder": ("I2",)}
    assert "1 invoice in dispute: not dunned" in out.notes
    assert run(account(item("I1", 40, disputed=True))).proposals == []


def test_an_open_promise_pauses_its_invoices_until_the_date_plus_grace():
    acct = account(item("I1", 40), item("I2", 40))
    promise = E.PromiseState("open", AS_OF + dt.timedelta(days=5), AS_OF + dt.timedelta(days=8), frozenset({"I1"}))
    out = run(acct, E.History(promises=(promise,)))
    assert {p.invoices for p in out.proposals} == {("I2",)}
    whole = E.PromiseState("open", AS_OF + dt.timedelta(days=5), AS_OF + dt.timedelta(days=8), frozenset())
    assert run(acct, E.History(promises=(whole,))).proposals == []


def test_a_broken_promise_moves_its_invoices_to_the_next_step():
    acct = account(item("I1", 20))
    broken = E.PromiseState("broken", AS_OF - dt.timedelta(days=5), AS_OF - dt.timedelta(days=2), frozenset({"I1"}))
    out = run(acct, E.History(promises=(broken,)))
    assert steps(out) == {"firm": ("I1",), "call_31": ("I1",)}
    assert any("promise to pay was broken" in r for p in out.proposals for r in p.reasons)


def test_do_not_contact_leaves_only_reviews_and_escalations():
    out = run(account(item("I1", 70), item("I2", 100), do_not_contact=True))
    assert {p.channel for p in out.proposals} == {"review"}  # escalations come from the escalation ladder
    assert "do not contact: no emails, calls or letters" in out.notes


def test_credit_hold_skips_a_suspension_review_step():
    book = parse(default_text().replace("skip_when: [credit_hold], escalation: credit_hold,", "skip_when: [credit_hold],"))
    out = run(account(item("I1", 100), credit_hold=True), playbook=book)
    assert steps(out) == {} and "suspension_review skipped: credit_hold" in out.notes


def test_only_unapplied_cash_gets_a_remittance_request_not_a_reminder():
    acct = account(unapplied={"USD": Decimal("250.00")})
    out = run(acct)
    assert [(p.step, p.channel, p.amounts) for p in out.proposals] == [
        ("request_remittance", "email", {"USD": Decimal("250.00")})]
    recent = E.History((past("request_remittance", "email", 10),))
    assert run(acct, recent).proposals == []
    assert len(run(acct, E.History((past("request_remittance", "email", 14),))).proposals) == 1


def test_a_notice_cancelled_today_does_not_hold_back_a_reminder_on_the_days_second_run():
    # yesterday's final notice on I1 (now 91 days past due: moved on) is cancelled by today's run; a
    # reminder for I2 must not wait for the gap after it on the first run and go on the second (CONTRACT §5)
    acct = account(item("I1", 91), item("I2", 1))
    history = E.History((past("final_notice", "email", 1, "I1", open_=True, id_=7),))
    first = run(acct, history)
    assert dict(first.stale) == {7: "its invoices moved on to a later step"}
    cancelled = {aid for aid, _ in first.stale}
    # as the first run leaves the database: the notice cancelled (read no more), its proposals open today
    after = E.History(tuple(a for a in history.actions if a.id not in cancelled)
                      + tuple(past(p.step, p.channel, 0, *p.invoices, open_=True, id_=10 + n)
                              for n, p in enumerate(first.proposals)))
    second = run(acct, after)
    assert steps(second) == steps(first)
    assert steps(first).get("reminder") == ("I2",)
    assert second.stale == []


def test_open_actions_that_no_longer_apply_are_stale():
    # I1 was paid (gone), I2 moved from the 10–30 window to 31–60
    history = E.History((past("call_10", "call", 3, "I1", open_=True, id_=7),
                         past("second_reminder", "email", 25, "I2", open_=True, id_=8)))
    out = run(account(item("I2", 35)), history)
    assert dict(out.stale) == {7: "its invoices are paid, disputed or under a promise to pay",
                               8: "its invoices moved on to a later step"}


def test_due_dates_on_weekends_follow_the_convention():
    following = parse(default_text())
    saturday_due = E.OpenItem("I1", dt.date(2026, 11, 21), Decimal("900.00"), "USD")  # Saturday → Monday 23rd
    assert run(account(saturday_due), playbook=following).proposals == []  # not yet past due
    assert steps(run(account(saturday_due), playbook=PB)) == {"reminder": ("I1",)}  # 2 days past due without


def test_call_tasks_are_scheduled_inside_the_customers_window_and_the_collectors_shift():
    out = E.Engine(PB, AS_OF, run_at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)).evaluate(
        account(item("I1", 12), timezone="America/Los_Angeles", team="north"), E.History())
    call = next(p for p in out.proposals if p.channel == "call")
    local = call.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert local.date() == AS_OF and local.hour == 9  # 09:00 in LA = 12:00 in New York, inside the US shift


def test_a_later_step_proposed_during_the_day_supersedes_the_mornings_action_of_its_channel():
    acct = account(item("I1", 35, "50000.00"), item("I2", 3, "50000.00"), segment="key")
    morning = run(acct)
    assert steps(morning) == {"call_31": ("I1",), "reminder": ("I2",)}  # the firm email waits for a call
    history = E.History(tuple(past(p.step, p.channel, 0, *p.invoices, open_=True, id_=n + 1)
                              for n, p in enumerate(morning.proposals)), last_call_on=AS_OF)
    afternoon = run(acct, history)
    assert steps(afternoon)["firm"] == ("I1", "I2")  # one email today: the firm one, with the reminder's invoice
    reminder_id = next(n + 1 for n, p in enumerate(morning.proposals) if p.step == "reminder")
    assert (reminder_id, "superseded by firm") in afternoon.stale
