"""Two `cash match` runs (and people applying by hand) at the same moment, in separate processes, on both
databases: every line is applied once, no invoice gets more than it owes, nobody crashes (DESIGN §8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from arcollect.cashapp import service as cash
from arcollect.cashapp.models import BankLine
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Payment
from tests.cashapp import cash_workers as CW
from tests.cashapp.book import credit, statement
from tests.conftest import write_csv
from tests.security import race_workers as W
from tests.security.test_money_races import _no_crash

TODAY = dt.date(2026, 11, 23)
N = 30


def test_two_matches_at_once_never_apply_a_line_twice(ctx, db_url, tmp_path):
    write_csv(tmp_path / "c.csv", "customer_id,name,currency", "C1,Race Corp,EUR")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              *[f"R{n:02d},C1,2026-10-01,2026-10-31,100.00,EUR" for n in range(1, N + 1)])
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    lines = [credit("100.00", f"B{n:02d}", f"R{n:02d}", payer="Race Corp") for n in range(1, N + 1)]
    cash.store_statements(ctx, statements=[statement(*lines)], filename="race", sha256="r" * 64)
    first = next(ln["id"] for ln in cash.lines(ctx) if ln["reference"] == "B01")
    home = str(tmp_path / "home")
    outcomes = W.race([(CW.cash_match, (db_url, home)), (CW.cash_match, (db_url, home)),
                       (CW.cash_apply, (db_url, home, first, "R01"))])
    _no_crash(outcomes)
    assert all(o["ok"] or o.get("refused") == "Conflict" for o in outcomes), outcomes
    applied = sum(o.get("applied", 0) for o in outcomes[:2]) + (1 if outcomes[2]["ok"] else 0)
    assert applied == N, outcomes  # each line by exactly one of them
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(BankLine).where(BankLine.status == "applied")) == N
        assert s.scalar(select(func.count()).select_from(Payment)) == N
        assert s.scalar(select(func.count()).select_from(Application)) == N
    totals = ledger.ledger_totals(ctx, as_of=TODAY, currency="EUR")
    assert totals.open == Decimal("0.00") and totals.applied_payments == Decimal(100 * N)
    assert totals.payments == totals.applied_payments + totals.unapplied_cash
