"""The learnt intent model: the shipped artefact is exactly what the training script rebuilds from the corpus,
and it reads phrasings the rules alone miss."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from arcollect.assistant import intents, model

ROOT = Path(__file__).resolve().parents[2]


def _script():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("train_intent_model", ROOT / "scripts" / "train_intent_model.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_intent_model_equals_a_rebuild_from_the_corpus() -> None:
    """Byte for byte: nobody can ship a model the repository's corpus and script do not produce."""
    shipped = (ROOT / "src" / "arcollect" / "assistant" / model.ARTEFACT).read_bytes()
    assert _script().rebuild() == shipped


def test_model_reads_a_promise_the_rules_do_not_know() -> None:
    """"on the list for Friday" names no phrase of the lexicon; the blend still reads a promise, with words
    of the reply as its evidence."""
    text = "Good news: INV-1001 is on the list for Friday."
    assert intents.classify(text).intent == "other"
    found = model.classify(text)
    assert found.intent == "promise_to_pay" and 0 < found.confidence <= 0.99
    assert found.evidence and all(w.lower() in text.lower() for w in found.evidence)


def test_model_probabilities_sum_to_one_and_cover_every_intent() -> None:
    p = model.shipped().probabilities("Der Preis auf Rechnung 4711 ist falsch.")
    assert set(p) == set(intents.INTENTS) and abs(sum(p.values()) - 1) < 1e-9
    assert max(p, key=p.get) == "dispute"
