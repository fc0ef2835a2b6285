"""Case notices over a real SMTP server (aiosmtpd): a Billing stakeholder gets new action items once and
overdue ones again, a dispute past its SLA is flagged once to its collector and manager, nothing is
marked when the SMTP server is down."""

from __future__ import annotations

import dataclasses
import datetime as dt

from arcollect.auth import service as auth
from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger
from arcollect.outreach import case_notices
from tests.conftest import write_csv


def _setup(ctx, tmp_path, port: int):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector", "C1,Acme,USD,ann")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount", "I1,C1,2026-09-01,2026-10-01,500.00")
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    for login, role, team, email in (("ann", "collector", None, "ann@acme.example"),
                                     ("stan", "stakeholder", "billing", "stan@acme.example"),
                                     ("sue", "stakeholder", "sales", "sue@acme.example"),
                                     ("mia", "manager", None, "mia@acme.example")):
        auth.add_user(ctx, login=login, role=role, team=team, email=email, password="correct horse battery")
    settings = ctx.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                               "mail_from": "ar@acme.example", "public_url": "https://ar.acme.example"})
    return dataclasses.replace(ctx, settings=settings)


def _to(inbox) -> dict[str, str]:  # noqa: ANN001
    return {rcpt[0]: m.get_body(("plain",)).get_content() for _, rcpt, m in inbox.messages}


def test_stakeholders_and_sla_breaches_are_told_once(ctx, tmp_path, smtp, clock):
    inbox, port = smtp
    ctx = _setup(ctx, tmp_path, port)
    d = disputes.open_dispute(ctx, invoices=[("I1", None)], reason="billing_error", priority="urgent")
    disputes.add_action_item(ctx, dispute_id=d["id"], title="Issue the credit note",
                             due_on=clock.today() + dt.timedelta(days=1))
    result = case_notices.notify(ctx)  # the item the dispute opened with, and this one: one email
    assert result["emails"] == 1 and result["new"] == 2 and not result["failed"]
    body = _to(inbox)["stan@acme.example"]
    assert "New: Issue the credit note — Billing" in body and "New: Billing error: review the claim on I1" in body and f"https://ar.acme.example/disputes/{d['id']}" in body
    assert case_notices.notify(ctx)["emails"] == 0 and len(inbox.messages) == 1  # told once
    clock.advance(dt.timedelta(days=3))  # the item is overdue and the urgent SLA (2 days) is breached
    result = case_notices.notify(ctx)
    assert (result["overdue"], result["sla_breaches"]) == (2, 1)  # both items were due within 2 days
    got = _to(inbox)
    assert "OVERDUE: Issue the credit note" in got["stan@acme.example"]
    assert "OVERDUE" in got["ann@acme.example"] and f"SLA BREACHED: dispute {d['id']}" in got["ann@acme.example"]
    assert f"SLA BREACHED: dispute {d['id']}" in got["mia@acme.example"] and "sue@acme.example" not in got
    assert case_notices.notify(ctx)["emails"] == 0
    assert any("SLA breached" in (e["text"] or "") for e in disputes.detail(ctx, dispute_id=d["id"])["events"])


def test_nothing_is_marked_while_smtp_is_down(ctx, tmp_path, smtp):
    _, port = smtp
    ctx = _setup(ctx, tmp_path, port)
    d = disputes.open_dispute(ctx, invoices=[("I1", None)], reason="billing_error")
    disputes.add_action_item(ctx, dispute_id=d["id"], title="Check the VAT")
    down = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"smtp_port": 1}))
    result = case_notices.notify(down)
    assert result["emails"] == 0 and result["failed"] and result["failed"][0].startswith("SMTP 127.0.0.1:1")
    assert case_notices.notify(ctx)["new"] == 2  # still due once the server is back (with the opening item)
