"""Cash application service on both databases: imports are atomic and idempotent, matching applies what is
certain and proposes the rest, a person's apply/unapply/exclude keeps the ledger truths and teaches the matcher,
applied cash keeps promises, closes disputes and stops dunning at once, and the JSON is CONTRACT §9's.

The matcher here is ``tests.cashapp.standin.standin_match`` (the real one arrives with wt/match)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from arcollect.audit import AuditEntry
from arcollect.cashapp import service as cash
from arcollect.cashapp.models import BankLine, BankStatement, PayerAccount
from arcollect.cashapp.shapes import BankFileError
from arcollect.errors import Conflict
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Payment
from tests.cashapp.book import ACCOUNT, book, credit, statement
from tests.cashapp.standin import standin_match
from tests.security.test_money_races import assert_ledger_truths

TODAY = dt.date(2026, 11, 23)
IBAN_PAYER = "GB33BUKB20201555555555"


def _count(ctx, model) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def _match(ctx):  # noqa: ANN001, ANN202
    return cash.match(ctx, as_of=TODAY, matcher=standin_match)


def _by_ref(ctx, reference: str) -> dict:  # noqa: ANN001
    return next(ln for ln in cash.lines(ctx) if ln["reference"] == reference)


def _open(ctx, customer: str) -> dict[str, Decimal]:  # noqa: ANN001
    return {i["invoice_id"]: i["open_amount"] for i in ledger.customer_overview(ctx, customer_id=customer, as_of=TODAY).open_items}


def _truths(ctx) -> None:  # noqa: ANN001
    import tests.security.test_money_races as races

    saved = races.AS_OF
    races.AS_OF = TODAY
    try:
        totals = ledger.ledger_totals(ctx, as_of=TODAY, currency="EUR")
        assert totals.invoiced - totals.applied_payments - totals.applied_credits - totals.written_off == totals.open
        assert totals.payments == totals.applied_payments + totals.unapplied_cash
        assert_ledger_truths(ctx)
    finally:
        races.AS_OF = saved


# ---- import --------------------------------------------------------------------------------------
def test_the_same_statements_twice_count_as_duplicates_and_add_nothing(ctx):
    lines = (credit("1000.00", "R1", "INV-1"), credit("250.00", "R2", "INV-3"), credit("-12.50", "R3", "fee"))
    first = cash.store_statements(ctx, statements=[statement(*lines)], filename="day1.xml", sha256="a" * 64)
    assert (first["created"], first["duplicates"]) == (3, 0)
    again = cash.store_statements(ctx, statements=[statement(*lines)], filename="day1.xml", sha256="a" * 64)
    assert (again["created"], again["duplicates"]) == (0, 3)
    assert _count(ctx, BankLine) == 3 and _count(ctx, BankStatement) == 1
    # an overlapping statement (another file): only the line not seen before is added
    overlap = cash.store_statements(ctx, statements=[statement(lines[1], credit("80.00", "R4", "INV-4"))],
                                    filename="day1-2.xml", sha256="b" * 64)
    assert (overlap["created"], overlap["duplicates"]) == (1, 1)
    assert _count(ctx, BankLine) == 4


def test_lines_without_a_bank_reference_are_known_by_content_and_occurrence(ctx):
    twins = (credit("50.00", None, "coffee"), credit("50.00", None, "coffee"))
    assert cash.store_statements(ctx, statements=[statement(*twins)], filename="x", sha256="c" * 64)["created"] == 2
    assert cash.store_statements(ctx, statements=[statement(*twins)], filename="x", sha256="d" * 64)["duplicates"] == 2


def test_a_malformed_file_stores_nothing(ctx, tmp_path):
    path = tmp_path / "broken.sta"
    path.write_bytes(b":20:X\n:61:garbage\n")

    def broken(data, name, fmt, mapping):  # noqa: ANN001, ANN202
        raise BankFileError(f"{name}: not a bank file", [f"{name}:2: :61: cannot read the amount"])

    with pytest.raises(BankFileError, match=r"broken.sta:2"):
        cash.import_file(ctx, path=path, parse=broken)
    # a failure while storing (a zero amount breaks a constraint in the middle of the file) leaves nothing
    bad = statement(credit("10.00", "OK1", "x"), credit("0.00", "ZERO", "x"))
    with pytest.raises(Exception):
        cash.store_statements(ctx, statements=[bad], filename="bad", sha256="e" * 64)
    assert _count(ctx, BankLine) == 0 and _count(ctx, BankStatement) == 0


def test_import_file_json_is_the_contract_shape(ctx, tmp_path):
    path = tmp_path / "day.xml"
    path.write_bytes(b"<Document/>")
    parsed = [statement(credit("1000.00", "R1", "INV-1"), credit("-12.50", "R3", "fee"), opening="100.00"),
              statement(credit("5.00", "R9"), opening=None, statement_id="S2")]
    out = cash.import_file(ctx, path=path, parse=lambda *a: parsed)
    assert set(out) == {"statements", "created", "duplicates"} and (out["created"], out["duplicates"]) == (3, 0)
    first, second = out["statements"]
    assert first == {"account": "DE89370400440532013000", "currency": "EUR", "opening": "100.00", "closing": "1087.50",
                     "credits": "1000.00", "debits": "12.50", "balance_check": "ok", "lines": 2}
    assert second["balance_check"] == "n/a" and second["lines"] == 1
    # the file states no balance: CONTRACT §9's money strings, and balance_check n/a says they were not stated
    assert (second["opening"], second["closing"]) == ("0.00", "0.00")
    assert cash.import_file(ctx, path=path, parse=lambda *a: parsed)["duplicates"] == 3


def test_debits_are_stored_as_lines_that_need_no_matching(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("-12.50", "FEE", "bank fee"))], filename="f", sha256="f" * 64)
    (line,) = cash.lines(ctx)
    assert line["status"] == "excluded" and line["amount"] == "-12.50"
    assert _match(ctx)["lines"] == 0


# ---- matching ------------------------------------------------------------------------------------
def test_match_applies_what_is_certain_proposes_the_rest_and_a_rerun_changes_nothing(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(
        credit("1400.00", "R1", "INV-1 INV-2", payer="ACME CORP"),      # certain: applied at once
        credit("100.00", "R2", "on account", payer="Beta GmbH"),        # customer known, amount fits nothing
        credit("77.00", "R3", "who knows", payer="Somebody Else"))],     # nobody
        filename="s", sha256="1" * 64)
    out = _match(ctx)
    assert (out["applied"], out["proposed"], out["unidentified"], out["errors"]) == (1, 1, 1, [])
    r1, r2, r3 = _by_ref(ctx, "R1"), _by_ref(ctx, "R2"), _by_ref(ctx, "R3")
    assert r1["status"] == "applied" and r1["customer_id"] == "C1" and r1["confidence"] == 1.0
    assert r1["applications"] == [{"invoice_id": "INV-1", "amount": "1000.00"}, {"invoice_id": "INV-2", "amount": "400.00"}]
    assert r2["status"] == "proposed" and r2["proposals"][0]["customer_id"] == "C2" and r2["applications"] == []
    assert r3["status"] == "unmatched" and r3["customer_id"] is None and r3["proposals"] == []
    assert _open(ctx, "C1") == {}
    audits = _count(ctx, AuditEntry)
    payments = _count(ctx, Payment)
    again = _match(ctx)
    assert (again["applied"], again["proposed"], again["unidentified"], again["changed"]) == (0, 1, 1, 0)
    assert _count(ctx, AuditEntry) == audits and _count(ctx, Payment) == payments == 1
    _truths(ctx)


def test_a_line_applied_by_a_person_meanwhile_is_not_applied_again(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("250.00", "R1", "INV-3", payer="Beta GmbH"))],
                          filename="s", sha256="2" * 64)
    line_id = _by_ref(ctx, "R1")["id"]
    decisions = standin_match(*_inputs(ctx), None)
    cash.apply(ctx, line_id=line_id, invoices=[("INV-3", None)])
    outcome = cash.apply_decision(ctx, decision=decisions[0])
    assert outcome == {"status": "applied", "changed": False, "customer_pk": outcome["customer_pk"]}
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 1
    _truths(ctx)


def _inputs(ctx):  # noqa: ANN001, ANN202
    from arcollect.cashapp import inputs

    with ctx.sessions() as s:
        lines = inputs.undecided_lines(s)
        return ([inputs.line_in(ln) for ln in lines], inputs.parties(s),
                inputs.open_items(s, as_of=TODAY, currencies={"EUR"}))


# ---- a person's decisions -----------------------------------------------------------------------
def test_apply_unapply_exclude_round_trip_keeps_the_ledger_truths(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(
        credit("500.00", "R1", "payment", payer="A. Corp"), credit("9.99", "R2", "refund?"))],
        filename="s", sha256="3" * 64)
    line_id = _by_ref(ctx, "R1")["id"]
    applied = cash.apply(ctx, line_id=line_id, invoices=[("INV-2", None), ("INV-1", Decimal("60.00"))])
    assert applied["status"] == "applied" and applied["customer_id"] == "C1"
    assert applied["applications"] == [{"invoice_id": "INV-1", "amount": "60.00"}, {"invoice_id": "INV-2", "amount": "400.00"}]
    assert _open(ctx, "C1") == {"INV-1": Decimal("940.00")}
    overview = ledger.customer_overview(ctx, customer_id="C1", as_of=TODAY)
    assert overview.unapplied_cash == {"EUR": Decimal("40.00")}  # the rest on the customer
    _truths(ctx)
    with pytest.raises(Conflict, match="unapply it first"):
        cash.apply(ctx, line_id=line_id, invoices=[("INV-1", None)])
    with pytest.raises(Conflict, match="unapply it first"):
        cash.exclude(ctx, line_id=line_id, reason="oops")
    undone = cash.unapply(ctx, line_id=line_id)
    assert undone["status"] == "unmatched" and undone["customer_id"] is None and undone["applications"] == []
    with ctx.sessions() as s:
        rows = s.execute(select(Application.amount, Application.reverses_pk).order_by(Application.id)).all()
    assert len(rows) == 4 and sorted(a for a, r in rows if r is not None) == [Decimal("-400.00"), Decimal("-60.00")]
    assert _open(ctx, "C1") == {"INV-1": Decimal("1000.00"), "INV-2": Decimal("400.00")}
    assert ledger.aging(ctx, as_of=TODAY).unidentified_cash == {"EUR": Decimal("500.00")}
    _truths(ctx)
    # applied again, to another customer: the same payment (one per line), moved
    again = cash.apply(ctx, line_id=line_id, invoices=[("INV-3", None)], customer_id="C2")
    assert again["customer_id"] == "C2" and again["applications"] == [{"invoice_id": "INV-3", "amount": "250.00"}]
    assert _count(ctx, Payment) == 1
    assert ledger.customer_overview(ctx, customer_id="C2", as_of=TODAY).unapplied_cash == {"EUR": Decimal("250.00")}
    _truths(ctx)
    other = _by_ref(ctx, "R2")["id"]
    excluded = cash.exclude(ctx, line_id=other, reason="internal transfer")
    assert excluded["status"] == "excluded"
    with pytest.raises(Conflict, match="excluded"):
        cash.apply(ctx, line_id=other, invoices=[("INV-4", None)])
    with ctx.sessions() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "bank_line")))
    assert {"apply", "unapply", "exclude"} <= actions


def test_a_manual_apply_teaches_the_payer_account_and_name(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("1000.00", "R1", "INV 1", payer="ACME HOLDING",
                                                            account="GB33 BUKB 2020 1555 5555 55"))],
                          filename="s", sha256="4" * 64)
    assert _match(ctx)["unidentified"] == 1  # nothing tells whose it is
    cash.apply(ctx, line_id=_by_ref(ctx, "R1")["id"], invoices=[("INV-1", None)])
    with ctx.sessions() as s:
        assert s.scalar(select(PayerAccount.account)) == IBAN_PAYER  # validated and compacted (schwifty)
    # the next payment from that account names a known invoice only: identified by the account
    cash.store_statements(ctx, statements=[statement(credit("400.00", "R2", "INV-2", payer="ACME HOLDING LTD",
                                                            account=IBAN_PAYER), statement_id="S2")],
                          filename="s2", sha256="5" * 64)
    assert _match(ctx)["applied"] == 1
    r2 = _by_ref(ctx, "R2")
    assert r2["customer_id"] == "C1" and "payer account seen before" in r2["reasons"]


# ---- what applied cash sets going -----------------------------------------------------------------
def test_bank_cash_keeps_a_promise_and_closes_a_settled_dispute(ctx, tmp_path, cli):
    import json

    from arcollect.worklist import service as worklists

    book(ctx, tmp_path)
    promise = worklists.add_promise(ctx, customer_id="C1", amount="1000.00", promised_date=TODAY + dt.timedelta(days=2),
                                    invoices=["INV-1"])
    # the dispute through the CLI (CONTRACT §8), the promise's status too (§5): both stable while cases/ moves
    r = cli("dispute", "open", "--invoices", "INV-3", "--reason", "not_received")
    assert r.exit_code == 0, r.output
    dispute_id = r.stdout.strip()
    r = cli("dispute", "update", dispute_id, "--status", "resolved", "--resolution", "rejected_valid")
    assert r.exit_code == 0, r.output
    cash.store_statements(ctx, statements=[statement(credit("1000.00", "R1", "INV-1", payer="Acme Corp", day=TODAY),
                                                     credit("250.00", "R2", "INV-3", payer="Beta GmbH", day=TODAY))],
                          filename="s", sha256="6" * 64)
    assert _match(ctx)["applied"] == 2
    listed = json.loads(cli("promise", "list", "--as-of", TODAY.isoformat(), "--format", "json").stdout)
    assert {p["id"]: p["status"] for p in listed}[str(promise["id"])] == "kept"
    disputes = json.loads(cli("dispute", "list", "--format", "json").stdout)
    assert {d["id"]: d["status"] for d in disputes}[dispute_id] == "closed"


def test_bank_cash_suppresses_queued_dunning_at_once(ctx):
    from arcollect.outreach import outbox

    ledger.load_demo(ctx, customers=36, seed=7)
    outbox.dunning_run(ctx, as_of=TODAY, send=False)
    queued = [m for m in outbox.list_outbox(ctx) if m["status"] in ("queued", "awaiting_approval") and m["invoices"]]
    assert queued
    message = queued[0]
    owed = _open(ctx, message["customer_id"])
    currency = ledger.customer_overview(ctx, customer_id=message["customer_id"], as_of=TODAY).customer["currency"]
    invoices = [(i, None) for i in message["invoices"]]
    total = sum(owed[i] for i in message["invoices"])
    parsed = statement(credit(str(total), "DUN1", " ".join(message["invoices"])))
    parsed = type(parsed)(**{**parsed.__dict__, "currency": currency,
                             "lines": tuple(type(ln)(**{**ln.__dict__, "currency": currency}) for ln in parsed.lines)})
    cash.store_statements(ctx, statements=[parsed], filename="s", sha256="7" * 64)
    cash.apply(ctx, line_id=_by_ref(ctx, "DUN1")["id"], invoices=invoices, customer_id=message["customer_id"])
    after = next(m for m in outbox.list_outbox(ctx) if m["id"] == message["id"])
    assert after["status"] == "suppressed"


# ---- CONTRACT §9 JSON ----------------------------------------------------------------------------
def test_lines_json_is_the_contract_shape(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("1000.00", "R1", "INV-1", "thanks", payer="Acme Corp"),
                                                     credit("100.00", "R2", "x", payer="Beta GmbH"),
                                                     credit("5.00", None, "?"))],
                          filename="s", sha256="8" * 64)
    _match(ctx)
    rows = cash.lines(ctx)
    keys = {"id", "reference", "date", "amount", "currency", "payer", "remittance", "status", "customer_id",
            "confidence", "applications", "reasons", "proposals"}
    for row in rows:
        assert set(row) == keys
        assert all(isinstance(row[k], str) for k in ("id", "reference", "date", "amount", "currency", "payer", "remittance"))
        assert row["status"] in ("unmatched", "proposed", "applied", "excluded")
        assert row["customer_id"] is None or isinstance(row["customer_id"], str)
        assert isinstance(row["confidence"], float)
        assert isinstance(row["reasons"], list) and all(isinstance(r, str) for r in row["reasons"])
        assert isinstance(row["proposals"], list)
        for a in row["applications"]:
            assert set(a) == {"invoice_id", "amount"} and all(isinstance(v, str) for v in a.values())
    r1 = _by_ref(ctx, "R1")
    assert r1["date"] == "2026-11-20" and r1["amount"] == "1000.00" and r1["remittance"] == "INV-1\nthanks"
    assert [r["status"] for r in cash.lines(ctx, status="applied")] == ["applied"]
    assert ACCOUNT  # the statement's account is ours (stored compact)


def test_lines_of_a_collector_are_their_customers_only(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("1000.00", "R1", "INV-1", payer="Acme Corp"),
                                                     credit("250.00", "R2", "INV-3", payer="Beta GmbH"),
                                                     credit("5.00", "R3", "?"))], filename="s", sha256="9" * 64)
    _match(ctx)
    ann = ledger.CustomerScope(collectors=("ann",))
    assert [r["reference"] for r in cash.lines(ctx, scope=ann, unidentified=False)] == ["R1"]
    assert {r["reference"] for r in cash.lines(ctx, scope=ann, unidentified=True)} == {"R1", "R3"}
