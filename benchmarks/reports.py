"""Reports benchmark (issue #17): `report metrics` for a quarter (with its six-month trend) and the roll-forward
on the generated book of benchmarks/ledger.py — 100k customers, ~1.09M invoices, ~0.89M payments — SQLite
and PostgreSQL.

    make bench                                   # runs this after the ledger benchmark
    python benchmarks/reports.py --customers 10000 --backends sqlite
    python benchmarks/reports.py --quick                     # smoke run (2,000 customers)

Prints figures; asserts nothing. Target: metrics for a quarter ≤ 5 s on the 1M-invoice book (the service, and the real command with its
start-up and peak memory); the roll-forward and the causes are printed beside them.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arcollect.context import build_context  # noqa: E402
from arcollect.ledger import service as ledger  # noqa: E402
from arcollect.reports import service as reports  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from benchmarks.ledger import (AS_OF, load_note, measured_command, measured_command_cpu, over_backends, timed,  # noqa: E402
                              timed_cpu, verdict)

QUARTER = "2026-Q3"  # the last quarter ended before the book's date (2026-11-23)
TARGET_S = 5.0


def run_backend(name: str, url: str, files: dict) -> None:  # noqa: ANN001
    print(f"\n== {name}")
    ctx = build_context(Settings(database_url=url, home=Path(tempfile.mkdtemp())), actor="bench")
    for kind in ("customers", "invoices", "payments"):
        path, rows = files[kind]
        seconds, result = timed(lambda: ledger.import_file(ctx, kind=kind, path=path))
        assert not result.errors, result.errors[:3]
        print(f"loaded {kind:<9} {rows:>9,} rows in {seconds:6.1f} s")
    print(load_note())
    for by in ("total", "collector", "customer"):
        seconds, cpu, doc = timed_cpu(lambda: reports.metrics(ctx, period=QUARTER, by=by), repeat=3)
        print(f"report metrics --period {QUARTER} --by {by:<9}: {seconds:6.2f} s wall, {cpu:6.2f} s CPU "
              f"({verdict(seconds, TARGET_S, cpu)}; {len(doc['rows']):,} rows, {len(doc['trend'])} trend months, "
              f"median of 3)")
    seconds, roll = timed(lambda: reports.rollforward(ctx, period=QUARTER, by="collector"), repeat=3)
    ties = all(r["ties"] for r in roll["rows"])
    print(f"report rollforward --by collector: {seconds:6.2f} s ({len(roll['rows'])} rows, every row ties: {ties})")
    aging = {d: {t.currency: t.total for t in ledger.aging(ctx, as_of=d).totals}
             for d in (dt.date(2026, 6, 30), dt.date(2026, 9, 30))}
    tied = all(aging[dt.date(2026, 6, 30)].get(t["currency"], 0) == Decimal(t["opening"])
               and aging[dt.date(2026, 9, 30)].get(t["currency"], 0) == Decimal(t["closing"])
               for t in roll["totals"])
    print(f"roll-forward opening/closing equal the aging totals on 2026-06-30 and 2026-09-30: {tied}")
    seconds, _ = timed(lambda: reports.causes(ctx, period=QUARTER))
    print(f"report causes: {seconds:6.2f} s")
    for by in ("total", "customer"):
        seconds, cpu, peak = measured_command_cpu(url, "report", "metrics", "--period", QUARTER, "--by", by, "--json")
        print(f"`arcollect report metrics --period {QUARTER} --by {by} --json` command: {seconds:6.2f} s wall, "
              f"{cpu:6.2f} s CPU (incl. start-up and the schema check; {verdict(seconds, TARGET_S, cpu)}), "
              f"peak RSS {peak:,.0f} MB")
    seconds, peak = measured_command(url, "report", "rollforward", "--period", QUARTER, "--json")
    print(f"`arcollect report rollforward --period {QUARTER} --json` command: {seconds:6.2f} s wall, peak RSS {peak:,.0f} MB")
    print(load_note())
    ctx.dispose()


def main() -> None:
    over_backends(run_backend, description=__doc__.splitlines()[0], prefix="arcollect-bench-reports-",
                  note=f" as of {AS_OF}")


if __name__ == "__main__":
    main()
