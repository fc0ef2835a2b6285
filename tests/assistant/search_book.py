"""A small book for the search tests: two collectors' portfolios with invoices, notes, calls, mail in and
out, a dispute and an SOP — every record written the way the app writes it (services, or rows as the mailbox
and outbox store them)."""

from __future__ import annotations

import datetime as dt

from arcollect.assistant import sops
from arcollect.disputes import service as disputes
from arcollect.ledger.models import Customer
from arcollect.outreach.models import InboundMessage, OutboxMessage
from arcollect.promises.models import Activity
from sqlalchemy import select
from tests.conftest import write_csv

SOP = b"""# Credit policy

Accounts **60 days** past due go on credit hold. See the escalation matrix below.

| amount | approver |
|---|---|
| up to 5,000 | manager |

<script>alert('sop')</script> [click](javascript:alert(1))
"""


def _at(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, 10, 0, tzinfo=dt.timezone.utc)


def build(ctx, cli, tmp_path) -> None:  # noqa: ANN001
    """alice: C1 Acme Industries, C3 Müller Maschinen; bob: C2 Borealis Foods. Shared word: pineapple."""
    for args in (("import", "customers", str(write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,email",
                                                       "C1,Acme Industries,EUR,alice,ap@acme.example",
                                                       "C2,Borealis Foods,EUR,bob,payables@borealis.example",
                                                       "C3,Müller Maschinen GmbH,EUR,alice,"))),
                 ("import", "invoices", str(write_csv(tmp_path / "i.csv",
                                                      "invoice_id,customer_id,issue_date,due_date,amount,currency,po_number,description",
                                                      "INV-1042,C1,2026-09-01,2026-10-01,100.00,EUR,,Consulting",
                                                      "INV-10420,C2,2026-09-02,2026-10-02,200.00,EUR,,Consulting",
                                                      "INV-2001,C1,2026-10-05,2026-11-04,300.00,EUR,PO-777,Pallets of widgets")))):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    disputes.open_dispute(ctx, invoices=[("INV-10420", None)], reason="pricing", team="billing",
                          note="Wrong unit price on the pineapple crates")
    with ctx.unit_of_work() as s:
        pk = {c.customer_id: c.id for c in s.scalars(select(Customer))}
        s.add_all([
            Activity(customer_pk=pk["C1"], kind="note", note="Customer promised to pay INV-1042 on Friday after the "
                     "credit review", at=_at(10), actor="alice", invoices=["INV-1042"]),
            Activity(customer_pk=pk["C1"], kind="call", outcome="left_voicemail", note="Left a voicemail about the "
                     "pineapple order", at=_at(12), actor="alice", invoices=[]),
            Activity(customer_pk=pk["C2"], kind="call", outcome="other", note="Spoke with AP: secret pineapple "
                     "reference 8812", at=_at(13), actor="bob", invoices=[]),
        ])
        s.add(OutboxMessage(idempotency_key="k1", customer_pk=pk["C1"], step="reminder", template="reminder",
                            language="en", as_of=dt.date(2026, 11, 14), to_addrs=["ap@acme.example"],
                            subject="Reminder: INV-1042 is overdue",
                            body_text="Dear customer, <script>alert(1)</script> your pineapple invoice INV-1042 is open.",
                            body_html="<p>…</p>", message_id="<m1@us.example>", invoices=["INV-1042"], status="sent",
                            not_before=_at(14), attempts=1, created_at=_at(14), sent_at=_at(14)))
        for n, (customer, subject, body) in enumerate([
                (pk["C2"], "Re: price", "We dispute the pineapple pricing on INV-10420."),
                (None, "Question", "Who is this? pineapple"),
                (pk["C3"], "Zahlung", "Wir zahlen die Rechnung nächste Woche.")]):
            s.add(InboundMessage(message_id=f"<in{n}@x.example>", from_addr="someone@x.example", to_addrs=["ar@us.example"],
                                 subject=subject, sent_at=_at(15 + n), references=[], kind="reply", body_text=body,
                                 body_html=None, raw=b"raw", customer_pk=customer, status="linked" if customer else "triage", fetched_at=_at(15 + n)))
    sops.upload(ctx, data=SOP, filename="credit-policy.md")
