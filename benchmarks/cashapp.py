"""Cash application benchmark (issue #9): the matcher over a corpus of noisy remittances with known truth.

    python benchmarks/cashapp.py [--lines 100000 --items 1000000] [--accuracy-lines 20000 --accuracy-parties 4000
                                 --accuracy-items 40000] [--seed 7]

Prints per case kind and in total: straight-through (applied automatically and exactly right: customer, invoices,
amounts, unapplied rest), wrong (applied automatically, not exactly right — for a decoy any application is wrong),
review and unidentified rates; then throughput of a large run (seconds, lines/s, peak memory). Targets:
straight-through ≥ 97 % of the payable lines, wrong ≤ 0.1 % of all lines, 100,000 lines × 1,000,000 items ≤ 60 s.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from arcollect.cashapp.matcher import MatchSettings, match  # noqa: E402
from arcollect.cashapp.shapes import Decision  # noqa: E402
from benchmarks.cashapp_corpus import Case, corpus  # noqa: E402


def outcome(case: Case, d: Decision) -> str:
    """right | wrong | review | unidentified (for a decoy: not applied is right, whatever the status)."""
    if d.status != "apply":
        return "right" if case.truth.customer_id is None else d.status
    if case.truth.customer_id is None:
        return "wrong"
    p = d.proposals[0]
    got = sorted((a.invoice_id, a.amount) for a in p.allocations)
    ok = p.customer_id == case.truth.customer_id and got == sorted(case.truth.allocations) and p.unapplied == case.truth.unapplied
    return "right" if ok else "wrong"


def score(cases: list[Case], decisions: list[Decision]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for c, d in zip(cases, decisions):
        o = outcome(c, d)
        table[c.kind][o] += 1
        table["TOTAL"][o] += 1
        if c.truth.customer_id is not None:
            table["TOTAL payable"][o] += 1
    return table


def report(table: dict[str, Counter]) -> None:
    print(f"{'case kind':24} {'lines':>6} {'straight':>9} {'wrong':>7} {'review':>7} {'unident.':>8}")
    for kind in sorted(k for k in table if not k.startswith("TOTAL")) + ["TOTAL payable", "TOTAL"]:
        c = table[kind]
        n = sum(c.values()) or 1
        print(f"{kind:24} {n:6d} {100 * c['right'] / n:8.2f}% {100 * c['wrong'] / n:6.2f}% "
              f"{100 * c['review'] / n:6.2f}% {100 * c['unidentified'] / n:7.2f}%")
    pay, tot = table["TOTAL payable"], table["TOTAL"]
    st = pay["right"] / (sum(pay.values()) or 1)
    wr = tot["wrong"] / (sum(tot.values()) or 1)
    print(f"straight-through {100 * st:.2f} % (target ≥ 97 %) · wrong {100 * wr:.3f} % (target ≤ 0.1 %)"
          " (a decoy counts right when not applied)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=100000, help="lines of the throughput run (0: none)")
    ap.add_argument("--items", type=int, default=1000000, help="open items of the throughput run (10 per customer)")
    ap.add_argument("--accuracy-lines", type=int, default=20000)
    ap.add_argument("--accuracy-parties", type=int, default=4000)
    ap.add_argument("--accuracy-items", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    c = corpus(lines=args.accuracy_lines, parties=args.accuracy_parties, items=args.accuracy_items, seed=args.seed)
    t = time.perf_counter()
    decisions = match([x.line for x in c.cases], c.parties, c.items, MatchSettings())
    print(f"accuracy: {len(c.cases)} lines against {len(c.items)} open items of {len(c.parties)} customers "
          f"({time.perf_counter() - t:.1f} s)")
    report(score(c.cases, decisions))
    if args.lines:
        print()
        t = time.perf_counter()
        big = corpus(lines=args.lines, parties=max(1, args.items // 10), items=args.items, seed=args.seed + 1)
        gen = time.perf_counter() - t
        t = time.perf_counter()
        decisions = match([x.line for x in big.cases], big.parties, big.items, MatchSettings())
        secs = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"throughput: {len(big.cases)} lines against {len(big.items)} open items of {len(big.parties)} customers: "
              f"{secs:.1f} s matching ({len(big.cases) / secs:,.0f} lines/s; target ≤ 60 s), corpus built in {gen:.1f} s, "
              f"peak RSS {peak:,.0f} MiB (corpus included)")
        report(score(big.cases, decisions))


if __name__ == "__main__":
    main()
