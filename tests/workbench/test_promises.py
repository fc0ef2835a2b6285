"""Promises to pay against the real ledger: exact, partial, late, early, several invoices, payments
applied elsewhere; cancel; kept rates; CONTRACT §5 CLI shapes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from arcollect.promises import promises as P
from arcollect.promises import service as promises
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.worklist import service as worklists
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)
D = lambda n: (TODAY + dt.timedelta(days=n)).isoformat()  # noqa: E731


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,country,timezone",
              "C1,Acme,USD,alice,US,America/New_York", "C2,Beta,EUR,bruno,DE,Europe/Berlin")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"I1,C1,{D(-60)},{D(-30)},1000.00,USD", f"I2,C1,{D(-50)},{D(-20)},500.00,USD",
              f"I3,C1,{D(-40)},{D(-12)},250.00,USD", f"E1,C2,{D(-40)},{D(-10)},800.00,EUR")
    for kind in ("customers", "invoices"):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / ("c.csv" if kind == "customers" else "i.csv")).errors


def _pay(ctx, tmp_path, pid: str, on: str, amount: str, applies_to: str):  # noqa: ANN001, ANN202
    path = write_csv(tmp_path / f"{pid}.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
                     f"{pid},C1,{on},{amount},{applies_to},USD")
    assert not ledger.import_file(ctx, kind="payments", path=path).errors


def _status(ctx, pid: str, as_of: dt.date) -> tuple[str, str]:  # noqa: ANN001
    row = next(p for p in promises.list_promises(ctx, as_of=as_of) if p["id"] == pid)
    return row["status"], row["paid"]


def test_promise_kept_exactly_on_its_date(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="1000.00", promised_date=TODAY + dt.timedelta(days=5),
                            invoices=["I1"])["id"]
    assert _status(ctx, pid, TODAY) == ("open", "0.00")
    _pay(ctx, tmp_path, "P1", D(5), "1000.00", "I1")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=5)) == ("kept", "1000.00")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=30)) == ("kept", "1000.00")


def test_partial_payment_is_partially_kept_once_the_grace_days_are_over(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="1000.00", promised_date=TODAY + dt.timedelta(days=5),
                            invoices=["I1"], grace_days=3)["id"]
    _pay(ctx, tmp_path, "P1", D(4), "400.00", "I1")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=8)) == ("open", "400.00")  # still in grace
    assert _status(ctx, pid, TODAY + dt.timedelta(days=9)) == ("partially_kept", "400.00")


def test_a_late_payment_does_not_keep_the_promise(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY + dt.timedelta(days=2),
                            invoices=["I2"], grace_days=3)["id"]
    _pay(ctx, tmp_path, "P1", D(6), "500.00", "I2")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=10)) == ("broken", "0.00")


def test_an_early_payment_keeps_the_promise_before_its_date(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY + dt.timedelta(days=10),
                            invoices=["I2"])["id"]
    _pay(ctx, tmp_path, "P1", D(1), "500.00", "I2")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=1)) == ("kept", "500.00")


def test_a_promise_on_several_invoices_counts_payments_to_each(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="750.00", promised_date=TODAY + dt.timedelta(days=7),
                            invoices=["I2", "I3"])["id"]
    _pay(ctx, tmp_path, "P1", D(2), "500.00", "I2")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=2)) == ("open", "500.00")
    _pay(ctx, tmp_path, "P2", D(6), "250.00", "I3")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=6)) == ("kept", "750.00")


def test_a_payment_applied_to_other_invoices_does_not_keep_the_promise(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY + dt.timedelta(days=3),
                            invoices=["I2"])["id"]
    _pay(ctx, tmp_path, "P1", D(1), "1000.00", "I1")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=20)) == ("broken", "0.00")


def test_a_promise_on_the_account_counts_any_payment_to_its_invoices(ctx, tmp_path):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="600.00", promised_date=TODAY + dt.timedelta(days=3))["id"]
    _pay(ctx, tmp_path, "P1", D(2), "250.00", "I3")
    _pay(ctx, tmp_path, "P2", D(3), "350.00", "I1")
    assert _status(ctx, pid, TODAY + dt.timedelta(days=3)) == ("kept", "600.00")


def test_bad_promises_are_refused_with_every_problem_and_nothing_is_written(ctx, tmp_path):
    _book(ctx, tmp_path)
    with pytest.raises(InvalidInput) as exc:
        promises.add_promise(ctx, customer_id="C1", amount="-5", promised_date=TODAY - dt.timedelta(days=1),
                          invoices=["I1", "E1", "NOPE"], channel="pigeon")
    text = "\n".join(exc.value.problems)
    for part in ("date:", "channel:", "amount:", "invoices: not invoices of C1: E1, NOPE"):
        assert part in text
    with pytest.raises(InvalidInput, match="more than the 1000.00 USD"):
        promises.add_promise(ctx, customer_id="C1", amount="1000.01", promised_date=TODAY, invoices=["I1"])
    with pytest.raises(InvalidInput):
        promises.add_promise(ctx, customer_id="C1", amount="10.001", promised_date=TODAY)
    assert promises.list_promises(ctx, as_of=TODAY) == []
    with pytest.raises(NotFound):
        promises.add_promise(ctx, customer_id="C1", amount="1", promised_date=TODAY,
                          scope=ledger.CustomerScope(collectors=("bruno",)))


def test_only_an_open_promise_can_be_cancelled(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    pid = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY, invoices=["I2"])["id"]
    assert promises.cancel_promise(ctx, promise_id=pid, note="withdrawn")["status"] == "cancelled"
    with pytest.raises(Conflict, match="from cancelled to cancelled"):
        promises.cancel_promise(ctx, promise_id=pid)
    other = promises.add_promise(ctx, customer_id="C1", amount="100.00", promised_date=TODAY, invoices=["I3"])["id"]
    clock.advance(dt.timedelta(days=10))
    with pytest.raises(Conflict, match="from broken to cancelled"):
        promises.cancel_promise(ctx, promise_id=other)


def test_kept_rate_by_collector_and_customer(ctx, tmp_path):
    _book(ctx, tmp_path)
    kept = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY, invoices=["I2"])["id"]
    promises.add_promise(ctx, customer_id="C1", amount="250.00", promised_date=TODAY, invoices=["I3"])
    _pay(ctx, tmp_path, "P1", D(0), "500.00", "I2")
    later = TODAY + dt.timedelta(days=10)
    rows = promises.kept_rates(ctx, as_of=later, by="collector")
    assert rows == [{"collector": "alice", "kept_rate": "0.500", "kept_percent": 50, "promises": 2, "open": 0, "kept": 1,
                     "partially_kept": 0, "broken": 1, "cancelled": 0}]
    assert promises.kept_rates(ctx, as_of=later, by="customer")[0]["customer"] == "C1"
    assert _status(ctx, kept, later)[0] == "kept"


def test_pure_status_rules():
    terms = P.Terms(Decimal("100"), dt.date(2026, 1, 10), dt.date(2026, 1, 1), 2)
    assert P.status(terms, [], dt.date(2026, 1, 12)) == ("open", Decimal(0))
    assert P.status(terms, [], dt.date(2026, 1, 13)) == ("broken", Decimal(0))
    assert P.status(terms, [(dt.date(2025, 12, 31), Decimal("100"))], dt.date(2026, 1, 13))[0] == "broken"  # before made
    assert P.status(terms, [(dt.date(2026, 1, 12), Decimal("100"))], dt.date(2026, 1, 13))[0] == "kept"
    assert P.kept_rate(["kept", "broken", "open", "cancelled", "partially_kept"]) == Decimal("0.333")
    assert P.kept_rate(["open"]) is None


def test_cli_promise_add_and_list_follow_the_contract(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    r = cli("promise", "add", "--customer", "C1", "--amount", "750.00", "--date", D(4), "--invoices", "I2,I3",
            "--channel", "email")
    assert r.exit_code == 0, r.output
    pid = r.stdout.strip().splitlines()[-1]
    r = cli("promise", "list", "--customer", "C1", "--as-of", TODAY.isoformat(), "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == [{"id": pid, "customer_id": "C1", "amount": "750.00", "currency": "USD",
                                     "date": D(4), "invoices": ["I2", "I3"], "status": "open", "paid": "0.00"}]
    r = cli("promise", "add", "--customer", "C1", "--amount", "abc", "--date", D(4))
    assert r.exit_code == 1 and "amount" in r.stderr
    r = cli("promise", "list", "--as-of", D(30), "--format", "json")
    assert json.loads(r.stdout)[0]["status"] == "broken"


def test_a_promise_pauses_dunning_and_a_broken_one_escalates(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    first = worklists.run(ctx, as_of=TODAY)
    assert first["proposed"] > 0
    before = worklists.worklist(ctx, as_of=TODAY, customer_id="C1")["items"][0]
    assert {a["kind"] for a in before["actions"]} >= {"email", "call"}
    worklists.add_promise(ctx, customer_id="C1", amount="1750.00", promised_date=TODAY + dt.timedelta(days=4))
    after = worklists.worklist(ctx, as_of=TODAY, customer_id="C1")["items"]
    assert after == []  # today's actions were cancelled: the whole account is promised
    clock.advance(dt.timedelta(days=1))
    tomorrow = worklists.worklist(ctx, as_of=TODAY + dt.timedelta(days=1), customer_id="C1")["items"]
    assert tomorrow == []
    # the promise is broken (nothing paid by date + 3 grace days): the account moves on a step
    later = TODAY + dt.timedelta(days=8)
    clock.advance(dt.timedelta(days=7))
    items = worklists.worklist(ctx, as_of=later, customer_id="C1")["items"]
    assert items and items[0]["parts"]["promises"] == 15.0
    assert any("broken" in r for r in items[0]["reasons"])


def test_money_applied_earlier_the_same_day_does_not_keep_a_promise_made_later(ctx, tmp_path, clock):
    """Bug #8.3: a payment applied at 09:30 and a promise recorded at 15:00 the same day — the promise is
    open, not kept, and the kept rate does not read 100 %."""
    _book(ctx, tmp_path)
    _pay(ctx, tmp_path, "P0", D(0), "500.00", "I1")  # applied at 09:30
    clock.advance(dt.timedelta(hours=5, minutes=30))
    on_invoice = promises.add_promise(ctx, customer_id="C1", amount="500.00", promised_date=TODAY + dt.timedelta(days=5),
                                      invoices=["I1"])["id"]
    on_account = promises.add_promise(ctx, customer_id="C1", amount="250.00",
                                      promised_date=TODAY + dt.timedelta(days=5))["id"]
    assert _status(ctx, on_invoice, TODAY) == ("open", "0.00")
    assert _status(ctx, on_account, TODAY) == ("open", "0.00")
    later = TODAY + dt.timedelta(days=10)
    assert promises.kept_rates(ctx, as_of=later)[0]["kept_percent"] == 0
    # money applied after the promise, the same day, counts
    clock.advance(dt.timedelta(hours=1))
    _pay(ctx, tmp_path, "P1", D(0), "250.00", "I2")
    assert _status(ctx, on_account, TODAY) == ("kept", "250.00")
    assert _status(ctx, on_invoice, TODAY) == ("open", "0.00")


def test_pure_rule_compares_the_moment_money_was_applied_with_the_promise():
    made_at = dt.datetime(2026, 1, 1, 15, 0, tzinfo=dt.timezone.utc)
    terms = P.Terms(Decimal("100"), dt.date(2026, 1, 10), dt.date(2026, 1, 1), 2, made_at=made_at)
    morning = (dt.date(2026, 1, 1), Decimal("100"), made_at - dt.timedelta(hours=6))
    evening = (dt.date(2026, 1, 1), Decimal("100"), made_at + dt.timedelta(hours=1))
    assert P.status(terms, [morning], dt.date(2026, 1, 2)) == ("open", Decimal(0))
    assert P.status(terms, [morning], dt.date(2026, 1, 13)) == ("broken", Decimal(0))
    assert P.status(terms, [evening], dt.date(2026, 1, 2)) == ("kept", Decimal("100"))
    # a later value date counts whenever it was recorded (an import of the day's bank file)
    assert P.status(terms, [(dt.date(2026, 1, 2), Decimal("100"), made_at - dt.timedelta(hours=1))],
                    dt.date(2026, 1, 2))[0] == "kept"
