"""Web and API load benchmark (issues #3, #19): wrk against `arcollect serve` over the 1M-invoice book.

    make bench                                                   # ledger benchmark, then this one
    python benchmarks/web.py --customers 5000                    # a quick run
    python benchmarks/web.py --customers 20000 --backend sqlite  # the embedded SQLite file instead of PostgreSQL

Loads the issue #2 dataset (100k customers, ~1.09M invoices, ~0.89M payments) into a private PostgreSQL
cluster, serves it with `arcollect serve`, and runs wrk on loopback for each scenario twice: 20 users
with a 1 s think time between requests (20 concurrent users at work), then 20 connections back to back
with no think time (saturation). Prints p50/p95/p99 latency, throughput, errors and the CPU seconds the server's processes (and
PostgreSQL's) spent per run — the machine may be shared, so CPU per request is the steadier figure;
asserts nothing.
Targets: account-360 page and aging API p95 ≤ 150 ms at 20 concurrent users, 0 errors; dashboard ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arcollect.auth import service as auth  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.ledger import service  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from benchmarks.ledger import timed, write_csvs  # noqa: E402
from tests.pg import Cluster  # noqa: E402

PASSWORD = "benchmark password 1"

LUA = """
paths = {%(paths)s}
%(headers)s
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  counter = math.random(#paths)
end
function request()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter])
end
function response(status, headers, body)
  if status ~= 200 and status ~= 304 then bad = bad + 1 end
end
%(delay)s
function done(summary, latency, requests)
  local not_ok = 0
  for _, t in ipairs(threads) do not_ok = not_ok + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.1f %%.1f %%.1f %%.1f\\n", summary.requests, not_ok,
    e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def lua_script(paths: list[str], headers: dict[str, str], think_ms: int) -> str:
    quoted = ", ".join(f'"{p}"' for p in paths)
    header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    delay = f"function delay() return {think_ms} end" if think_ms else ""
    return LUA % {"paths": quoted, "headers": header_lines, "delay": delay}


def run_wrk(base: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    done = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", str(script), base], check=True, capture_output=True, text=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    n, not_ok, socket_errors, duration, p50, p95, p99, worst = line.split()[1:]
    return {"requests": int(n), "not_ok": int(not_ok), "socket_errors": int(socket_errors),
            "rps": int(n) / float(duration), "p50": float(p50), "p95": float(p95), "p99": float(p99),
            "max": float(worst)}


def tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) spent so far by a process and its live descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def postmaster_pid(cluster: Cluster) -> int | None:
    pidfile = cluster.data / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sign_in(base: str, login: str) -> str:
    """A session cookie header for ``login``, through the real login form."""
    with httpx.Client(base_url=base) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        done = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token, "next": "/"})
        assert done.status_code in (200, 303), done.text[:200]
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def check(base: str, path: str, headers: dict[str, str], wanted: str) -> None:
    r = httpx.get(base + path, headers=headers, timeout=60)
    if r.status_code != 200 or wanted not in r.text:
        raise SystemExit(f"GET {path}: {r.status_code}, expected 200 with {wanted!r}: {r.text[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=20, help="Length of each wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--think-ms", type=int, default=1000, help="Pause of each user between requests")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2), help="arcollect serve --workers")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 customers, 5 s wrk runs")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.seconds = min(args.customers, 2_000), min(args.seconds, 5)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: run `make system-deps`")
    work = Path(tempfile.mkdtemp(prefix="arcollect-webbench-"))
    print(f"generating {args.customers:,} customers (seed {args.seed}) into {work}")
    seconds, files = timed(lambda: write_csvs(work / "csv", args.customers, args.seed))
    print(f"generated in {seconds:.1f} s: " + ", ".join(f"{n:,} {k}" for k, (_, n) in files.items()))
    cluster = Cluster().start() if args.backend == "postgresql" else None
    server = None
    try:
        home = work / "home"
        url = cluster.create_database("webbench") if cluster else f"sqlite:///{home / 'bench.db'}"
        ctx = build_context(Settings(database_url=url, home=home), actor="bench")
        for kind in ("customers", "invoices", "payments"):
            seconds, result = timed(lambda: service.import_file(ctx, kind=kind, path=files[kind][0]))
            assert not result.errors, result.errors[:3]
            print(f"loaded {kind:<9} {files[kind][1]:>9,} rows in {seconds:6.1f} s")
        collector = service.busiest_collector(ctx)
        auth.add_user(ctx, login="admin", role="admin", password=PASSWORD)
        auth.add_user(ctx, login=collector, role="collector", password=PASSWORD)
        token = auth.create_token(ctx, login=collector, name="bench")[1]
        admin_token = auth.create_token(ctx, login="admin", name="bench")[1]
        from sqlalchemy import select

        from arcollect.ledger.models import Customer, Invoice

        with ctx.sessions() as s:
            mine = list(s.scalars(select(Customer.customer_id).where(Customer.collector == collector)))
            invoices = s.scalar(select(Invoice.id).order_by(Invoice.id.desc()).limit(1))
        ctx.dispose()
        print(f"collector {collector}: {len(mine):,} of {args.customers:,} customers; {invoices:,} invoices in the book")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "ARCOLLECT_DATABASE_URL": url, "ARCOLLECT_HOME": str(home)}
        server = subprocess.Popen([str(Path(sys.executable).parent / "arcollect"), "serve", "--port", str(port),
                                   "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL)
        _wait_for(base + "/healthz")
        cookie = sign_in(base, collector)
        sample = random.Random(args.seed).sample(mine, min(500, len(mine)))
        scenarios = [
            ("account-360 page", [f"/customers/{c}" for c in sample], {"Cookie": cookie}, "Open items", 150),
            ("aging API (collector's portfolio)", ["/api/v1/aging?by=customer"],
             {"Authorization": f"Bearer {token}"}, '"rows"', 150),
            ("dashboard page", ["/"], {"Cookie": cookie}, "Portfolio dashboard", 300),
            ("aging API (whole book, by collector)", ["/api/v1/aging?by=collector"],
             {"Authorization": f"Bearer {admin_token}"}, '"rows"', None),
        ]
        tag = httpx.get(base + "/api/v1/aging?by=customer", headers={"Authorization": f"Bearer {token}"},
                        timeout=120).headers.get("etag")
        if tag:  # a client that keeps its copy and revalidates it (ETag → 304 while nothing changed)
            scenarios.insert(2, ("aging API, If-None-Match (304)", ["/api/v1/aging?by=customer"],
                                 {"Authorization": f"Bearer {token}", "If-None-Match": tag}, None, 150))
        print(f"\n{args.backend}; load average before the runs: {os.getloadavg()[0]:.2f}")
        print(f"wrk on loopback, {args.connections} connections, {args.seconds} s per run, "
              f"{args.workers} server workers, {os.cpu_count()} CPUs shared by wrk, server and PostgreSQL")
        print(f"{'scenario':<40} {'load':<22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'errors':>7}  target p95")
        print(f"{'':<40} {'':<22} {'':>7} {'':>8} {'':>8} {'':>8} {'':>7}  "
              "server CPU ms/req (+ PostgreSQL's)")
        pg_pid = postmaster_pid(cluster) if cluster else None
        for name, paths, headers, wanted, target in scenarios:
            if args.only and args.only not in name:
                continue
            if wanted is not None:
                check(base, paths[0], headers, wanted)
            for think in (args.think_ms, 0):
                script = work / "scenario.lua"
                script.write_text(lua_script(paths, headers, think))
                cpu0 = tree_cpu(server.pid), tree_cpu(pg_pid) if pg_pid else 0.0
                r = run_wrk(base, script, args.connections, args.seconds)
                cpu1 = tree_cpu(server.pid), tree_cpu(pg_pid) if pg_pid else 0.0
                per = 1000 / max(r["requests"], 1)
                cpu = f"{(cpu1[0] - cpu0[0]) * per:.1f}" + (f" (+{(cpu1[1] - cpu0[1]) * per:.1f})" if pg_pid else "")
                load = f"{args.connections} users, {think} ms think" if think else f"{args.connections} conns, no think"
                verdict = "" if target is None else f"≤ {target} ms: {'met' if r['p95'] <= target else 'MISSED'}"
                print(f"{name:<40} {load:<22} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} "
                      f"{r['not_ok'] + r['socket_errors']:>7}  {verdict}  cpu {cpu}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=120)
        if cluster:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url}")


if __name__ == "__main__":
    main()
