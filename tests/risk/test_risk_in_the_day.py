"""The prediction where collectors work: the worklist's risk part, the account's outlook in plain words,
the scheduled training."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from arcollect.audit import AuditEntry
from arcollect.ledger import service as ledger
from arcollect.risk import service as risk
from arcollect.risk.models import PredictionModel
from arcollect.worklist import service as worklists
from tests.conftest import write_csv
from tests.risk.book import TODAY, load_habits


def _old_prompt_invoice(ctx, tmp_path) -> None:  # noqa: ANN001
    """PROMPT also owes one invoice 53 days past due (600.00): more overdue money than LATE's few weeks."""
    path = write_csv(tmp_path / "old.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                     "PROMPT-OLD,PROMPT,2026-09-01,2026-10-01,600.00")
    assert not ledger.import_file(ctx, kind="invoices", path=path).errors


def _order(ctx) -> list[tuple[str, float]]:  # noqa: ANN001
    worklists.run(ctx, as_of=TODAY)
    items = worklists.worklist(ctx, as_of=TODAY, ensure=False)["items"]
    return [(i["customer_id"], i["parts"]["risk"]) for i in items]


def test_with_a_trained_model_the_habitual_late_payer_comes_first(ctx, tmp_path):
    """Without a model both accounts get the unknown rating's 5 risk points, and PROMPT (600.00 53 days past
    due) ranks above LATE (a few invoices up to 3 weeks past due). Once a model is trained, the risk part is
    20 × the amount-weighted p_late of the invoices not yet due: LATE's (it always pays 20 days late) near 20,
    PROMPT's (it pays on the due date) near 0 — LATE now comes first."""
    load_habits(ctx, tmp_path)
    _old_prompt_invoice(ctx, tmp_path)
    before = _order(ctx)
    assert [c for c, _ in before] == ["PROMPT", "LATE"] and {r for _, r in before} == {5.0}
    risk.train(ctx, as_of=TODAY)
    after = dict(_order(ctx))
    assert list(after) == ["LATE", "PROMPT"]
    assert after["LATE"] > 15 > 5 > after["PROMPT"]
    chances = risk.late_chances(ctx, as_of=TODAY)
    assert chances is not None and chances["PROMPT-OLD"] == 1.0  # past due: late by definition, not counted


def test_a_single_account_is_predicted_as_within_the_whole_book(ctx, tmp_path):
    """One customer's predictions read only its part of the book (its invoices, its segment's latest
    settlements) and agree with the whole book's."""
    load_habits(ctx, tmp_path)
    risk.train(ctx, as_of=TODAY)
    whole = {r["invoice_id"]: r for r in risk.predict(ctx, as_of=TODAY)}
    for customer in ("LATE", "PROMPT"):
        for r in risk.predict(ctx, as_of=TODAY, customer_id=customer):
            assert (r["expected_date"], r["p_late"]) == (whole[r["invoice_id"]]["expected_date"],
                                                         whole[r["invoice_id"]]["p_late"])


def test_the_account_outlook_explains_in_plain_words(ctx, tmp_path):
    """Each open invoice has its expected date and chance of paying late; the account's factors are sentences
    ("pays 20 days late on average over the last 24 invoices"), not feature names."""
    load_habits(ctx, tmp_path)
    assert risk.account_outlook(ctx, customer_id="LATE", as_of=TODAY) is None  # no model: nothing, no error
    risk.train(ctx, as_of=TODAY)
    got = risk.account_outlook(ctx, customer_id="LATE", as_of=TODAY)
    new = got["invoices"]["LATE-NEW"]
    assert dt.date.fromisoformat(new["expected_date"]) >= dt.date(2026, 12, 30) and new["p_late"] > 0.5
    texts = [f["text"] for f in got["factors"]]
    assert texts and all("_" not in t for t in texts)
    assert "pays 20 days late on average over the last 24 invoices" in texts, texts
    assert all(f["effect"].startswith("about ") for f in got["factors"])


def test_the_daily_run_retrains_when_the_model_is_missing_or_old(ctx, tmp_path):
    """No model: the first run trains version 1 and audits it with its metrics; a run 3 days later keeps it;
    8 days later (older than the 7-day setting) a version 2 is trained."""
    now = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)
    with ctx.unit_of_work() as session:
        assert risk.retrain_if_due(session, now)["trained"] is False  # an empty ledger: too little history
    load_habits(ctx, tmp_path)
    with ctx.unit_of_work() as session:
        first = risk.retrain_if_due(session, now, every_days=7)
    assert first["trained"] and first["version"] == 1 and first["metrics"]["model"]["mae"] is not None
    with ctx.unit_of_work() as session:
        kept = risk.retrain_if_due(session, now + dt.timedelta(days=3), every_days=7)
    assert not kept["trained"] and kept["version"] == 1
    with ctx.unit_of_work() as session:
        again = risk.retrain_if_due(session, now + dt.timedelta(days=8), every_days=7)
    assert again["trained"] and again["version"] == 2 and again["as_of"] == "2026-12-01"
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PredictionModel)) == 2
        audits = session.scalars(select(AuditEntry).where(AuditEntry.entity == "prediction_model")).all()
    assert [a.entity_key for a in audits] == ["1", "2"]
    assert all(a.actor == "scheduler" and a.changes["metrics"]["model"]["mae"] is not None for a in audits)


def test_the_worklist_command_of_the_day_trains_the_missing_model(ctx, cli, tmp_path):
    """`arcollect worklist` (the daily run, from cron) trains version 1 when none is stored and says so on
    stderr (its JSON stays clean); run again the same day, it keeps it."""
    load_habits(ctx, tmp_path)
    r = cli("worklist", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["as_of"] == TODAY.isoformat()
    assert risk.latest_model(ctx)["version"] == 1
    assert cli("worklist", "--format", "json").exit_code == 0 and risk.latest_model(ctx)["version"] == 1
