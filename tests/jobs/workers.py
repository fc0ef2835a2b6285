"""Real `arcollect worker` processes on the test PostgreSQL (subprocesses), and what the tests read of the queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import text

from arcollect.context import Context

QUEUE_TABLES = "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def empty_queue(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {QUEUE_TABLES} RESTART IDENTITY CASCADE"))


class Worker:
    """`arcollect worker` in a process of its own; its output kept in a log file."""

    def __init__(self, db_url: str, home: Path, name: str, **settings: object) -> None:
        env = {**os.environ, "ARCOLLECT_DATABASE_URL": db_url, "ARCOLLECT_HOME": str(home),
               "ARCOLLECT_WORKER_HEARTBEAT_SECONDS": "1", "ARCOLLECT_WORKER_STALLED_SECONDS": "4",
               "ARCOLLECT_WORKER_STALLED_CHECK_CRON": "* * * * * */2",
               "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
        env.update({f"ARCOLLECT_{k.upper()}": str(v) for k, v in settings.items()})
        home.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log = home / f"{name}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from arcollect.cli.main import main; main()", "worker", "--name", name, "--no-schedule"],
            env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for(what: str, check: Callable[[], bool], timeout: float, workers: list[Worker] = ()) -> None:  # type: ignore[assignment]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for w in workers:
            if w.process.poll() is not None:
                raise AssertionError(f"worker {w.name} exited ({w.process.returncode}) waiting for {what}:\n{w.output()[-3000:]}")
        time.sleep(0.2)
    logs = "\n".join(f"--- {w.name}\n{w.output()[-3000:]}" for w in workers)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")


def scalar(ctx: Context, sql: str, **params: object) -> object:
    with ctx.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(ctx: Context, sql: str, **params: object) -> list:
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]
