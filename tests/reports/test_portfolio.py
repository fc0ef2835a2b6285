"""The portfolio report (CONTRACT §10 `report portfolio`): its sections name the risks a team lead acts on, its
aging ties to the ledger's aging to the cent, it narrows to one collector, and it reads right as PDF and XLSX."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
from decimal import Decimal

import pytest

from arcollect.disputes import service as disputes
from arcollect.escalations import service as escalations
from arcollect.ledger import service as ledger
from arcollect.promises import service as promises
from arcollect.reports import portfolio as P
from arcollect.reports import service as reports

AS_OF = dt.date(2026, 11, 23)


def _promise(status: str, date: str, deadline: str, cid: str = "C1") -> dict:
    return {"customer_id": cid, "currency": "EUR", "amount": "100.00", "paid": "0.00", "status": status,
            "date": date, "deadline": deadline, "channel": "call"}


def test_promises_due_next_week_are_the_open_ones_from_tomorrow_to_seven_days_out():
    rows = [_promise("open", "2026-11-23", "2026-11-26", "TODAY"), _promise("open", "2026-11-24", "2026-11-27", "TOMORROW"),
            _promise("open", "2026-11-30", "2026-12-03", "DAY7"), _promise("open", "2026-12-01", "2026-12-04", "DAY8"),
            _promise("kept", "2026-11-25", "2026-11-28", "KEPT")]
    section = P.promises_due(rows, as_of=AS_OF)
    assert [r[0] for r in section.rows] == ["TOMORROW", "DAY7"]


def test_broken_promises_are_those_whose_deadline_passed_in_the_last_thirty_days():
    rows = [_promise("broken", "2026-11-10", "2026-11-13", "RECENT"), _promise("broken", "2026-10-01", "2026-10-04", "OLD"),
            _promise("open", "2026-11-10", "2026-11-13", "OPEN")]
    assert [r[0] for r in P.broken_promises(rows, as_of=AS_OF).rows] == ["RECENT"]


def test_accounts_at_ninety_percent_of_their_credit_limit_or_more_are_near_it_most_used_first():
    section = P.near_credit_limit([("A", "a", "EUR", Decimal("899.99"), Decimal("1000.00")),
                                   ("B", "b", "EUR", Decimal("900.00"), Decimal("1000.00")),
                                   ("C", "c", "EUR", Decimal("1500.00"), Decimal("1000.00")),
                                   ("D", "d", "EUR", Decimal("5.00"), Decimal("0"))])
    assert [(r[0], r[5]) for r in section.rows] == [("C", Decimal("150.0")), ("B", Decimal("90.0"))]
    assert section.as_dicts()[0]["open"] == "1500.00" and section.as_dicts()[0]["percent_used"] == 150.0


@pytest.fixture
def book(ctx, clock):  # noqa: ANN001, ANN201
    """A demo book with a promise due in three days, one made a fortnight ago and broken, a dispute past its SLA
    and an escalation awaiting a decision."""
    ledger.load_demo(ctx, customers=30, seed=11, as_of=clock.today())
    collectors = sorted(ledger.customer_facets(ctx, scope=ledger.EVERYTHING)["collectors"])
    late = [r for r in ledger.aging(ctx, as_of=clock.today()).rows if r.past_due > 0]
    late.sort(key=lambda r: (-r.past_due, r.key))
    first, second, third = late[0], late[1], late[2]
    clock.advance(dt.timedelta(days=-14))
    broken = promises.add_promise(ctx, customer_id=second.key, amount="50.00", promised_date=clock.today() + dt.timedelta(days=2))
    item = ledger.customer_overview(ctx, customer_id=third.key, as_of=clock.today()).open_items[0]
    dispute = disputes.open_dispute(ctx, invoices=[(item["invoice_id"], None)], reason="pricing", sla_days=5)
    clock.advance(dt.timedelta(days=14))
    due = promises.add_promise(ctx, customer_id=first.key, amount="75.00", promised_date=clock.today() + dt.timedelta(days=3))
    waiting = escalations.propose(ctx, customer_id=first.key, action="demand_letter", note="three reminders unanswered")
    return {"collectors": collectors, "due": due, "broken": broken, "dispute": dispute, "escalation": waiting,
            "first": first, "second": second, "third": third}


def test_the_report_lists_the_risks_a_team_lead_acts_on_and_its_aging_ties_to_the_ledger(ctx, book):
    report = reports.portfolio(ctx, as_of=AS_OF)
    assert [r[0] for r in report.section("promises_due").rows] == [book["first"].key]
    assert [r[0] for r in report.section("broken_promises").rows] == [book["second"].key]
    assert [r[0] for r in report.section("disputes_past_sla").rows] == [book["dispute"]["id"]]
    assert [r[0] for r in report.section("escalations").rows] == [book["escalation"]["id"]]
    assert report.section("past_due").rows[0][0] == book["first"].key
    aging = ledger.aging(ctx, as_of=AS_OF)
    assert {c.currency: c.total for c in report.currencies} == {t.currency: t.total for t in aging.totals}
    assert {c.currency: c.past_due for c in report.currencies} == {t.currency: t.past_due for t in aging.totals}
    for c in report.currencies:
        assert sum(v for _, v in c.buckets) == c.total
    data = P.to_json(report)
    json.dumps(data)  # money strings and ISO dates only
    assert data["promises_due"][0]["amount"] == "75.00" and data["as_of"] == "2026-11-23"


def test_one_collectors_report_holds_only_their_customers(ctx, book):
    collector = book["collectors"][0]
    mine = {r.key for r in ledger.aging(ctx, as_of=AS_OF, scope=ledger.CustomerScope(collectors=(collector,))).rows}
    report = reports.portfolio(ctx, as_of=AS_OF, collector=collector)
    assert report.who == f"collector {collector}"
    assert {r[0] for r in report.section("past_due").rows} <= mine
    for key in ("promises_due", "broken_promises", "escalations"):
        assert {r[1] if key == "escalations" else r[0] for r in report.section(key).rows} <= mine
    from arcollect.errors import NotFound

    with pytest.raises(NotFound):
        reports.portfolio(ctx, as_of=AS_OF, collector="nobody")
    with pytest.raises(NotFound):  # a collector outside the caller's scope
        reports.portfolio(ctx, as_of=AS_OF, collector=book["collectors"][1],
                          scope=ledger.CustomerScope(collectors=(collector,)))


def test_the_pdf_reads_as_a_report_with_formatted_amounts_and_the_time_zone(ctx, book, tmp_path):
    pdf, media, name = reports.portfolio_file(ctx, as_of=AS_OF, fmt="pdf")
    assert media == "application/pdf" and pdf[:4] == b"%PDF" and name == "portfolio-team-2026-11-23.pdf"
    (tmp_path / name).write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / name), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("Portfolio report — the whole team", "Aging and its trend", "Largest past due", "Broken promises",
                    "Near the credit limit", "Disputes past their SLA", "Promises due next week",
                    "Escalations awaiting a decision", "generated 2026-11-23 09:30 UTC"):
        assert heading in text, heading
    first = book["first"]
    from arcollect.money import format_money

    assert format_money(first.past_due, first.currency) in text
    assert "Decimal(" not in text and "None" not in text.replace("None.", "")


def test_the_workbook_has_a_sheet_per_section_and_amounts_as_numbers(ctx, book):
    from openpyxl import load_workbook

    data, media, _ = reports.portfolio_file(ctx, as_of=AS_OF, fmt="xlsx")
    book_ = load_workbook(io.BytesIO(data))
    assert book_.sheetnames == ["Summary", "Largest past due", "Broken promises", "Near the credit limit",
                                "Disputes past their SLA", "Promises due next week", "Escalations awaiting a decision"]
    due = book_["Promises due next week"]
    assert [c.value for c in due[2]][:3] == ["Customer", "Currency", "Amount"]
    assert due.cell(3, 3).value == 75 and isinstance(due.cell(3, 3).value, (int, float))  # a number, not text
    summary = book_["Summary"]
    totals = {row[0].value: row[1].value for row in summary.iter_rows(min_row=5, max_row=8) if row[0].value}
    aging = ledger.aging(ctx, as_of=AS_OF)
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in totals.items()} == \
        {t.currency: t.total for t in aging.totals}


def test_cli_writes_the_pdf_prints_json_and_refuses_an_unknown_collector(cli, book, tmp_path):
    out = tmp_path / "team.pdf"
    r = cli("report", "portfolio", "--as-of", "2026-11-23", "--format", "pdf", "--output", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:4] == b"%PDF"
    r = cli("report", "portfolio", "--as-of", "2026-11-23", "--format", "json", "--collector", book["collectors"][0])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["collector"] == book["collectors"][0] and {"aging", "promises_due", "escalations"} <= set(data)
    r = cli("report", "portfolio", "--collector", "nobody", "--format", "json")
    assert r.exit_code == 1 and "nobody" in r.stderr
    r = cli("report", "portfolio", "--format", "docx")
    assert r.exit_code == 2


def test_api_gives_each_role_its_own_book(served):
    c = served.client
    r = c.get("/api/v1/reports/portfolio?as_of=2026-11-23", headers=served.h(served.collector))
    assert r.status_code == 200, r.text
    mine = served.customers_of(served.collector)
    assert {row["customer"] for row in r.json()["past_due"]} <= mine
    assert c.get(f"/api/v1/reports/portfolio?collector={served.other}", headers=served.h(served.collector)).status_code == 404
    r = c.get(f"/api/v1/reports/portfolio?collector={served.other}&format=pdf", headers=served.h("vera"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f"portfolio-{served.other}-" in r.headers["content-disposition"]
    r = c.get("/api/v1/reports/portfolio?format=xlsx", headers=served.h("mona"))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert c.get("/api/v1/reports/portfolio").status_code == 401
    assert c.get("/api/v1/reports/portfolio?format=doc", headers=served.h("admin")).status_code == 422


def test_each_manager_gets_the_pdf_of_their_team_by_email_and_it_is_audited(ctx, smtp, book):
    from sqlalchemy import select

    from arcollect.audit import AuditEntry
    from arcollect.auth import service as auth

    inbox, port = smtp
    auth.add_user(ctx, login="mona", role="manager", team=None, password="correct horse battery", email="mona@example.com")
    auth.add_user(ctx, login="nobody", role="manager", password="correct horse battery")  # no email: skipped
    local = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port}))
    result = reports.send_weekly(local, as_of=AS_OF)
    assert result == {"as_of": "2026-11-23", "sent": ["mona"], "failed": []}
    [(_, to, message)] = inbox.messages
    assert to == ["mona@example.com"] and "Portfolio report" in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "portfolio-team-2026-11-23.pdf"
    assert attachment.get_content()[:4] == b"%PDF"
    with ctx.sessions() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "send_portfolio_report")).entity_key == "mona"
    down = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 1}))
    assert reports.send_weekly(down, as_of=AS_OF)["sent"] == []
