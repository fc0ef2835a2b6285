"""Outreach benchmark (issue #5): render and queue dunning emails, and render statement PDFs.

    python benchmarks/outreach.py [--emails 10000] [--pdfs 1000] [--workers 2]

Prints figures; asserts nothing. Targets: render and queue 10,000 emails ≤ 30 s; 1,000 statement PDFs ≤ 60 s.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arcollect.clock import FixedClock  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.outreach import documents, outbox  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from arcollect.worklist import service as worklists  # noqa: E402
from benchmarks.workbench import AS_OF, load  # noqa: E402


def _pdfs(url: str, home: str, ids: list[str]) -> int:
    ctx = build_context(Settings(database_url=url, home=Path(home)), actor="bench",
                        clock=FixedClock(dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc)), migrate_schema=False)
    total = 0
    for cid in ids:
        pdf, _ = documents.letter(ctx, customer_id=cid, kind="statement", as_of=AS_OF)
        total += len(pdf)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000, help="customers, each getting one email")
    parser.add_argument("--pdfs", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    args, _ = parser.parse_known_args()
    work = Path(tempfile.mkdtemp(prefix="arcollect-outreach-"))
    url = f"sqlite:///{work / 'outreach.db'}"
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc))
    ctx = build_context(Settings(database_url=url, home=work / "home"), actor="bench", clock=clock)
    load(ctx, args.emails, 5, min(2000, args.emails), 1)
    start = time.perf_counter()
    worklists.run(ctx, as_of=AS_OF)
    evaluated = time.perf_counter() - start
    start = time.perf_counter()
    queued = outbox.queue(ctx, as_of=AS_OF)
    seconds = time.perf_counter() - start
    n = queued["queued"] + queued["awaiting_approval"]
    print(f"{args.emails:,} customers: worklist {evaluated:.1f} s; rendered and queued {n:,} emails in {seconds:.1f} s "
          f"({n / seconds:,.0f}/s)  target 10,000 in ≤ 30 s")
    ids = [f"C{k:07d}" for k in range(1, min(args.pdfs, args.emails) + 1)]
    chunks = [ids[i::args.workers] for i in range(args.workers)]
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(args.workers) as pool:
        size = sum(pool.map(_pdfs, [url] * len(chunks), [str(work / "home")] * len(chunks), chunks))
    seconds = time.perf_counter() - start
    print(f"{len(ids):,} statement PDFs in {seconds:.1f} s with {args.workers} worker processes "
          f"({len(ids) / seconds:.1f}/s, {size / len(ids) / 1024:.0f} kB each)  target 1,000 in ≤ 60 s")


if __name__ == "__main__":
    main()
