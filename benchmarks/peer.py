"""Peer benchmark (issue #19): `arcollect aging --format json` against a plain pandas script on the same book.

    make bench                                       # 20,000 customers, ~216k invoices (the issue's size)
    python benchmarks/peer.py --keep /tmp/peer-book  # build the book once, reuse it on the next runs
    python benchmarks/peer.py --peer-python /path/to/python   # an interpreter that has pandas

Builds the book (SQLite), exports its ledger as CSV (customers, invoices, payments, credit notes, applications),
then, one after the other and --runs times: benchmarks/peer_pandas.py ages the CSV export, and `arcollect aging
--as-of DATE --format json` ages the database — both fresh processes, start-up included, wall clock and CPU.
Prints both, the ratio arcollect ÷ pandas (target < 1) and whether both found the same totals to the cent.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ledger import AS_OF, load_note, timed, write_csvs  # noqa: E402

TARGET_RATIO = 1.0
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def build_book(folder: Path, customers: int, seed: int) -> str:
    """The SQLite book of ``customers`` (reused when ``folder`` holds it already): its URL."""
    from arcollect.context import build_context
    from arcollect.ledger import service
    from arcollect.settings import Settings

    url = f"sqlite:///{folder / 'book.db'}"
    marker = folder / f"book-{customers}-{seed}.done"
    if marker.exists():
        print(f"reusing the book in {folder}")
        return url
    (folder / "book.db").unlink(missing_ok=True)
    seconds, files = timed(lambda: write_csvs(folder / "erp", customers, seed))
    print(f"generated in {seconds:.1f} s: " + ", ".join(f"{n:,} {k}" for k, (_, n) in files.items()))
    ctx = build_context(Settings(database_url=url, home=folder / "home"), actor="bench")
    for kind in ("customers", "invoices", "payments"):
        seconds, result = timed(lambda: service.import_file(ctx, kind=kind, path=files[kind][0]))
        assert not result.errors, result.errors[:3]
        print(f"imported {kind} in {seconds:.1f} s")
    ctx.dispose()
    marker.touch()
    return url


def export_ledger(url: str, out: Path) -> dict[str, int]:
    """The ledger as the CSV files an ERP or a data warehouse would hand an analyst."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import aliased

    from arcollect.ledger.models import Application, CreditNote, Customer, Invoice, Payment

    out.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    payer = aliased(Customer)
    queries = {
        "customers": select(Customer.customer_id, Customer.name, Customer.currency),
        "invoices": select(Invoice.invoice_id, Customer.customer_id, Invoice.issue_date, Invoice.due_date,
                           Invoice.amount, Invoice.currency).join(Customer, Customer.id == Invoice.customer_pk),
        "payments": select(Payment.payment_id.label("document_id"), payer.customer_id, Payment.received_date,
                           Payment.amount, Payment.currency).outerjoin(payer, payer.id == Payment.customer_pk),
        "credit_notes": select(CreditNote.credit_note_id.label("document_id"), Customer.customer_id,
                               CreditNote.issue_date, CreditNote.amount, CreditNote.currency)
        .join(Customer, Customer.id == CreditNote.customer_pk),
    }
    headers = {"customers": ["customer_id", "name", "currency"],
               "invoices": ["invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency"],
               "payments": ["document_id", "customer_id", "date", "amount", "currency"],
               "credit_notes": ["document_id", "customer_id", "date", "amount", "currency"]}
    counts = {}
    with engine.connect() as connection:
        for name, query in queries.items():
            counts[name] = _write(out / f"{name}.csv", headers[name], connection.execute(query))
        ids = {k: dict(connection.execute(select(m.id, col)).all()) for k, m, col in (
            ("invoice", Invoice, Invoice.invoice_id), ("payment", Payment, Payment.payment_id),
            ("credit", CreditNote, CreditNote.credit_note_id))}
        rows = connection.execute(select(Application.invoice_pk, Application.payment_pk, Application.credit_note_pk,
                                         Application.write_off_pk, Application.amount, Application.applied_on))

        def applications():  # noqa: ANN202
            for invoice_pk, payment_pk, credit_pk, write_off_pk, amount, applied_on in rows:
                kind, document = (("payment", ids["payment"][payment_pk]) if payment_pk else
                                  ("credit", ids["credit"][credit_pk]) if credit_pk else ("write_off", write_off_pk))
                yield ids["invoice"][invoice_pk], kind, document, amount, applied_on

        counts["applications"] = _write(out / "applications.csv",
                                        ["invoice_id", "kind", "document_id", "amount", "applied_on"], applications())
    engine.dispose()
    return counts


def _write(path: Path, header: list[str], rows) -> int:  # noqa: ANN001
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        n = 0
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            n += 1
    return n


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], output: Path, env: dict[str, str]) -> tuple[float, float]:
    """A fresh process, its stdout into ``output``: (wall seconds, CPU seconds)."""
    start, cpu = time.perf_counter(), _cpu()
    with output.open("wb") as handle:
        done = subprocess.run(args, stdout=handle, stderr=subprocess.PIPE, env=env)
    wall, used = time.perf_counter() - start, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])}… exited {done.returncode}: {done.stderr.decode()[-800:]}")
    return wall, used


def totals(path: Path) -> dict[str, tuple[Decimal, ...]]:
    """Per currency: Σ of each bucket and of unapplied cash and credits over the rows, to the cent."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * (len(BUCKETS) + 2))
    for row in json.loads(path.read_text(encoding="utf-8"))["rows"]:
        values = [row[b] for b in BUCKETS] + [row["unapplied_cash"], row["unapplied_credits"]]
        sums[row["currency"]] = [a + Decimal(v) for a, v in zip(sums[row["currency"]], values)]
    return {c: tuple(v.quantize(Decimal("0.01")) for v in s) for c, s in sorted(sums.items())}


def has_pandas(python: str) -> bool:
    return subprocess.run([python, "-c", "import pandas"], capture_output=True).returncode == 0


def summary(name: str, walls: list[float], cpus: list[float]) -> str:
    return (f"{name:<34} wall best {min(walls):5.2f} s, median {statistics.median(walls):5.2f} s · "
            f"CPU median {statistics.median(cpus):5.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000, help="book size (default: the issue's 20,000)")
    parser.add_argument("--quick", action="store_true", help="smoke run on 2,000 customers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the book here once and reuse it (default: a temp dir)")
    parser.add_argument("--peer-python", default=sys.executable, help="the interpreter that runs the pandas script")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.runs = min(args.customers, 2_000), min(args.runs, 2)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="arcollect-peer-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"peer benchmark: {args.customers:,} customers (seed {args.seed}) in {folder}")
    url = build_book(folder, args.customers, args.seed)
    seconds, counts = timed(lambda: export_ledger(url, folder / "export"))
    print(f"exported the ledger as CSV in {seconds:.1f} s: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    peer = has_pandas(args.peer_python)
    if not peer:
        print(f"pandas is not installed for {args.peer_python}: the peer does not run (pin pandas==3.0.6; "
              "or --peer-python PYTHON)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    as_of = AS_OF.isoformat()
    ours = [sys.executable, "-m", "arcollect.cli.main", "--db", url, "aging", "--as-of", as_of, "--format", "json"]
    theirs = [args.peer_python, str(ROOT / "benchmarks" / "peer_pandas.py"), str(folder / "export"), as_of]
    print(load_note())
    figures: dict[str, tuple[list[float], list[float]]] = {"pandas": ([], []), "arcollect": ([], [])}
    for _ in range(args.runs):  # one after the other, alternating
        for name, command in (("pandas", theirs), ("arcollect", ours)):
            if name == "pandas" and not peer:
                continue
            wall, cpu = run(command, folder / f"{name}.json", env)
            figures[name][0].append(wall)
            figures[name][1].append(cpu)
    print(load_note())
    print(summary("arcollect aging --format json", *figures["arcollect"]))
    if peer:
        print(summary("pandas script on the CSV export", *figures["pandas"]))
        ratio = statistics.median(figures["arcollect"][0]) / statistics.median(figures["pandas"][0])
        cpu_ratio = statistics.median(figures["arcollect"][1]) / statistics.median(figures["pandas"][1])
        print(f"ratio arcollect ÷ pandas: {ratio:.2f} wall, {cpu_ratio:.2f} CPU — target < {TARGET_RATIO:g}: "
              f"{'ok' if ratio < TARGET_RATIO else 'OVER TARGET'}")
        same = totals(folder / "arcollect.json") == totals(folder / "pandas.json")
        print(f"same totals per currency and bucket: {'yes' if same else 'NO — the two disagree'}")


if __name__ == "__main__":
    main()
