"""`arcollect serve --workers 2`: two processes answer, and /metrics adds up the requests of both whichever
process answers the scrape."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz_count(body: str) -> float:
    found = re.search(r'arcollect_http_requests_total\{method="GET",route="/healthz",status="200"\} ([0-9.e+]+)', body)
    return float(found.group(1)) if found else 0.0


def test_two_worker_processes_share_one_set_of_metrics(tmp_path):  # noqa: ANN001
    port = _free_port()
    env = {**os.environ, "ARCOLLECT_HOME": str(tmp_path / "home"), "ARCOLLECT_METRICS_TOKEN": "tok-123456",
           "ARCOLLECT_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen([sys.executable, "-c", "from arcollect.cli.main import main; main()", "serve",
                               "--port", str(port), "--workers", "2"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.communicate(timeout=5)
            time.sleep(0.3)
        start = _healthz_count(httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer tok-123456"}).text)
        for _ in range(40):
            with httpx.Client() as client:  # a new connection each time: both processes get some
                assert client.get(f"{base}/healthz").status_code == 200
        for _ in range(4):
            body = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer tok-123456"}).text
            assert _healthz_count(body) == start + 40
    finally:
        server.terminate()
        server.wait(timeout=60)
