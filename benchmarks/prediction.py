"""Prediction and forecast benchmark (issue #17): `predict train`, `predict` of every open invoice and
`report forecast` on the generated book of benchmarks/ledger.py — 100k customers, ~1.09M invoices, ~0.89M
payments — SQLite and PostgreSQL; then the forecast backtest on the demo book and the IBM time split.

    make bench                                     # runs this after the reports benchmark
    python benchmarks/prediction.py --quick        # smoke run (2,000 customers)
    python benchmarks/prediction.py --backends sqlite --corpus ../shared/data

Each command runs as the real CLI in a child process (wall time with start-up, and its own peak RSS).
Prints figures; asserts nothing. Targets on the 1M-invoice book: model training ≤ 5 min, prediction of
every open invoice ≤ 60 s, 13-week forecast ≤ 30 s.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from arcollect.context import build_context  # noqa: E402
from arcollect.ledger.models import Invoice  # noqa: E402
from arcollect.ledger import service as ledger  # noqa: E402
from arcollect.risk import service as risk  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from benchmarks.ledger import AS_OF, load_note, measured_command_cpu, over_backends, timed, verdict  # noqa: E402

TRAIN_S, PREDICT_S, FORECAST_S = 300.0, 60.0, 30.0
DEMO_CUSTOMERS, DEMO_SEED = 200, 42  # what `arcollect demo` loads
DEMO_AS_OF = AS_OF


def run_backend(name: str, url: str, files: dict) -> None:  # noqa: ANN001
    print(f"\n== {name}")
    ctx = build_context(Settings(database_url=url, home=Path(tempfile.mkdtemp())), actor="bench")
    for kind in ("customers", "invoices", "payments"):
        path, rows = files[kind]
        seconds, result = timed(lambda: ledger.import_file(ctx, kind=kind, path=path))
        assert not result.errors, result.errors[:3]
        print(f"loaded {kind:<9} {rows:>9,} rows in {seconds:6.1f} s")
    day = AS_OF.isoformat()
    print(load_note())
    seconds, cpu, peak = measured_command_cpu(url, "predict", "train", "--as-of", day, "--json")
    print(f"predict train --as-of {day}: {seconds:7.1f} s wall, {cpu:7.1f} s CPU ({verdict(seconds, TRAIN_S, cpu)}), "
          f"peak RSS {peak:,.0f} MB")
    model = risk.latest_model(ctx)
    if model is not None:
        m = model["metrics"]
        print(f"  held out from {m['cut']}: n={m['n']:,}, trained on {m['trained_rows']:,} examples; MAE model "
              f"{m['model']['mae']} d, due date {m['due_date']['mae']} d, customer mean {m['customer_mean']['mae']} d; "
              f"within ±3 d {m['model']['within_3']} % (due date {m['due_date']['within_3']} %)")
    seconds, cpu, peak = measured_command_cpu(url, "predict", "--as-of", day, "--format", "json")
    with ctx.sessions() as session:
        open_now = session.scalar(select(func.count()).select_from(Invoice)
                                  .where(Invoice.issue_date <= AS_OF, Invoice.open_until > AS_OF))
    print(f"predict --as-of {day} ({open_now:,} open invoices): {seconds:7.1f} s wall, {cpu:7.1f} s CPU "
          f"({verdict(seconds, PREDICT_S, cpu)}), peak RSS {peak:,.0f} MB")
    seconds, cpu, peak = measured_command_cpu(url, "report", "forecast", "--as-of", day, "--weeks", "13", "--json")
    print(f"report forecast --as-of {day} --weeks 13: {seconds:7.1f} s wall, {cpu:7.1f} s CPU "
          f"({verdict(seconds, FORECAST_S, cpu)}), peak RSS {peak:,.0f} MB")
    print(load_note())
    ctx.dispose()


def demo_backtest() -> None:
    """The forecast made 13 weeks before the demo book's date against the cash that came, week by week."""
    print(f"\n== forecast backtest on the demo book ({DEMO_CUSTOMERS} customers, seed {DEMO_SEED}, "
          f"as of {DEMO_AS_OF}, SQLite)")
    home = Path(tempfile.mkdtemp(prefix="arcollect-bench-backtest-"))
    ctx = build_context(Settings(database_url=f"sqlite:///{home / 'demo.db'}", home=home), actor="bench")
    try:
        ledger.load_demo(ctx, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, as_of=DEMO_AS_OF)
        seconds, result = timed(lambda: risk.backtest(ctx, as_of=DEMO_AS_OF, weeks=13))
        base = {(w["start"], w["currency"]): w for w in result["baseline"]["weeks"]}
        print(f"forecast made on {result['made_on']} (model learnt by then), compared with the cash applied "
              f"since to the invoices open then ({seconds:.1f} s)")
        print(f"{'week':<24}{'cur':<5}{'expected':>14}{'low':>14}{'high':>14}{'actual':>14}{'error':>14}  band"
              f"{'due-date baseline error':>26}")
        for w in result["weeks"]:
            b = base.get((w["start"], w["currency"]))
            print(f"{w['start'] + ' – ' + w['end']:<24}{w['currency']:<5}{w['expected']:>14}{w['low']:>14}"
                  f"{w['high']:>14}{w['actual']:>14}{w['error']:>14}  {'in ' if w['in_band'] else 'out'}"
                  f"{b['error'] if b else '':>26}")
        naive = {c["currency"]: c for c in result["baseline"]["currencies"]}
        for c in result["currencies"]:
            b = naive[c["currency"]]
            print(f"{c['currency']}: WAPE {c['wape']} % (due-date baseline {b['wape']} %); mean absolute weekly error "
                  f"{c['mae']} (baseline {b['mae']}); {c['in_band']} of 13 weeks inside the 80 % band; "
                  f"{Decimal(c['actual']):,} came in the 13 weeks")
    finally:
        ctx.dispose()
        shutil.rmtree(home, ignore_errors=True)


def _shared_corpus() -> str | None:
    """The shared data directory next to the checkout (../shared/data), where the IBM data sits."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "data" / "ibm_watson_ar").is_dir():
            return str(base / "shared" / "data")
    return None


def ibm_time_split(corpus: str | None) -> None:
    root = Path(corpus) if corpus else None
    if root is None or not (root / "ibm_watson_ar").is_dir():
        print("\n== IBM time split: skipped (give --corpus or set ARCOLLECT_CORPUS to the data directory)")
        return
    from tests.corpus.test_prediction_ibm import CUT, TARGET_MAE, TARGET_WITHIN_3, evaluate_ibm

    seconds, r = timed(lambda: evaluate_ibm(root))
    print(f"\n== IBM Watson AR time split at {CUT} (trained on {r['trained_on']:,} examples, "
          f"{r['n']:,} invoices tested, {seconds:.1f} s)")
    for name in ("model", "due_date", "customer_mean"):
        s = r[name]
        print(f"{name:<14} MAE {s['mae']:5.2f} d   within ±3 d {s['within_3']:5.1f} %   within ±7 d {s['within_7']:5.1f} %")
    m = r["model"]
    print(f"targets: MAE ≤ {TARGET_MAE} d ({'ok' if m['mae'] <= TARGET_MAE else 'missed'}), "
          f"≥ {TARGET_WITHIN_3:.0f} % within ±3 d ({'ok' if m['within_3'] >= TARGET_WITHIN_3 else 'missed'})")


def main() -> None:
    def options(parser) -> None:  # noqa: ANN001
        parser.add_argument("--corpus", default=os.environ.get("ARCOLLECT_CORPUS") or _shared_corpus(),
                            help="the real-data directory holding ibm_watson_ar/ (default: $ARCOLLECT_CORPUS, "
                                 "else ../shared/data beside the checkout when it is there)")

    args = over_backends(run_backend, description=__doc__.splitlines()[0], prefix="arcollect-bench-prediction-",
                         note=f" as of {AS_OF}", options=options)
    demo_backtest()
    ibm_time_split(args.corpus)


if __name__ == "__main__":
    main()
