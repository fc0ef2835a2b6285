"""Prometheus metrics of this process (or of all `arcollect serve --workers N` processes: their values are
shared through files in $PROMETHEUS_MULTIPROC_DIR, which `serve` sets up). Requests are counted by route
template (``/api/v1/customers/{customer_id}``), never by raw path, so the number of series stays bounded.
Jobs (the workers) report their durations and failures through ``observe_job``."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
# Pages are judged at 150–300 ms: buckets fine below a second, coarse above.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("arcollect_http_requests_total", "HTTP requests answered, by method, route and status code",
                   ["method", "route", "status"])
LATENCY = Histogram("arcollect_http_request_duration_seconds",
                    "Time from the request's arrival to the end of its response, by method and route",
                    ["method", "route"], buckets=LATENCY_BUCKETS)
JOB_SECONDS = Histogram("arcollect_job_duration_seconds", "Background job run time, by task and outcome",
                        ["task", "outcome"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
JOB_FAILURES = Counter("arcollect_job_failures_total", "Background jobs that failed, by task", ["task"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def observe_job(task: str, seconds: float, *, ok: bool) -> None:
    JOB_SECONDS.labels(task, "ok" if ok else "failed").observe(seconds)
    if not ok:
        JOB_FAILURES.labels(task).inc()


def render() -> tuple[bytes, str]:
    """The text exposition of every metric (all worker processes' when they share a directory)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        registry: Any = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return generate_latest(registry), CONTENT_TYPE_LATEST
