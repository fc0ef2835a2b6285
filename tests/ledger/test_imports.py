"""CONTRACT §2 import rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from arcollect.audit import AuditEntry
from arcollect.ledger import service
from arcollect.ledger.models import Application, Customer, Invoice, Payment
from tests.conftest import write_csv

CUSTOMERS = "customer_id,name,currency,country,timezone,language,collector,parent_id"


def _counts(ctx) -> dict[str, int]:  # noqa: ANN001
    with ctx.sessions() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Customer, Invoice, Payment, Application)}


def _setup(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", CUSTOMERS,
              "C1,Acme Corp,USD,US,America/New_York,en,alice,",
              "C2,Beta GmbH,EUR,DE,Europe/Berlin,de,bruno,",
              "C3,Acme West,USD,US,America/Los_Angeles,en,alice,C1")
    assert not service.import_file(ctx, kind="customers", path=tmp_path / "c.csv").errors
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,po_number",
              "0001,C1,2026-09-01,2026-10-01,100.00,PO-1",
              "0002,C1,2026-10-01,2026-10-31,250.50,",
              "0003,C2,2026-10-05,2026-11-04,80.00,")
    assert not service.import_file(ctx, kind="invoices", path=tmp_path / "i.csv").errors


def test_file_with_several_bad_rows_reports_each_and_writes_nothing(ctx, tmp_path):
    _setup(ctx, tmp_path)
    before = _counts(ctx)
    bad = write_csv(tmp_path / "bad.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                    "0100,C1,2026-11-01,2026-12-01,10.00",
                    "0101,NOPE,2026-11-01,2026-12-01,10.00",
                    "0102,C1,01/11/2026,2026-12-01,10.00",
                    "0103,C1,2026-11-01,2026-12-01,10.005",
                    "0104,C1,2026-11-01,2026-10-01,5.00",
                    "0105,C1,2026-11-01,2026-12-01,-3.00")
    result = service.import_file(ctx, kind="invoices", path=bad)
    assert result.errors == [
        f"{bad}:3: customer_id: customer 'NOPE' does not exist (import customers first)",
        f"{bad}:4: issue_date: '01/11/2026' is not a date in the format YYYY-MM-DD",
        f"{bad}:5: amount: '10.005' has more than 2 decimals, the minor units of USD",
        f"{bad}:6: due_date: 2026-10-01 is before the issue date 2026-11-01",
        f"{bad}:7: amount: -3.00 must be greater than zero",
    ]
    assert _counts(ctx) == before  # the valid first row was not written either


def test_reimport_changes_nothing_and_changed_row_is_updated_and_audited(ctx, tmp_path):
    _setup(ctx, tmp_path)
    again = service.import_file(ctx, kind="invoices", path=tmp_path / "i.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    write_csv(tmp_path / "i2.csv", "invoice_id,customer_id,issue_date,due_date,amount,po_number",
              "0001,C1,2026-09-01,2026-10-15,100.00,PO-1")
    changed = service.import_file(ctx, kind="invoices", path=tmp_path / "i2.csv")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    with ctx.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "invoice",
                                                   AuditEntry.entity_key == "0001")).one()
        assert entry.action == "update" and entry.actor == "test"
        assert entry.changes == {"due_date": ["2026-10-01", "2026-10-15"]}
        # leading zeros of ERP ids survive
        assert s.scalar(select(Invoice.invoice_id).order_by(Invoice.invoice_id).limit(1)) == "0001"


def test_unknown_columns_are_kept_as_custom_fields_with_a_warning(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "x.csv", "invoice_id,customer_id,issue_date,due_date,amount,Region",
                  "0200,C1,2026-11-01,2026-12-01,10.00,North")
    result = service.import_file(ctx, kind="invoices", path=f)
    assert not result.errors and result.created == 1
    assert any("Region" in w for w in result.warnings)
    with ctx.sessions() as s:
        assert s.scalar(select(Invoice.custom_fields).where(Invoice.invoice_id == "0200")) == {"Region": "North"}


def test_missing_required_column_is_reported_on_line_1(ctx, tmp_path):
    f = write_csv(tmp_path / "c.csv", "customer_id,currency", "C1,USD")
    result = service.import_file(ctx, kind="customers", path=f)
    assert result.errors == [f"{f}:1: name: required column is missing from the header"]


def test_payment_applies_to_explicit_and_remaining_amounts_in_order(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
                  "P1,C1,2026-10-20,300.00,0002:50.00;0001")
    result = service.import_file(ctx, kind="payments", path=f)
    assert not result.errors
    overview = service.customer_overview(ctx, customer_id="C1", as_of=ctx.clock.today())
    opens = {i["invoice_id"]: i["open_amount"] for i in overview.open_items}
    # 50.00 explicit to 0002, then what is left (250.00) to 0001 up to its open amount (100.00)
    assert opens == {"0002": Decimal("200.50")}
    assert overview.unapplied_cash == {"USD": Decimal("150.00")}


def test_payment_whose_applies_to_exceeds_the_open_amount_is_rejected(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
                  "P1,C1,2026-10-20,500.00,0001:150.00",
                  "P2,C1,2026-10-20,50.00,0002:60.00",
                  "P3,C1,2026-10-20,50.00,0003",
                  "P4,C1,2026-10-20,50.00,9999")
    result = service.import_file(ctx, kind="payments", path=f)
    assert result.errors == [
        f"{f}:2: applies_to: 150.00 applied to 0001 exceeds its open amount 100.00",
        f"{f}:3: applies_to: applies_to amounts total 60.00, more than the document's 50.00",
        f"{f}:4: applies_to: invoice 0003 is in EUR, the document in USD",
        f"{f}:5: applies_to: invoice '9999' does not exist",
    ]
    assert _counts(ctx)["payments"] == 0


def test_later_rows_see_what_earlier_rows_of_the_same_file_applied(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
                  "P1,C1,2026-10-20,60.00,0001",
                  "P2,C1,2026-10-21,60.00,0001:60.00")
    result = service.import_file(ctx, kind="payments", path=f)
    assert result.errors == [f"{f}:3: applies_to: 60.00 applied to 0001 exceeds its open amount 40.00"]


def test_partial_imports_valid_rows_and_writes_rejected_csv(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
                  "P1,C1,2026-10-20,40.00,0001",
                  "P2,C1,2026-13-01,40.00,0001")
    result = service.import_file(ctx, kind="payments", path=f, partial=True)
    assert (result.created, result.rejected) == (1, 1)
    rejected = (tmp_path / "p.csv.rejected.csv").read_text().splitlines()
    assert rejected[0] == "line,payment_id,customer_id,received_date,amount,applies_to,reason"
    assert rejected[1].startswith("3,P2,C1,2026-13-01,40.00,0001,")
    assert "received_date" in rejected[1]


def test_payment_without_customer_or_applies_to_is_unidentified_cash(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,received_date,amount,currency,payer_name",
                  "P9,2026-11-02,75.25,USD,Unknown Payer Ltd")
    assert not service.import_file(ctx, kind="payments", path=f).errors
    report = service.aging(ctx, as_of=ctx.clock.today(), by="total")
    assert report.unidentified_cash == {"USD": Decimal("75.25")}
    assert all(r.unapplied_cash == 0 for r in report.rows)


def test_payment_without_customer_takes_the_customer_of_its_invoice(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "p.csv", "payment_id,received_date,amount,applies_to",
                  "P1,2026-10-20,120.00,0001")
    assert not service.import_file(ctx, kind="payments", path=f).errors
    overview = service.customer_overview(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert overview.unapplied_cash == {"USD": Decimal("20.00")}


def test_changing_applies_to_reverses_and_reapplies_without_erasing(ctx, tmp_path):
    _setup(ctx, tmp_path)
    header = "payment_id,customer_id,received_date,amount,applies_to"
    write_csv(tmp_path / "p.csv", header, "P1,C1,2026-10-20,100.00,0001")
    service.import_file(ctx, kind="payments", path=tmp_path / "p.csv")
    write_csv(tmp_path / "p2.csv", header, "P1,C1,2026-10-20,100.00,0002")
    result = service.import_file(ctx, kind="payments", path=tmp_path / "p2.csv")
    assert result.updated == 1 and not result.errors
    with ctx.sessions() as s:
        amounts = sorted(s.scalars(select(Application.amount)))
    assert amounts == [Decimal("-100.00"), Decimal("100.00"), Decimal("100.00")]
    today = service.customer_overview(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert {i["invoice_id"]: i["open_amount"] for i in today.open_items} == {
        "0001": Decimal("100.00"), "0002": Decimal("150.50")}
    # history is answerable: on 2026-10-31 the payment still sat on 0001
    then = service.customer_overview(ctx, customer_id="C1", as_of=__import__("datetime").date(2026, 10, 31))
    assert {i["invoice_id"]: i["open_amount"] for i in then.open_items} == {"0002": Decimal("250.50")}


def test_invoice_amount_may_not_drop_below_what_is_applied(ctx, tmp_path):
    _setup(ctx, tmp_path)
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              "P1,C1,2026-10-20,90.00,0001")
    service.import_file(ctx, kind="payments", path=tmp_path / "p.csv")
    f = write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                  "0001,C1,2026-09-01,2026-10-01,80.00")
    result = service.import_file(ctx, kind="invoices", path=f)
    assert result.errors == [f"{f}:2: amount: 80.00 is less than the 90.00 already applied to invoice 0001"]
    f2 = write_csv(tmp_path / "i2.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                   "0001,C1,2026-09-01,2026-10-01,95.00")
    assert service.import_file(ctx, kind="invoices", path=f2).updated == 1


def test_duplicate_id_in_one_file_with_different_values_is_an_error(ctx, tmp_path):
    f = write_csv(tmp_path / "c.csv", "customer_id,name", "C1,Acme", "C1,Acme", "C1,Other")
    result = service.import_file(ctx, kind="customers", path=f)
    assert result.errors == [f"{f}:4: customer_id: 'C1' appears again (line 2) with different values"]


def test_customer_hierarchy_cycles_and_unknown_parents_are_refused(ctx, tmp_path):
    f = write_csv(tmp_path / "c.csv", "customer_id,name,parent_id", "A,a,B", "B,b,A", "C,c,ZZZ")
    result = service.import_file(ctx, kind="customers", path=f)
    assert f"{f}:4: parent_id: parent customer 'ZZZ' is neither in this file nor stored" in result.errors
    assert any("circular" in e for e in result.errors)


def test_customer_field_validation_names_each_field(ctx, tmp_path):
    f = write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone,language,email,payment_terms_days",
                  "C1,Acme,XXX,ZZ,Mars/Base,??,not-an-email,abc")
    result = service.import_file(ctx, kind="customers", path=f)
    columns = [e.split(": ")[1] for e in result.errors]
    assert columns == ["currency", "payment_terms_days", "country", "timezone", "language", "email"]


def test_contacts_import_with_roles_and_primary(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "k.csv", "customer_id,email,name,role,primary",
                  "C1,AP@acme.example,Ann,ap,true", "C1,bill@acme.example,Bob,billing,no",
                  "C1,x@acme.example,X,boss,maybe")
    result = service.import_file(ctx, kind="contacts", path=f)
    assert result.errors == [f"{f}:4: role: 'boss' is not one of ap, billing, escalation, other",
                             f"{f}:4: primary: 'maybe' is not true/false"]
    f2 = write_csv(tmp_path / "k2.csv", "customer_id,email,name,role,primary",
                   "C1,AP@acme.example,Ann,ap,true", "C1,bill@acme.example,Bob,billing,no")
    assert service.import_file(ctx, kind="contacts", path=f2).created == 2
    contacts = service.customer_overview(ctx, customer_id="C1", as_of=ctx.clock.today()).contacts
    assert contacts[0] == {"email": "ap@acme.example", "name": "Ann", "phone": None, "role": "ap",
                           "language": None, "primary": True, "bouncing": False}


def test_credit_note_applies_and_leaves_remainder_as_unapplied_credit(ctx, tmp_path):
    _setup(ctx, tmp_path)
    f = write_csv(tmp_path / "cn.csv", "credit_note_id,customer_id,issue_date,amount,applies_to,reason",
                  "CN1,C1,2026-10-10,130.00,0001,pricing")
    assert not service.import_file(ctx, kind="credit-notes", path=f).errors
    report = service.aging(ctx, as_of=ctx.clock.today(), by="customer")
    c1 = next(r for r in report.rows if r.key == "C1")
    assert c1.unapplied_credits == Decimal("30.00")
    assert c1.total == Decimal("250.50")
    assert c1.net_balance == Decimal("220.50")


def test_xlsx_numeric_cells_are_read_as_exact_decimals(ctx, tmp_path):
    from openpyxl import Workbook

    _setup(ctx, tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(["invoice_id", "customer_id", "issue_date", "due_date", "amount"])
    import datetime as dt

    ws.append(["0300", "C1", dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1), 0.1])
    ws.append(["0301", "C1", "2026-11-01", "2026-12-01", 0.2])
    ws.append([302, "C1", "2026-11-01", "2026-12-01", 1234567.89])
    wb.save(tmp_path / "i.xlsx")
    result = service.import_file(ctx, kind="invoices", path=tmp_path / "i.xlsx")
    assert not result.errors and result.created == 3
    with ctx.sessions() as s:
        amounts = dict(s.execute(select(Invoice.invoice_id, Invoice.amount)
                                 .where(Invoice.invoice_id.in_(["0300", "0301", "302"]))).all())
    assert amounts == {"0300": Decimal("0.10"), "0301": Decimal("0.20"), "302": Decimal("1234567.89")}
    assert amounts["0300"] + amounts["0301"] == Decimal("0.30")


def test_mapping_and_date_format_for_foreign_erp_exports(ctx, tmp_path):
    f = write_csv(tmp_path / "c.csv", "CustNo,CustName", "00042,Zeta Ltd")
    assert not service.import_file(ctx, kind="customers", path=f, mapping=["CustNo=customer_id,CustName=name"]).errors
    f2 = write_csv(tmp_path / "i.csv", "Doc,CustNo,Date,Due,Amt", "7,00042,3/4/2026,4/3/2026,12.00")
    result = service.import_file(ctx, kind="invoices", path=f2, date_format="%m/%d/%Y",
                                 mapping=["Doc=invoice_id", "CustNo=customer_id", "Date=issue_date",
                                          "Due=due_date", "Amt=amount"])
    assert not result.errors
    with ctx.sessions() as s:
        inv = s.scalars(select(Invoice)).one()
    assert (str(inv.issue_date), str(inv.due_date), inv.currency) == ("2026-03-04", "2026-04-03", "USD")


def test_cli_import_json_summary_and_exit_status(cli, tmp_path):
    f = write_csv(tmp_path / "c.csv", CUSTOMERS, "C1,Acme,USD,US,,,,")
    ok = cli("import", "customers", str(f), "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0,
                                     "errors": [], "warnings": [], "rejected_file": None}
    again = cli("import", "customers", str(f), "--json")
    assert json.loads(again.stdout)["unchanged"] == 1
    bad = write_csv(tmp_path / "b.csv", CUSTOMERS, "C2,,USD,US,,,,")
    failed = cli("import", "customers", str(bad), "--json")
    assert failed.exit_code == 1
    summary = json.loads(failed.stdout)
    assert summary["created"] == 0 and summary["rejected"] == 1
    assert summary["errors"] == [f"{bad}:2: name: required value is empty"]
    assert f"{bad}:2: name: required value is empty" in failed.stderr
    assert cli("import", "widgets", str(f)).exit_code == 2


def test_lookups_go_through_the_key_table_so_large_files_stay_under_the_parameter_limit(ctx, tmp_path, monkeypatch):
    """PostgreSQL takes at most 65,535 parameters per statement: a 100k-customer file once failed.
    Every lookup of more than a few keys joins the temporary key table instead of an IN list: with it
    taken from the third key on, creates, updates and unchanged rows still come out right."""
    from arcollect.ledger import keysets

    monkeypatch.setattr(keysets, "SMALL", 2)
    rows = [f"C{n:02d},Name {n}" for n in range(10)]
    assert service.import_file(ctx, kind="customers", path=write_csv(tmp_path / "a.csv", "customer_id,name", *rows)).created == 10
    rows[7] = "C07,Renamed"
    again = service.import_file(ctx, kind="customers", path=write_csv(tmp_path / "b.csv", "customer_id,name", *rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 9)


def test_backdated_import_application_must_fit_the_dates_before_a_later_reversal(ctx, tmp_path):
    """0001 (100.00): 60.00 applied on 10-01 and reversed on 10-20 leaves 100.00 open today but only
    40.00 between 10-01 and 10-19. A payment dated 10-05 may apply 40.00 there, not 60.00."""
    import datetime as dt

    _setup(ctx, tmp_path)
    header = "payment_id,customer_id,received_date,amount,applies_to"
    service.import_file(ctx, kind="payments", path=write_csv(tmp_path / "p1.csv", header, "P1,C1,2026-10-01,60.00,0001"))
    with ctx.sessions() as s:
        app_id = s.scalar(select(Application.id))
    service.reverse_application(ctx, application_id=app_id, reversed_on=dt.date(2026, 10, 20), reason="bounced")
    f = write_csv(tmp_path / "p2.csv", header, "P2,C1,2026-10-05,60.00,0001:60.00")
    assert service.import_file(ctx, kind="payments", path=f).errors == [
        f"{f}:2: applies_to: 60.00 applied to 0001 exceeds its open amount 40.00"]
    ok = write_csv(tmp_path / "p3.csv", header, "P2,C1,2026-10-20,60.00,0001:60.00")
    assert not service.import_file(ctx, kind="payments", path=ok).errors
    for day in (dt.date(2026, 10, 5), dt.date(2026, 10, 19), dt.date(2026, 10, 20)):
        report = service.aging(ctx, as_of=day)
        assert all(b >= 0 for r in report.rows for b in r.buckets), day


def test_nul_characters_are_cell_errors_on_both_databases(ctx, tmp_path):
    _setup(ctx, tmp_path)
    before = _counts(ctx)
    bad = write_csv(tmp_path / "nul.csv", CUSTOMERS + ",region",
                    "C4,Gamma\x00 Ltd,USD,US,America/New_York,en,alice,,",
                    "C5,Delta Ltd,USD,US,America/New_York,en,alice,,West\x00")
    result = service.import_file(ctx, kind="customers", path=bad)
    assert len(result.errors) == 2, result.errors
    assert ":2: name: contains a NUL character" in result.errors[0]
    assert ":3: region: contains a NUL character" in result.errors[1]
    assert _counts(ctx) == before


def test_import_result_names_the_customers_whose_documents_it_wrote(ctx, tmp_path):
    _setup(ctx, tmp_path)
    with ctx.sessions() as s:
        pk = dict(s.execute(select(Customer.customer_id, Customer.id)).all())
    write_csv(tmp_path / "i2.csv", "invoice_id,customer_id,issue_date,due_date,amount,po_number",
              "0001,C1,2026-09-01,2026-10-01,100.00,PO-1",  # unchanged: C1 not touched by this row
              "0003,C2,2026-10-05,2026-11-04,90.00,")
    changed = service.import_file(ctx, kind="invoices", path=tmp_path / "i2.csv")
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert changed.touched_customers == {pk["C2"]}
    assert "touched_customers" not in changed.summary()  # the CLI/API summary keeps its shape
    write_csv(tmp_path / "p.csv", "payment_id,received_date,amount,applies_to", "P1,2026-10-20,50.00,0002")
    paid = service.import_file(ctx, kind="payments", path=tmp_path / "p.csv")
    assert not paid.errors and paid.touched_customers == {pk["C1"]}


def test_payments_through_the_key_table_lock_apply_reverse_and_settle_as_before(ctx, tmp_path, monkeypatch):
    """Every lookup, lock and settlement refresh of a payments file through the temporary key table
    (none left to IN lists): the same allocations, errors, reversals and settled dates."""
    import datetime as dt

    from arcollect.ledger import keysets
    from arcollect.ledger.models import OPEN

    monkeypatch.setattr(keysets, "SMALL", 0)
    _setup(ctx, tmp_path)
    header = "payment_id,customer_id,received_date,amount,applies_to"
    first = write_csv(tmp_path / "p1.csv", header, "P1,C1,2026-10-20,300.00,0002:50.00;0001",
                      "P2,C2,2026-10-21,30.00,0003")
    assert not service.import_file(ctx, kind="payments", path=first).errors
    over = write_csv(tmp_path / "p2.csv", header, "P3,C1,2026-10-22,500.00,0002:300.00")
    assert service.import_file(ctx, kind="payments", path=over).errors == [
        f"{over}:2: applies_to: 300.00 applied to 0002 exceeds its open amount 200.50"]

    def settled() -> dict[str, object]:
        with ctx.sessions() as s:
            found = dict(s.execute(select(Invoice.invoice_id, Invoice.open_until)).all())
            copies = set(s.execute(select(Invoice.invoice_id, Application.invoice_open_until)
                                   .join(Application, Application.invoice_pk == Invoice.id)).all())
        assert copies == {(i, found[i]) for i, _ in copies}  # reversals and earlier applications too
        return found

    assert settled() == {"0001": dt.date(2026, 10, 20), "0002": OPEN, "0003": OPEN}

    def documents() -> dict[str, object]:
        with ctx.sessions() as s:
            found = dict(s.execute(select(Payment.payment_id, Payment.open_until)).all())
            copies = set(s.execute(select(Payment.payment_id, Application.document_open_until)
                                   .join(Application, Application.payment_pk == Payment.id)).all())
        assert copies == {(p, found[p]) for p, _ in copies}  # every application carries its document's date
        return found

    # P2 is applied in full (settled on its date), P1 keeps 150.00 unapplied (open)
    assert documents() == {"P1": OPEN, "P2": dt.date(2026, 10, 21)}
    moved = write_csv(tmp_path / "p3.csv", header, "P1,C1,2026-10-20,300.00,0002",
                      "P2,C2,2026-10-21,30.00,0003")
    result = service.import_file(ctx, kind="payments", path=moved)
    assert (result.updated, result.unchanged, result.errors) == (1, 1, [])
    overview = service.customer_overview(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert {i["invoice_id"]: i["open_amount"] for i in overview.open_items} == {"0001": Decimal("100.00")}
    assert settled()["0001"] == OPEN and settled()["0002"] != OPEN
    assert documents() == {"P1": OPEN, "P2": dt.date(2026, 10, 21)}  # P1: 250.50 of 300.00 applied
