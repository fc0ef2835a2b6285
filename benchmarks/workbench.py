"""Workbench benchmark (issues #4, #19): the daily run for 100k customers / 1M open invoices / 800k
payments (applied in part to the invoices), and the My worklist page for a collector with 2,000 accounts.
SQLite and PostgreSQL.

    make bench                                    # runs this after the ledger and web benchmarks
    python benchmarks/workbench.py --customers 20000 --backends sqlite --no-page

Prints figures (wall and CPU seconds of this process; the database server's CPU is not in the latter);
asserts nothing. Targets: first daily run ≤ 10 s; same-day re-run ≤ 1 s; next day with 1 % of the
accounts changed ≤ 3 s; My worklist page p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from arcollect.auth import service as auth  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.db import bulk_insert  # noqa: E402
from arcollect.ledger.models import Customer, Invoice  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from arcollect.worklist import service as worklists  # noqa: E402
from benchmarks.web import _free_port, _wait_for, sign_in  # noqa: E402
from tests.pg import Cluster  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
from benchmarks.web import PASSWORD  # noqa: E402
ZONES = [("US", "America/New_York", "USD"), ("US", "America/Chicago", "USD"), ("GB", "Europe/London", "GBP"),
         ("DE", "Europe/Berlin", "EUR"), ("FR", "Europe/Paris", "EUR"), ("IN", "Asia/Kolkata", "USD")]


def load(ctx, customers: int, per_customer: int, mine: int, seed: int, paid: int = 8) -> int:  # noqa: ANN001
    """Customers and open invoices straight into the tables; ``paid`` of each customer's invoices have a
    payment applied to part of them (the payment fully applied, the invoice still open)."""
    from arcollect.ledger.models import Application, Payment
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 23, 6, tzinfo=dt.timezone.utc)
    n_collectors = max(1, -(-(customers - mine) // mine)) if customers > mine else 0
    invoices = 0
    with ctx.unit_of_work() as s:
        rows = []
        for n in range(1, customers + 1):
            country, zone, cur = rng.choice(ZONES)
            collector = "dana" if n <= mine else f"c{(n - mine) % n_collectors:03d}"
            segment = rng.choices(["key", "mid", "small"], [5, 35, 60])[0]
            rows.append({"id": n, "customer_id": f"C{n:07d}", "name": f"Customer {n}", "currency": cur,
                         "country": country, "timezone": zone, "segment": segment, "collector": collector,
                         "risk": rng.choice([None, "low", "medium", "high"]), "email": f"ap{n}@customer{n}.example",
                         "created_at": now, "updated_at": now})
        bulk_insert(s, Customer.__table__, rows)
        batch: list[dict] = []
        pays: list[dict] = []
        apps: list[dict] = []
        pk = 0
        for n, c in enumerate(rows, 1):
            for k in range(per_customer):
                pk += 1
                due = AS_OF + dt.timedelta(days=rng.randint(-200, 25))
                issue = due - dt.timedelta(days=30)
                amount = Decimal(rng.randint(10_000, 2_000_000)) / 100
                batch.append({"id": pk, "invoice_id": f"I{pk:08d}", "customer_pk": n, "issue_date": issue,
                              "due_date": due, "amount": amount, "currency": c["currency"],
                              "created_at": now, "updated_at": now})
                if k < paid:
                    on = min(AS_OF - dt.timedelta(days=1), issue + dt.timedelta(days=rng.randint(5, 60)))
                    part = (amount * Decimal(rng.randint(10, 60)) / 100).quantize(Decimal("0.01"))
                    pays.append({"id": pk, "payment_id": f"P{pk:08d}", "customer_pk": n, "received_date": on,
                                 "amount": part, "currency": c["currency"], "applies_to": f"I{pk:08d}",
                                 "open_until": on, "created_at": now, "updated_at": now})
                    apps.append({"invoice_pk": pk, "payment_pk": pk, "amount": part, "currency": c["currency"],
                                 "applied_on": on, "document_open_until": on, "source": "import",
                                 "created_at": now, "created_by": "bench"})
            if len(batch) >= 50_000:
                bulk_insert(s, Invoice.__table__, batch)
                bulk_insert(s, Payment.__table__, pays)
                bulk_insert(s, Application.__table__, apps)
                invoices += len(batch)
                batch, pays, apps = [], [], []
        if batch:
            bulk_insert(s, Invoice.__table__, batch)
            bulk_insert(s, Payment.__table__, pays)
            bulk_insert(s, Application.__table__, apps)
            invoices += len(batch)
    if ctx.engine.dialect.name == "postgresql":
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return invoices


def touch(ctx, customers: int, share: float, seed: int) -> int:  # noqa: ANN001
    """The next day's movements: a payment (unapplied cash) for ``share`` of the accounts."""
    from arcollect.ledger.models import OPEN, Payment

    rng = random.Random(seed + 1)
    pks = rng.sample(range(1, customers + 1), max(1, int(customers * share)))
    now = dt.datetime(2026, 11, 24, 6, tzinfo=dt.timezone.utc)
    with ctx.unit_of_work() as s:
        cur = dict(s.execute(text("SELECT id, currency FROM customers")).all())
        top = s.execute(text("SELECT COALESCE(MAX(id), 0) FROM payments")).scalar_one()  # ids given in load
        bulk_insert(s, Payment.__table__, [
            {"id": top + n, "payment_id": f"BP{pk:08d}", "customer_pk": pk, "received_date": AS_OF, "amount": Decimal("10.00"),
             "currency": cur[pk], "open_until": OPEN, "created_at": now, "updated_at": now} for n, pk in enumerate(pks, 1)])
    return len(pks)


CPU: list[float] = [0.0]  # CPU seconds of the last timed call (this process)


def timed(fn):  # noqa: ANN001, ANN201
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU[0] = time.process_time() - cpu
    return time.perf_counter() - start, result


def cpu() -> str:
    return f"[cpu {CPU[0]:5.2f} s]"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def page_latency(url: str, home: Path, requests: int, workers: int) -> None:
    import httpx

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ARCOLLECT_DATABASE_URL": url, "ARCOLLECT_HOME": str(home)}
    server = subprocess.Popen([str(Path(sys.executable).parent / "arcollect"), "serve", "--port", str(port),
                               "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for(base + "/healthz")
        cookie = sign_in(base, "dana")
        with httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=60) as client:
            first = client.get("/worklist")
            assert first.status_code == 200 and "wl-row" in first.text, first.text[:300]
            ids = [line.split('data-customer="')[1].split('"')[0] for line in first.text.splitlines()
                   if 'data-customer="' in line][:20]

            def one(path: str) -> float:
                start = time.perf_counter()
                r = client.get(path)
                assert r.status_code == 200
                return (time.perf_counter() - start) * 1000

            for name, paths in (("My worklist page", ["/worklist"] * requests),
                                ("account panel (htmx)", [f"/worklist/panel/{ids[i % len(ids)]}" for i in range(requests)])):
                seq = [one(p) for p in paths]
                with cf.ThreadPoolExecutor(10) as pool:
                    conc = list(pool.map(one, paths))
                print(f"  {name:<22} 1 user: p50 {pct(seq, .5):6.1f} ms  p95 {pct(seq, .95):6.1f} ms   "
                      f"10 users: p50 {pct(conc, .5):6.1f} ms  p95 {pct(conc, .95):6.1f} ms  (target p95 150 ms)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench(backend: str, args: argparse.Namespace, work: Path) -> None:
    cluster = None
    if backend == "postgresql":
        cluster = Cluster().start()
        url = cluster.create_database("workbench")
    else:
        url = f"sqlite:///{work / 'workbench.db'}"
    home = work / f"home-{backend}"
    try:
        ctx = build_context(Settings(database_url=url, home=home), actor="bench")
        seconds, invoices = timed(lambda: load(ctx, args.customers, args.invoices_per_customer, args.mine, args.seed,
                                                     args.paid))
        print(f"\n[{backend}] loaded {args.customers:,} customers, {invoices:,} open invoices and "
              f"{args.customers * min(args.paid, args.invoices_per_customer):,} payments in {seconds:.1f} s; "
              f"load average {os.getloadavg()[0]:.2f}")
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds, first = timed(lambda: worklists.run(ctx, as_of=AS_OF))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  evaluation + worklist, first run:  {seconds:6.2f} s {cpu()} ({first['accounts']:,} accounts, "
              f"{first['proposed']:,} actions proposed; peak RSS {rss / 1024:.0f} MB, was {rss0 / 1024:.0f} MB)"
              f"  target ≤ 10 s\n      phases: {first['seconds']}")
        for label, full in (("full", True), ("incremental", False)):
            seconds, again = timed(lambda: worklists.run(ctx, as_of=AS_OF, full=full))
            print(f"  same day again, {label:<11}        {seconds:6.2f} s {cpu()} ({again['evaluated']:,} evaluated, "
                  f"{again['skipped']:,} skipped, {again['proposed']} new)  target ≤ 1 s\n      phases: {again['seconds']}")
        changed = touch(ctx, args.customers, args.changed, args.seed)
        seconds, nxt = timed(lambda: worklists.run(ctx, as_of=AS_OF + dt.timedelta(days=1)))
        print(f"  next day, incremental ({changed:,} accounts paid): {seconds:6.2f} s {cpu()} ({nxt['evaluated']:,} evaluated, "
              f"{nxt['skipped']:,} skipped, {nxt['proposed']:,} new, {nxt['cancelled']:,} cancelled)  target ≤ 3 s"
              f"\n      phases: {nxt['seconds']}")
        seconds, nxt = timed(lambda: worklists.run(ctx, as_of=AS_OF + dt.timedelta(days=1)))
        print(f"  next day again, incremental:       {seconds:6.2f} s {cpu()} ({nxt['evaluated']:,} evaluated, "
              f"{nxt['proposed']:,} new: 0 and 0)")
        seconds, nxt = timed(lambda: worklists.run(ctx, as_of=AS_OF + dt.timedelta(days=1), full=True))
        print(f"  next day again, full:              {seconds:6.2f} s {cpu()} ({nxt['evaluated']:,} evaluated, "
              f"{nxt['proposed']:,} new, {nxt['cancelled']:,} cancelled: 0 and 0 when the incremental run missed "
              f"nothing)\n      phases: {nxt['seconds']}")
        seconds, mine = timed(lambda: worklists.worklist(ctx, as_of=AS_OF, collector="dana", ensure=False, limit=50))
        print(f"  worklist read for dana (service):  {seconds * 1000:6.1f} ms  ({mine['total']:,} accounts to work)")
        auth.add_user(ctx, login="dana", role="collector", password=PASSWORD)
        ctx.dispose()
        if args.page:
            page_latency(url, home, args.requests, args.workers)
    finally:
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices-per-customer", type=int, default=10)
    parser.add_argument("--mine", type=int, default=2000, help="accounts of the collector whose page is measured")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--paid", type=int, default=8, help="invoices per customer with a payment applied in part")
    parser.add_argument("--no-page", dest="page", action="store_false", help="skip the My worklist page latency")
    parser.add_argument("--changed", type=float, default=0.01, help="share of accounts with a payment the next day")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 customers, 200 of them dana's")
    args, _ = parser.parse_known_args()
    if args.quick:
        args.customers, args.mine, args.requests = min(args.customers, 2_000), min(args.mine, 200), min(args.requests, 20)
    work = Path(tempfile.mkdtemp(prefix="arcollect-workbench-"))
    print(f"workbench benchmark: {args.customers:,} customers × {args.invoices_per_customer} open invoices, "
          f"collector dana with {args.mine:,} accounts; {os.cpu_count()} CPUs")
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        bench(backend, args, work)


if __name__ == "__main__":
    main()
