"""Payment prediction on the ledger: learnt from its own settled history, as known on the date."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from arcollect.risk import features as F
from arcollect.risk import service as risk
from tests.risk.book import TODAY, load_habits


def test_features_on_a_date_ignore_what_was_settled_on_or_after_it():
    """A settlement on or after the date is unknown on it: the customer's history then has only the earlier one."""
    rows = [F.InvoiceRow("A", "C", dt.date(2026, 1, 1), dt.date(2026, 1, 31), Decimal("10"), dt.date(2026, 2, 10)),
            F.InvoiceRow("B", "C", dt.date(2026, 2, 1), dt.date(2026, 3, 3), Decimal("10"), dt.date(2026, 4, 2)),
            F.InvoiceRow("X", "C", dt.date(2026, 3, 1), dt.date(2026, 3, 31), Decimal("20"))]
    history = F.History(rows)
    before = dict(zip(F.NAMES, F.row_features(history, rows[2], dt.date(2026, 4, 2))))
    after = dict(zip(F.NAMES, F.row_features(history, rows[2], dt.date(2026, 4, 3))))
    assert (before["hist_n"], before["hist_mean"]) == (1.0, 10.0)
    assert (after["hist_n"], after["hist_mean"]) == (2.0, 20.0)
    assert before["amount_ratio"] == 2.0 and before["past_due_days"] == 2.0


def test_snapshots_learn_only_from_invoices_settled_before_the_cut():
    """Training examples come from invoices settled before the cut; a late one is seen again after its due date."""
    late = F.InvoiceRow("A", "C", dt.date(2026, 1, 1), dt.date(2026, 1, 31), Decimal("10"), dt.date(2026, 3, 15))
    later = F.InvoiceRow("B", "C", dt.date(2026, 1, 1), dt.date(2026, 1, 31), Decimal("10"), dt.date(2026, 4, 1))
    shots = F.snapshots([late, later], dt.date(2026, 4, 1))
    assert [(r.key, seen) for r, seen, _ in shots] == [("A", dt.date(2026, 1, 1)), ("A", dt.date(2026, 2, 1)),
                                                      ("A", dt.date(2026, 3, 3))]
    assert {y for _, _, y in shots} == {43}


def test_a_customer_who_always_pays_20_days_late_is_predicted_late(ctx, tmp_path):
    """Trained on the book's own history: LATE's fresh invoice is expected about 20 days after its due date and
    likely late; PROMPT's on its due date; every expected date is on or after the date predicted from."""
    open_ids = load_habits(ctx, tmp_path)
    trained = risk.train(ctx, as_of=TODAY)
    assert trained["version"] == 1 and trained["metrics"]["model"]["mae"] < trained["metrics"]["due_date"]["mae"]
    rows = risk.predict(ctx, as_of=TODAY)
    assert {r["invoice_id"] for r in rows} == set(open_ids["LATE"]) | set(open_ids["PROMPT"])
    assert all(dt.date.fromisoformat(r["expected_date"]) >= TODAY for r in rows)
    assert all(0.0 <= r["p_late"] <= 1.0 and r["model_version"] == 1 for r in rows)
    new = {r["invoice_id"]: r for r in rows if r["invoice_id"].endswith("-NEW")}
    late, prompt = new["LATE-NEW"], new["PROMPT-NEW"]
    assert dt.date.fromisoformat(late["expected_date"]) >= dt.date(2026, 12, 20) + dt.timedelta(days=14)
    assert dt.date.fromisoformat(prompt["expected_date"]) <= dt.date(2026, 12, 20) + dt.timedelta(days=4)
    assert late["p_late"] > 0.5 > prompt["p_late"]
    assert late["factors"] and {"feature", "label", "value", "days"} <= set(late["factors"][0])
    assert [r["invoice_id"] for r in risk.predict(ctx, as_of=TODAY, customer_id="PROMPT")] == open_ids["PROMPT"]


def test_predict_trains_a_model_when_none_is_stored_and_reuses_it(ctx, tmp_path):
    """The first prediction trains and stores version 1; the next one uses it (no version 2)."""
    load_habits(ctx, tmp_path)
    assert risk.latest_model(ctx) is None
    first = risk.predict(ctx, as_of=TODAY)
    second = risk.predict(ctx, as_of=TODAY)
    assert first == second and risk.latest_model(ctx)["version"] == 1


def test_cli_predict_and_train_print_the_contract_json(cli, ctx, tmp_path):
    """`predict train --json` stores a version with its metrics; `predict --format json` prints one row per open
    invoice with the CONTRACT §10 keys; a customer outside the book exits 1."""
    open_ids = load_habits(ctx, tmp_path)
    r = cli("predict", "train", "--as-of", TODAY.isoformat(), "--json")
    assert r.exit_code == 0, r.output
    trained = json.loads(r.stdout)
    assert trained["version"] == 1 and {"mae", "within_3", "within_7"} <= set(trained["metrics"]["model"])
    r = cli("predict", "--as-of", TODAY.isoformat(), "--customer", "LATE", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["invoice_id"] for x in rows] == open_ids["LATE"]
    assert all({"invoice_id", "customer_id", "expected_date", "p_late"} <= set(x) for x in rows)
    assert all(x["expected_date"] >= TODAY.isoformat() and isinstance(x["p_late"], float) for x in rows)
    r = cli("predict", "--as-of", TODAY.isoformat(), "--customer", "NOBODY")
    assert r.exit_code == 1 and "not found" in r.stderr
    r = cli("predict", "--as-of", TODAY.isoformat())
    assert r.exit_code == 0 and "open invoices" in r.stdout
