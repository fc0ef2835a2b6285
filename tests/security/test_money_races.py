"""Money is never created by a race (issue #7 item 1): writers in separate processes, released at the same
moment against one database, never apply more than is open or unapplied, and never answer with a crash.

Each test checks the ledger truths of DESIGN §4 afterwards; it asserts outcomes, never durations.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from arcollect.db import Money
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Invoice, Payment, WriteOff
from tests.conftest import write_csv
from tests.security import race_workers as W

AS_OF = dt.date(2026, 11, 23)


def _book(ctx, tmp_path, invoices: int) -> None:  # noqa: ANN001
    write_csv(tmp_path / "c.csv", "customer_id,name,currency", "C1,Race Corp,USD")
    rows = [f"I{n:02d},C1,2026-10-01,2026-10-31,100.00" for n in range(1, invoices + 1)]
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount", *rows)
    assert not ledger.import_file(ctx, kind="customers", path=tmp_path / "c.csv").errors
    assert not ledger.import_file(ctx, kind="invoices", path=tmp_path / "i.csv").errors


def assert_ledger_truths(ctx) -> None:  # noqa: ANN001
    """Σ invoices − Σ applied = Σ open; Σ payments = Σ applied + unapplied; nothing over-applied anywhere."""
    totals = ledger.ledger_totals(ctx, as_of=AS_OF, currency="USD")
    assert totals.invoiced - totals.applied_payments - totals.applied_credits - totals.written_off == totals.open
    assert totals.payments == totals.applied_payments + totals.unapplied_cash
    with ctx.sessions() as s:
        per_invoice = s.execute(select(Invoice.invoice_id, Invoice.amount, type_coerce(func.sum(Application.amount), Money()))
                                .outerjoin(Application, Application.invoice_pk == Invoice.id)
                                .group_by(Invoice.id, Invoice.invoice_id, Invoice.amount)).all()
        per_payment = s.execute(select(Payment.payment_id, Payment.amount, type_coerce(func.sum(Application.amount), Money()))
                                .outerjoin(Application, Application.payment_pk == Payment.id)
                                .group_by(Payment.id, Payment.payment_id, Payment.amount)).all()
    over = [(iid, amount) for iid, amount, applied in per_invoice if _money(applied) > amount or _money(applied) < 0]
    assert not over, f"over-applied invoices: {over}"
    over = [(pid, amount) for pid, amount, applied in per_payment if _money(applied) > amount or _money(applied) < 0]
    assert not over, f"over-applied payments: {over}"


def _money(raw) -> Decimal:  # noqa: ANN001
    return raw if raw is not None else Decimal(0)


def _no_crash(outcomes) -> None:  # noqa: ANN001
    crashes = [o for o in outcomes if "crash" in o]
    assert not crashes, "\n".join(o["trace"] for o in crashes)


def test_concurrent_payment_files_never_apply_more_than_is_open(ctx, db_url, tmp_path):
    _book(ctx, tmp_path, 40)
    everything = ";".join(f"I{n:02d}" for n in range(1, 41))
    files = []
    for name in ("A", "B", "C"):
        files.append(write_csv(tmp_path / f"p{name}.csv", "payment_id,customer_id,received_date,amount,applies_to",
                               f'P{name},C1,2026-11-20,4000.00,"{everything}"'))
    files.append(files[-1])  # the same file twice at the same moment: one payment PC, never a crash
    home = str(tmp_path / "home")
    outcomes = W.race([(W.import_payments, (db_url, home, str(f))) for f in files])
    _no_crash(outcomes)
    assert_ledger_truths(ctx)
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.payment_id == "PC")) == 1
    totals = ledger.ledger_totals(ctx, as_of=AS_OF, currency="USD")
    assert totals.applied_payments == Decimal("4000.00")  # every invoice paid once, by whichever file came first
    assert totals.open == Decimal("0.00")


def test_concurrent_applications_reversals_and_write_offs_move_money_once(ctx, db_url, tmp_path):
    _book(ctx, tmp_path, 4)
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              "PA,C1,2026-11-20,100.00,I01", "PB,C1,2026-11-20,100.00,")
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    with ctx.sessions() as s:
        first = s.scalar(select(Application.id).join(Payment, Payment.id == Application.payment_pk)
                         .where(Payment.payment_id == "PA"))
    home = str(tmp_path / "home")
    outcomes = W.race([
        (W.reverse, (db_url, home, first)), (W.reverse, (db_url, home, first)),
        (W.write_off, (db_url, home, "I02", "100.00")), (W.write_off, (db_url, home, "I02", "100.00")),
        (W.apply_payment, (db_url, home, "PB", "I03", "60.00")), (W.apply_payment, (db_url, home, "PB", "I04", "60.00")),
    ])
    _no_crash(outcomes)
    assert [o["ok"] for o in outcomes[0:2]].count(True) == 1, outcomes[0:2]  # reversed once
    assert [o["ok"] for o in outcomes[2:4]].count(True) == 1, outcomes[2:4]  # written off once
    assert [o["ok"] for o in outcomes[4:6]].count(True) == 1, outcomes[4:6]  # 60 + 60 > 100: one of them
    assert all(o.get("refused") == "Conflict" for o in outcomes if not o["ok"])
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Application).where(Application.reverses_pk == first)) == 1
        assert s.scalar(select(func.count()).select_from(WriteOff)) == 1
    assert_ledger_truths(ctx)
