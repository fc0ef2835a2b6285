"""Payment prediction (pure, no database): learn days late from settled invoices, predict open ones.

Two LightGBM models on the features of ``risk.features``: a regressor of days late (L1 loss: the median,
what MAE measures) and a classifier of 'paid after its due date'. ``expected_date`` = due date + predicted
days late, never before the date of the prediction; ``p_late`` is 1.0 for an invoice already past due.
Each prediction is explained by its top factors: the features' contributions in days (SHAP values of the
tree model, which add up to the prediction).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import lightgbm as lgb
import numpy as np

from arcollect.risk import features as F

MODEL_FORMAT = 1
# One thread: on a shared 2-CPU machine LightGBM's two OpenMP threads spin-wait for each other, and a
# 300-round fit of 83k examples took 232 s wall (39 s CPU) against 15 s (1.8 s CPU) with one (benchmarks/prediction.py).
THREADS = 1
REGRESSOR = {"objective": "l1", "learning_rate": 0.03, "num_leaves": 7, "min_data_in_leaf": 40,
             "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0,
             "num_threads": THREADS, "verbose": -1, "seed": 7, "deterministic": True, "force_row_wise": True}
CLASSIFIER = {**REGRESSOR, "objective": "binary"}
ROUNDS = 300
MAX_TRAINING_ROWS = 600_000  # the latest examples when a book has more


@dataclass
class Model:
    regressor: lgb.Booster
    classifier: lgb.Booster | None
    residuals: tuple[float, float]  # 25th and 75th percentile of (actual − predicted) days on held-out data
    trained_rows: int

    def dump(self) -> bytes:
        return json.dumps({"format": MODEL_FORMAT, "regressor": self.regressor.model_to_string(),
                           "classifier": None if self.classifier is None else self.classifier.model_to_string(),
                           "residuals": list(self.residuals), "trained_rows": self.trained_rows,
                           "features": list(F.NAMES)}).encode()

    @classmethod
    def load(cls, blob: bytes) -> "Model":
        data = json.loads(blob)
        if data.get("format") != MODEL_FORMAT or data.get("features") != list(F.NAMES):
            raise ValueError("the stored model was trained on other features: train it again")
        clf = data["classifier"]
        return cls(lgb.Booster(model_str=data["regressor"]), None if clf is None else lgb.Booster(model_str=clf),
                   tuple(data["residuals"]), data["trained_rows"])  # type: ignore[arg-type]


@dataclass(frozen=True)
class Prediction:
    key: str
    days_late: float
    expected_date: dt.date
    p_late: float
    factors: list[dict[str, Any]]


def _fit(x: np.ndarray, y: np.ndarray, params: dict[str, Any], rounds: int) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, feature_name=list(F.NAMES), free_raw_data=True,
                       params={"verbose": -1, "min_data_in_bin": 3})
    return lgb.train(params, data, num_boost_round=rounds)


def _examples(history: F.History, rows: Iterable[F.InvoiceRow], cut: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shots = F.snapshots(rows, cut)
    shots.sort(key=lambda s: s[1])
    shots = shots[-MAX_TRAINING_ROWS:]
    x = np.asarray(F.matrix(history, ((r, seen) for r, seen, _ in shots)), dtype=np.float64)
    y = np.asarray([late for _, _, late in shots], dtype=np.float64)
    not_yet_due = np.asarray([seen <= r.due_date for r, seen, _ in shots], dtype=bool)
    return x.reshape(len(shots), len(F.NAMES)), y, not_yet_due


def train(history: F.History, rows: Sequence[F.InvoiceRow], *, cut: dt.date, rounds: int = ROUNDS,
          residuals: tuple[float, float] | None = None) -> Model:
    """Fit on the invoices settled before the cut, each seen as it was known then."""
    x, y, fresh = _examples(history, rows, cut)
    if len(y) < 20:
        raise ValueError(f"too little history to learn from: {len(y)} settled invoices before {cut.isoformat()}")
    regressor = _fit(x, y, REGRESSOR, rounds)
    classifier = None
    labels = (y[fresh] > 0).astype(np.float64)
    if fresh.sum() >= 20 and 0 < labels.sum() < len(labels):
        classifier = _fit(x[fresh], labels, CLASSIFIER, rounds // 2)
    if residuals is None:
        err = y - regressor.predict(x, num_threads=THREADS)
        residuals = (float(np.percentile(err, 25)), float(np.percentile(err, 75)))
    return Model(regressor, classifier, residuals, int(len(y)))


def fit_and_measure(history: F.History, rows: Sequence[F.InvoiceRow], *, as_of: dt.date,
                    holdout: float = 0.2) -> tuple[Model, dict[str, Any]]:
    """Measure on a time split inside the history, then fit on all of it.

    The validation cut leaves the latest ``holdout`` share of settlements out: a first model learns from
    what was settled before the cut and is measured on the invoices issued from the cut on (each seen on
    its issue date); its error quartiles become the stored model's band. The stored model then learns
    from everything settled before ``as_of``."""
    settled = sorted(r.settled_on for r in rows if r.settled_on is not None and r.settled_on < as_of)
    if len(settled) < 40:
        raise ValueError(f"too little history to learn from: {len(settled)} settled invoices before {as_of.isoformat()}")
    cut = settled[int(len(settled) * (1 - holdout))]
    first = train(history, rows, cut=cut, residuals=(0.0, 0.0))
    tests = [(r, r.issue_date) for r in rows if r.issue_date >= cut and r.settled_on is not None
             and r.settled_on < as_of]
    metrics = evaluate(first, history, tests)
    metrics["cut"] = cut.isoformat()
    residuals = (0.0, 0.0)
    if tests:
        x = np.asarray(F.matrix(history, tests), dtype=np.float64).reshape(len(tests), len(F.NAMES))
        err = np.asarray([r.days_late for r, _ in tests], dtype=np.float64) - first.regressor.predict(x, num_threads=THREADS)
        residuals = (float(np.percentile(err, 25)), float(np.percentile(err, 75)))
    final = train(history, rows, cut=as_of, residuals=residuals)
    metrics["trained_rows"] = final.trained_rows
    metrics["residuals"] = [round(v, 1) for v in residuals]
    return final, metrics


def _factors(contrib: np.ndarray, values: np.ndarray, top: int) -> list[dict[str, Any]]:
    order = np.argsort(-np.abs(contrib[:-1]))[:top]
    out = []
    for i in order:
        if abs(contrib[i]) < 0.05:
            continue
        v = values[i]
        out.append({"feature": F.NAMES[i], "label": F.LABELS[F.NAMES[i]],
                    "value": None if math.isnan(v) else round(float(v), 2), "days": round(float(contrib[i]), 1)})
    return out


def predict(model: Model, history: F.History, rows: Sequence[F.InvoiceRow], as_of: dt.date, *,
            explain: int = 3) -> list[Prediction]:
    """Predictions for invoices open on the date, seen with what was known then."""
    if not rows:
        return []
    x = np.asarray(F.matrix(history, ((r, as_of) for r in rows)), dtype=np.float64).reshape(len(rows), len(F.NAMES))
    days = model.regressor.predict(x, num_threads=THREADS)
    p = model.classifier.predict(x, num_threads=THREADS) if model.classifier is not None else np.full(len(rows), np.nan)
    contrib = model.regressor.predict(x, pred_contrib=True, num_threads=THREADS) if explain else None
    out = []
    for i, r in enumerate(rows):
        late = float(days[i])
        expected = max(as_of, r.due_date + dt.timedelta(days=int(round(late))))
        if as_of > r.due_date:
            p_late = 1.0
        elif math.isnan(p[i]):
            p_late = 1.0 if late > 0 else 0.0
        else:
            p_late = float(p[i])
        factors = _factors(contrib[i], x[i], explain) if contrib is not None else []
        out.append(Prediction(r.key, round(late, 1), expected, round(p_late, 3), factors))
    return out


def evaluate(model: Model, history: F.History, tests: Sequence[tuple[F.InvoiceRow, dt.date]]) -> dict[str, Any]:
    """MAE and share within ±3/±7 days of the settled date, for the model and the two baselines
    (the due date; the due date plus the customer's mean days late as known on the date)."""
    if not tests:
        return {"n": 0}
    x = np.asarray(F.matrix(history, tests), dtype=np.float64).reshape(len(tests), len(F.NAMES))
    raw = model.regressor.predict(x, num_threads=THREADS)
    actual, model_days, due_days, mean_days = [], [], [], []
    for (r, seen), late, hist_mean in zip(tests, raw, x[:, F.NAMES.index("hist_mean")]):
        settled = r.settled_on
        assert settled is not None
        floor = (seen - r.due_date).days  # a prediction is never before the date it is made
        actual.append((settled - r.due_date).days)
        model_days.append(max(floor, round(float(late))))
        due_days.append(max(floor, 0))
        mean_days.append(max(floor, round(0.0 if math.isnan(hist_mean) else float(hist_mean))))
    a = np.asarray(actual, dtype=np.float64)

    def score(pred: list[int]) -> dict[str, float]:
        err = np.abs(np.asarray(pred, dtype=np.float64) - a)
        return {"mae": round(float(err.mean()), 2), "within_3": round(float((err <= 3).mean() * 100), 1),
                "within_7": round(float((err <= 7).mean() * 100), 1)}

    return {"n": len(tests), "model": score(model_days), "due_date": score(due_days),
            "customer_mean": score(mean_days)}
