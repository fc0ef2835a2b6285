"""Search benchmark (issue #18, Ask): `assistant ask` latency over the generated book of benchmarks/ledger.py
(the demo's generator: `--customers 200` is the demo book; the default 100k customers has ~1.09M invoices) plus one note, one call log and one
sent email per customer (written through the tables' own triggers/indexes, as the app writes them), SQLite and
PostgreSQL; as an admin (everything) and as one collector (a portfolio).

    python benchmarks/search.py                                  # 100k customers, both databases
    python benchmarks/search.py --customers 200                  # the demo book

Prints p50/p95 per query against the 300 ms target; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from arcollect.assistant import search  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.disputes.scope import CaseScope  # noqa: E402
from arcollect.ledger import service as ledger  # noqa: E402
from arcollect.ledger.models import Customer, Invoice  # noqa: E402
from arcollect.ledger.scope import CustomerScope  # noqa: E402
from arcollect.outreach.models import OutboxMessage  # noqa: E402
from arcollect.promises.models import Activity  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from benchmarks.ledger import over_backends, timed  # noqa: E402

TARGET_MS = 300.0
NOTES = ["Spoke with {who} in AP: payment run on Thursday, invoice {inv} approved",
         "Customer says the pallet delivery for {inv} was short; asked for the proof of delivery",
         "Left a voicemail for {who}; will call back after the credit review",
         "{who} promised to pay {inv} by end of month"]
NAMES = ["Ines", "Marco", "Priya", "Jonas", "Aiko", "Lena", "Omar", "Chloé"]


def _activity(ctx) -> int:  # noqa: ANN001
    """One note, one call and one sent reminder per customer, in bulk (the database indexes them itself)."""
    rng = random.Random(3)
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    written = 0
    with ctx.unit_of_work() as s:
        rows = list(s.execute(select(Customer.id, Customer.name, func.min(Invoice.invoice_id))
                              .join(Invoice, Invoice.customer_pk == Customer.id).group_by(Customer.id, Customer.name)))
        for start in range(0, len(rows), 5000):
            chunk = rows[start:start + 5000]
            acts, mails = [], []
            for pk, name, inv in chunk:
                who = rng.choice(NAMES)
                acts.append({"customer_pk": pk, "kind": "note", "note": rng.choice(NOTES).format(who=who, inv=inv),
                             "at": at, "actor": "bench", "invoices": [inv]})
                acts.append({"customer_pk": pk, "kind": "call", "outcome": "left_voicemail", "at": at, "actor": "bench",
                             "note": f"Called {who}, no answer; {name} asked for a copy of {inv}", "invoices": []})
                mails.append({"idempotency_key": f"bench-{pk}", "customer_pk": pk, "step": "reminder",
                              "template": "reminder", "language": "en", "as_of": at.date(), "to_addrs": ["ap@x.example"],
                              "subject": f"Reminder: invoice {inv} is overdue",
                              "body_text": f"Dear {name}, our records show invoice {inv} is still open.",
                              "body_html": "", "message_id": f"<bench-{pk}@x>", "invoices": [inv], "status": "sent",
                              "not_before": at, "attempts": 1, "created_at": at, "sent_at": at})
            s.execute(insert(Activity), acts)
            s.execute(insert(OutboxMessage), mails)
            written += len(acts) + len(mails)
    return written


def _queries(ctx) -> list[tuple[str, str]]:  # noqa: ANN001
    with ctx.sessions() as s:
        inv = s.scalar(select(Invoice.invoice_id).order_by(Invoice.id.desc()).limit(1))
        cust = s.execute(select(Customer.customer_id, Customer.name).order_by(Customer.id).limit(1)).one()
    word = cust.name.split()[0]
    return [("exact invoice number", inv), ("exact customer number", cust.customer_id),
            ("a customer's name word", word), ("a common word (every invoice kind)", "consulting"),
            ("a prefix", "pall"), ("two words", "payment run"), ('a phrase', '"credit review"'),
            ("a rare word", "chloé thursday"), ("nothing matches", "zzqx"), ("FTS syntax", 'NEAR("a" * OR')]


def measure(ctx, label: str) -> None:  # noqa: ANN001
    with ctx.sessions() as s:
        collector = s.scalar(select(Customer.collector).where(Customer.collector.isnot(None)).limit(1))
    scopes = [("admin", CaseScope()), (f"collector {collector}", CaseScope(customers=CustomerScope(collectors=(collector,))))]
    print(f"-- {label}")
    for who, scope in scopes:
        for name, q in _queries(ctx):
            times = []
            for _ in range(7):
                start = time.perf_counter()
                found = search.search(ctx, query=q, scope=scope, limit=50)
                times.append((time.perf_counter() - start) * 1000)
            p50, p95 = statistics.median(times), sorted(times)[-1]
            verdict = "ok" if p95 <= TARGET_MS else "OVER TARGET"
            print(f"{who:<22} {name:<36} p50 {p50:7.1f} ms  max {p95:7.1f} ms  ({found['total']:>3} found; "
                  f"target ≤ {TARGET_MS:.0f} ms: {verdict})")


def run_backend(name: str, url: str, files: dict) -> None:  # noqa: ANN001
    print(f"\n== {name}")
    ctx = build_context(Settings(database_url=url, home=Path(tempfile.mkdtemp())), actor="bench")
    for kind in ("customers", "invoices"):
        path, rows = files[kind]
        seconds, result = timed(lambda: ledger.import_file(ctx, kind=kind, path=path))
        assert not result.errors, result.errors[:3]
        print(f"import {kind:<9} {rows:>9,} rows  {seconds:7.1f} s  {rows / seconds:>9,.0f} rows/s (index kept by the database)")
    seconds, written = timed(lambda: _activity(ctx))
    print(f"wrote {written:,} notes, calls and emails in {seconds:.1f} s")
    measure(ctx, f"generated book ({files['customers'][1]:,} customers, {files['invoices'][1]:,} invoices)")
    seconds, done = timed(lambda: search.reindex(ctx))
    print(f"assistant reindex: {seconds:.1f} s")
    ctx.dispose()


def main() -> None:
    over_backends(run_backend, description=__doc__.splitlines()[0], prefix="arcollect-bench-search-")


if __name__ == "__main__":
    main()
