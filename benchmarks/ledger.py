"""Ledger benchmark (issue #2): CSV import rate, aging time and aging peak memory, SQLite and PostgreSQL.

    make bench                       # 100k customers, ~1.09M invoices, ~0.89M payments
    make bench BENCH_ARGS="--customers 10000"
    make bench BENCH_ARGS=--quick    # smoke run, 2,000 customers

Prints figures; asserts nothing. Targets: import ≥ 20,000 rows/s; aging of 1M open invoices by
customer ≤ 1 s on PostgreSQL and ≤ 2 s on SQLite; aging command peak memory ≤ 500 MB; aging as of
today of 1M open invoices from the maintained balances (#19) ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dataclasses import replace  # noqa: E402

from arcollect.clock import FixedClock  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.ledger.aging import to_json  # noqa: E402
from arcollect.ledger import service  # noqa: E402
from arcollect.ledger.demo import generate  # noqa: E402
from arcollect.settings import Settings  # noqa: E402

AS_OF = dt.date(2026, 11, 23)


def write_csvs(out: Path, customers: int, seed: int) -> dict[str, tuple[Path, int]]:
    out.mkdir(parents=True, exist_ok=True)
    files = {k: out / f"{k}.csv" for k in ("customers", "invoices", "payments", "credit-notes")}
    handles = {k: p.open("w", newline="", encoding="utf-8") for k, p in files.items()}
    writers = {k: csv.writer(h) for k, h in handles.items()}
    writers["customers"].writerow(["customer_id", "name", "parent_id", "currency", "payment_terms_days",
                                   "credit_limit", "country", "timezone", "language", "segment", "collector",
                                   "email", "phone"])
    writers["invoices"].writerow(["invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency",
                                  "po_number", "description"])
    writers["payments"].writerow(["payment_id", "customer_id", "received_date", "amount", "currency",
                                  "reference", "payer_name", "applies_to"])
    writers["credit-notes"].writerow(["credit_note_id", "customer_id", "issue_date", "amount", "currency", "reason",
                                      "applies_to"])
    counts = dict.fromkeys(files, 0)
    books = list(generate(customers=customers, seed=seed, as_of=AS_OF))
    known = set()
    for b in books:  # parents first: the generator names parents that come earlier
        c = b.customer
        known.add(c["customer_id"])
        writers["customers"].writerow([c["customer_id"], c["name"], c["parent_id"] or "", c["currency"],
                                       c["payment_terms_days"], c["credit_limit"], c["country"], c["timezone"],
                                       c["language"], c["segment"], c["collector"], c["email"], c["phone"]])
        counts["customers"] += 1
        for i in b.invoices:
            writers["invoices"].writerow([i["invoice_id"], c["customer_id"], i["issue_date"], i["due_date"],
                                          i["amount"], i["currency"], i["po_number"] or "", i["description"]])
            counts["invoices"] += 1
    for b in books:
        for p in b.payments:
            writers["payments"].writerow([p["payment_id"], "" if p["unidentified"] else b.customer["customer_id"],
                                          p["received_date"], p["amount"], p["currency"], p["reference"],
                                          p["payer_name"], p["applies_to"] or ""])
            counts["payments"] += 1
        for n in b.credit_notes:
            writers["credit-notes"].writerow([n["credit_note_id"], b.customer["customer_id"], n["issue_date"],
                                              n["amount"], n["currency"], n["reason"], n["applies_to"] or ""])
            counts["credit-notes"] += 1
    for h in handles.values():
        h.close()
    return {k: (files[k], counts[k]) for k in files}


def timed(fn, repeat: int = 1) -> tuple[float, object]:  # noqa: ANN001
    seconds, _, result = timed_cpu(fn, repeat)
    return seconds, result


def timed_cpu(fn, repeat: int = 1) -> tuple[float, float, object]:  # noqa: ANN001
    """Median wall time, median CPU time of this process (not the database server's), last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), result


IMPORT_TARGET = 20_000  # rows/s (issue #2, #19)


def timed_import(ctx, kind: str, path: Path, rows: int, note: str = "") -> object:  # noqa: ANN001
    """Import one file and print its rate against the target: wall time, and this process's CPU time
    (the database server's own CPU on PostgreSQL is not in it)."""
    seconds, cpu, result = timed_cpu(lambda: service.import_file(ctx, kind=kind, path=path))
    assert not result.errors, result.errors[:3]
    rate = rows / seconds
    print(f"import {kind:<12} {rows:>9,} rows  {seconds:7.1f} s wall  {cpu:7.1f} s CPU  {rate:>9,.0f} rows/s  "
          f"target ≥ {IMPORT_TARGET:,}: {'ok' if rate >= IMPORT_TARGET else 'UNDER TARGET'}{note}")
    return result


# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a child forked from this (large)
# benchmark process would report the parent's high-water mark.
_MEASURED = """
import sys
from arcollect.cli.main import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    status = open("/proc/self/status").read()
    print(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")), file=sys.stderr)
"""


def measured_command(url: str, *args: str) -> tuple[float, float]:
    """Run a real `arcollect --db URL ARGS…` command in a child process, its output thrown away: its wall
    time (start-up included) and its own peak RSS in MB."""
    wall, _, peak = measured_command_cpu(url, *args)
    return wall, peak


def measured_command_cpu(url: str, *args: str) -> tuple[float, float, float]:
    """``measured_command`` with the child's CPU time (user + system, start-up included): (wall s, CPU s,
    peak RSS MB). A database server's own CPU (PostgreSQL) is not in it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, "--db", url, *args],
                          check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, int(done.stderr.strip().splitlines()[-1]) / 1024


def aging_peak_memory_mb(url: str) -> tuple[float, float]:
    """Run the real `arcollect aging` command in a child process: its wall time and its own peak RSS."""
    return measured_command(url, "aging", "--as-of", AS_OF.isoformat(), "--by", "customer", "--format", "json",
                            "--output", os.devnull)


def verdict(seconds: float, target: float, cpu: float | None = None) -> str:
    """The figure against its target; with the CPU time, whether the CPU alone fits (a loaded machine's wall
    time can miss a target its CPU time meets)."""
    text = f"target ≤ {target:g} s: {'ok' if seconds <= target else 'OVER TARGET'}"
    if cpu is not None:
        text += f"; CPU {cpu:.1f} s {'within' if cpu <= target else 'over'} it"
    return text


def run_backend(name: str, url: str, files: dict) -> None:  # noqa: ANN001
    print(f"\n== {name}  ({load_note()})")
    ctx = build_context(Settings(database_url=url, home=Path(tempfile.mkdtemp())), actor="bench")
    for kind in ("customers", "invoices"):
        timed_import(ctx, kind, *files[kind])
    # every invoice is open before the payments arrive: the 1M-open-invoice aging
    seconds, report = timed(lambda: service.aging(ctx, as_of=AS_OF), repeat=5)
    print(f"aging by customer, all {files['invoices'][1]:,} invoices open: {seconds:.2f} s "
          f"({len(report.rows):,} rows, median of 5)")
    today_aging(ctx, files["invoices"][1], "all open")
    timed_import(ctx, "payments", *files["payments"], note=" (with applies_to)")
    timed_import(ctx, "credit-notes", *files["credit-notes"], note=" (with applies_to)")
    seconds, report = timed(lambda: service.aging(ctx, as_of=AS_OF), repeat=5)
    print(f"aging by customer after payments: {seconds:.2f} s ({len(report.rows):,} rows, median of 5)")
    today_aging(ctx, files["invoices"][1], "after payments")
    timed_import(ctx, "invoices", *files["invoices"], note=" (re-import, all unchanged)")
    timed_import(ctx, "payments", *files["payments"], note=" (re-import, all unchanged)")
    wall, peak = aging_peak_memory_mb(url)
    print(f"`arcollect aging --format json` command: {wall:.2f} s wall (incl. start-up), peak RSS {peak:,.0f} MB")
    ctx.dispose()


def today_aging(ctx, invoices: int, when: str) -> None:  # noqa: ANN001
    """Aging as of today: from the ledger (the exact query, the path of any other date) and from the
    maintained balances (today's path), by customer and in total; both must print the same totals."""
    today = replace(ctx, clock=FixedClock(AS_OF))  # today is the book's date: the balances answer
    results = {}
    for by in ("customer", "total"):
        for label, c in (("ledger", ctx), ("balances", today)):
            wall, cpu, report = timed_cpu(lambda: service.aging(c, as_of=AS_OF, by=by), repeat=5)
            results[(by, label)] = report
            target = f", {verdict(wall, 0.3)}" if label == "balances" else ""
            print(f"aging as of today by {by:<8} from the {label:<8} ({invoices:,} invoices, {when}): {wall:.3f} s "
                  f"wall, {cpu:.3f} s CPU ({len(report.rows):,} rows, median of 5{target})")
        same = to_json(results[(by, "ledger")]) == to_json(results[(by, "balances")])
        print(f"  the two agree to the cent: {'yes' if same else 'NO'}")


QUICK_CUSTOMERS = 2_000


def load_note() -> str:
    """The machine's load now: figures measured on a busy machine are slower than on an idle one."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def over_backends(run_backend, *, description: str, prefix: str, note: str = "",  # noqa: ANN001
                  options=None) -> argparse.Namespace:  # noqa: ANN001
    """The benchmarks' shared command line: generate the book's CSV files once, then run ``run_backend(name, url,
    files)`` on SQLite and on a private PostgreSQL cluster (``--backends``). ``options(parser)`` adds a
    benchmark's own arguments; the parsed arguments are returned."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=100_000, help="book size (default: the targets' 100,000)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run on {QUICK_CUSTOMERS:,} customers (the figures are not the targets')")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgresql")
    if options is not None:
        options(parser)
    args = parser.parse_args()
    if args.quick:
        args.customers = min(args.customers, QUICK_CUSTOMERS)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    print(f"generating {args.customers:,} customers (seed {args.seed}){note} into {work}")
    seconds, files = timed(lambda: write_csvs(work / "csv", args.customers, args.seed))
    print(f"generated in {seconds:.1f} s: " + ", ".join(f"{n:,} {k}" for k, (_, n) in files.items()))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(load_note())
    try:
        if "sqlite" in backends:
            run_backend("SQLite", f"sqlite:///{work / 'bench.db'}", files)
        if "postgresql" in backends:
            from tests.pg import Cluster

            cluster = Cluster().start()
            try:
                run_backend("PostgreSQL (private cluster, fsync off)", cluster.create_database("bench"), files)
            finally:
                cluster.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the CSV files and the SQLite database (a few GB at full size)
    return args


def main() -> None:
    over_backends(run_backend, description=__doc__.splitlines()[0], prefix="arcollect-bench-")


if __name__ == "__main__":
    main()
