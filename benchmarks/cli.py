"""CLI start-up benchmark (issue #19 item 7): wall clock of `arcollect --help` (target ≤ 0.3 s) and of every
command's own start — `arcollect CMD --help`, which imports that command's code and nothing else — (target
≤ 0.5 s), best and median of --runs fresh processes; plus the import time `python -X importtime` counts.

    python benchmarks/cli.py [--runs 5] [--src DIR]    (--src: measure another checkout's src/, e.g. before)
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELP_TARGET = 0.3
COMMAND_TARGET = 0.5


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}


CPU: list[float] = []  # CPU seconds (user + system) of the last _wall's runs: less swayed by a busy machine


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times = []
    CPU.clear()
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        done = subprocess.run([sys.executable, "-m", "arcollect.cli.main", *args], env=env, capture_output=True)
        times.append(time.perf_counter() - start)
        CPU.append(_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"arcollect {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return min(times), statistics.median(times)


def _import_ms(args: list[str], env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "arcollect.cli.main", *args], env=env,
                          capture_output=True, text=True)
    return sum(int(m.group(1)) for m in re.finditer(r"import time:\s+(\d+) \|", done.stderr)) / 1000


def _commands(env: dict[str, str]) -> list[str]:
    code = ("from arcollect.cli import main\n"
            "import typer, click\n"
            "g = typer.main.get_command(main.app)\n"
            "print('\\n'.join(g.list_commands(click.Context(g))))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    opts = parser.parse_args()
    env = _env(opts.src.resolve())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures grow with it)")
    print(f"== CLI start ({opts.src}, {opts.runs} runs each, wall clock best / median)")
    best, median = _wall(["--help"], env, opts.runs)
    ok = "ok" if best <= HELP_TARGET else "MISSED"
    print(f"arcollect --help            {best:5.2f} s / {median:5.2f} s   target ≤ {HELP_TARGET} s  {ok}   "
          f"cpu {min(CPU):.2f} s  imports {_import_ms(['--help'], env):.0f} ms")
    worst = ("", 0.0)
    missed = []
    for name in _commands(env):
        best, median = _wall([name, "--help"], env, opts.runs)
        worst = max(worst, (name, best), key=lambda x: x[1])
        flag = "ok" if best <= COMMAND_TARGET else "MISSED"
        if best > COMMAND_TARGET:
            missed.append(name)
        print(f"arcollect {name + ' --help':18} {best:5.2f} s / {median:5.2f} s   target ≤ {COMMAND_TARGET} s  {flag}   "
              f"cpu {min(CPU):.2f} s  imports {_import_ms([name, '--help'], env):.0f} ms")
    print(f"slowest command start: {worst[0]} {worst[1]:.2f} s (target ≤ {COMMAND_TARGET} s); "
          f"{len(missed)} over target{': ' + ', '.join(missed) if missed else ''}")


if __name__ == "__main__":
    main()
