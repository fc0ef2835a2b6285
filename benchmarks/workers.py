"""Workers benchmark (issue #19, item 3): 2 `arcollect worker` processes vs 1 on PostgreSQL, on 1,000 statement
PDFs (chunks of 50 per job) and on the daily run (one job per collector, then the day's emails queued).

    python benchmarks/workers.py [--customers 20000] [--mine 2000] [--pdfs 1000] [--chunk 50] [--workers 1,2]

Prints wall time, rate, the speed-up of 2 workers over 1 and each worker's peak memory; asserts nothing.
Targets: statement PDFs ≥ 20/s across workers (issue #19 §5); the speed-up of 2 over 1 is printed (ideal 2.0 on
two free cores — this machine's cores are shared). SQLite has no queue (jobs run in-process): not measured here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402

from arcollect.clock import FixedClock  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.jobs import service as jobs  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from benchmarks.workbench import AS_OF, load  # noqa: E402
from tests.jobs.workers import Worker, empty_queue, scalar, wait_for  # noqa: E402

PDF_TARGET = 20.0  # statement PDFs per second across workers


def _peak_mb(worker: Worker) -> float:
    status = Path(f"/proc/{worker.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def _finished(ctx, tasks: tuple[str, ...]) -> bool:  # noqa: ANN001
    names = ", ".join(f"'arcollect.{t}'" for t in tasks)
    return scalar(ctx, f"SELECT count(*) FROM procrastinate_jobs WHERE task_name IN ({names}) "
                       "AND status NOT IN ('succeeded', 'failed', 'cancelled', 'aborted')") == 0


def _with_workers(ctx, n: int, home: Path, work) -> tuple[float, list[float], dict]:  # noqa: ANN001
    """Start n workers, wait until they are registered, then time ``work()`` (which defers jobs and returns the
    tasks to wait for) until every such job is finished; their peak memory."""
    empty_queue(ctx)
    workers = [Worker(ctx.settings.effective_database_url, home / f"w{i}", f"bench-{n}-{i}") for i in range(n)]
    try:
        wait_for(f"{n} worker(s) registered", lambda: scalar(ctx, "SELECT count(*) FROM procrastinate_workers") == n,
                 180, workers)
        start = time.perf_counter()
        tasks = work()
        wait_for("the jobs done", lambda: _finished(ctx, tasks), 3600, workers)
        seconds = time.perf_counter() - start
        peaks = [_peak_mb(w) for w in workers]
        failed = scalar(ctx, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
        spread = dict(scalar(ctx, "SELECT json_object_agg(w, c) FROM (SELECT worker AS w, count(*) AS c "
                                  "FROM job_runs GROUP BY worker) x") or {})
    finally:
        for w in workers:
            w.stop()
    return seconds, peaks, {"failed": failed, "jobs per worker": sorted(spread.values(), reverse=True)}


def _reset_day(ctx) -> None:  # noqa: ANN001
    with ctx.engine.begin() as conn:
        conn.execute(text("TRUNCATE actions, worklist_entries, worklist_runs, outbox, job_runs RESTART IDENTITY CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--mine", type=int, default=2_000, help="customers per collector")
    parser.add_argument("--pdfs", type=int, default=1_000)
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--workers", default="1,2")
    args, _ = parser.parse_known_args()
    counts = [int(n) for n in args.workers.split(",")]
    from tests.pg import Cluster

    work = Path(tempfile.mkdtemp(prefix="arcollect-workers-"))
    cluster = Cluster().start()
    try:
        url = cluster.create_database("bench")
        ctx = build_context(Settings(database_url=url, home=work / "home"), actor="bench",
                            clock=FixedClock(dt.datetime(2026, 11, 23, 6, tzinfo=dt.timezone.utc)))
        invoices = load(ctx, args.customers, 5, args.mine, 1)
        with ctx.sessions() as s:
            collectors = list(s.execute(text("SELECT DISTINCT collector FROM customers ORDER BY 1")).scalars())
        print(f"PostgreSQL (private cluster, fsync off): {args.customers:,} customers, {invoices:,} open invoices, "
              f"{len(collectors)} collectors")
        ids = [f"C{k:07d}" for k in range(1, min(args.pdfs, args.customers) + 1)]
        pdf, daily = {}, {}
        for n in counts:
            out = work / f"pdf-{n}"
            shutil.rmtree(out, ignore_errors=True)
            _reset_day(ctx)

            def statements() -> tuple[str, ...]:
                jobs.statements(ctx, as_of=AS_OF, customer_ids=ids, directory=str(out), chunk=args.chunk)
                return ("render_statements",)

            seconds, peaks, info = _with_workers(ctx, n, work, statements)
            files = len(list((out / AS_OF.isoformat()).glob("*.pdf")))
            pdf[n] = seconds
            print(f"  {files:,} statement PDFs with {n} worker(s): {seconds:.1f} s ({files / seconds:.1f}/s, target "
                  f"≥ {PDF_TARGET:.0f}/s); jobs per worker {info['jobs per worker']}, failed {info['failed']}; "
                  f"peak memory per worker {', '.join(f'{p:.0f}' for p in peaks)} MB")
            _reset_day(ctx)

            def daily_runs() -> tuple[str, ...]:
                for c in collectors:
                    jobs.defer(ctx, "daily_run", as_of=AS_OF.isoformat(), collector=c)
                return ("daily_run", "queue_dunning", "send_outbox")

            seconds, peaks, info = _with_workers(ctx, n, work, daily_runs)
            daily[n] = seconds
            runs_done = scalar(ctx, "SELECT EXTRACT(EPOCH FROM max(finished_at) - min(started_at)) FROM job_runs "
                                    "WHERE task = 'daily_run'")
            proposed = scalar(ctx, "SELECT count(*) FROM actions")
            queued = scalar(ctx, "SELECT count(*) FROM outbox")
            print(f"  daily run of {len(collectors)} collectors with {n} worker(s): {seconds:.1f} s, of which the "
                  f"collectors' worklist runs {float(runs_done):.1f} s (then the emails queued, one job at a time) ({proposed:,} "
                  f"actions, {queued:,} emails queued); jobs per worker {info['jobs per worker']}, failed "
                  f"{info['failed']}; peak memory per worker {', '.join(f'{p:.0f}' for p in peaks)} MB")
        if 1 in pdf and 2 in pdf:
            print(f"  speed-up of 2 workers over 1: statement PDFs ×{pdf[1] / pdf[2]:.2f}, daily run "
                  f"×{daily[1] / daily[2]:.2f} (ideal ×2.00 on two free cores)")
        ctx.dispose()
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
