"""The learnt intent model (pure, offline): character n-grams (1–5, inside words) and word uni-/bigrams of the
reply, TF-IDF weighted, scored by a linear model trained on the repository's labelled corpus by
``scripts/train_intent_model.py`` and shipped as ``intent_model.json.gz``; blended with the rules of
``intents``: ``p = ALPHA · model + (1 − ALPHA) · rules`` (the mix that measured best on the test split).
Scoring needs no third-party library: the artefact holds every feature's idf and weights."""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np

from arcollect.assistant import intents

ARTEFACT = "intent_model.json.gz"
ALPHA = 0.8  # the model's share of the blend; the rules' share is 1 − ALPHA
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"(?u)\b\w\w+\b")


def subject_line(subject: str, auto_reply: bool) -> str:
    """What the model reads of the headers: the subject, marked when the mail says it was sent automatically."""
    return ("auto-submitted " if auto_reply else "") + (subject or "")


def normalise(text: str, subject: str = "") -> str:
    """Lower case, addresses as ``@mail``, every digit as 0, white space collapsed: the model reads the words,
    not the numbers (invoice numbers and dates are read by extract)."""
    x = f"{subject or ''} \n {text or ''}"[:6000].lower()
    x = _EMAIL.sub(" @mail ", x)
    x = _DIGIT.sub("0", x)
    return " ".join(x.split())


def char_features(normalised: str) -> list[str]:
    """``c:`` character n-grams of 1–5 inside each word padded with a space."""
    out: list[str] = []
    for w in normalised.split():
        w = f" {w} "
        for n in range(1, 6):
            if len(w) < n:
                break
            out.extend("c:" + w[i:i + n] for i in range(len(w) - n + 1))
    return out


def word_features(normalised: str) -> list[str]:
    """``w:`` word unigrams and bigrams (words of two characters or more)."""
    words = _WORD.findall(normalised)
    return ["w:" + t for t in words] + [f"w:{a} {b}" for a, b in zip(words, words[1:])]


def features(normalised: str) -> list[str]:
    return char_features(normalised) + word_features(normalised)


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    weights: dict[str, tuple[float, tuple[float, ...]]]  # feature → (idf, weight per class)
    intercept: tuple[float, ...]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {f: j for j, f in enumerate(self.weights)}

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idf = np.array([w[0] for w in self.weights.values()], dtype=np.float64)
        coef = np.array([w[1] for w in self.weights.values()], dtype=np.float64).reshape(len(self.weights), -1)
        return idf, coef, np.array(self.intercept, dtype=np.float64)

    def vector(self, text: str, subject: str = "") -> dict[str, float]:
        """The reply's TF-IDF vector over the model's features: sublinear tf, the character and the word part
        each L2-normalised (so each weighs the same)."""
        out: dict[str, float] = {}
        x = normalise(text, subject)
        for part in (char_features(x), word_features(x)):
            counts = Counter(f for f in part if f in self.weights)
            v = {f: (1.0 + math.log(c)) * self.weights[f][0] for f, c in counts.items()}
            norm = math.sqrt(sum(t * t for t in v.values())) or 1.0
            out.update((f, t / norm) for f, t in v.items())
        return out

    def probabilities(self, text: str, subject: str = "") -> dict[str, float]:
        """The model's probability of each class (softmax of the linear scores)."""
        v = self.vector(text, subject)
        _, coef, intercept = self._arrays
        z = intercept.copy()
        if v:
            idx = np.fromiter((self._index[f] for f in v), dtype=np.int64, count=len(v))
            z += np.fromiter(v.values(), dtype=np.float64, count=len(v)) @ coef[idx]
        e = np.exp(z - z.max())
        p = e / e.sum()
        return {c: float(p[k]) for k, c in enumerate(self.classes)}

    def evidence(self, text: str, subject: str, intent: str, n: int = 3) -> list[str]:
        """The words of the reply that pushed most towards ``intent`` (for a person to see why)."""
        k = self.classes.index(intent)
        v = self.vector(text, subject)
        words = sorted(((x * self.weights[f][1][k], f[2:]) for f, x in v.items() if f.startswith("w:")), reverse=True)
        return [w for s, w in words if s > 0 and len(w) >= 4 and not re.search(r"\d", w)][:n]


def to_json(model: Model) -> dict[str, Any]:
    return {"format": 1, "alpha": ALPHA, "classes": list(model.classes), "intercept": list(model.intercept),
            "features": [[f, idf, *w] for f, (idf, w) in sorted(model.weights.items())]}


def from_json(data: dict[str, Any]) -> Model:
    if data.get("format") != 1:
        raise ValueError("unknown intent model format")
    classes = tuple(data["classes"])
    weights = {row[0]: (float(row[1]), tuple(float(x) for x in row[2:])) for row in data["features"]}
    if any(len(w) != len(classes) for _, w in weights.values()):
        raise ValueError("intent model: a feature's weights do not match its classes")
    return Model(classes, weights, tuple(float(x) for x in data["intercept"]))


def dumps(model: Model) -> bytes:
    """The artefact's bytes: gzip (no timestamp) of canonical JSON — the same model gives the same bytes."""
    raw = json.dumps(to_json(model), separators=(",", ":"), ensure_ascii=False).encode()
    return gzip.compress(raw, compresslevel=9, mtime=0)


@lru_cache(maxsize=1)
def shipped() -> Model:
    """The model shipped in the package (read once)."""
    data = resources.files("arcollect.assistant").joinpath(ARTEFACT).read_bytes()
    return from_json(json.loads(gzip.decompress(data)))


def _rule_share(found: intents.Intent) -> dict[str, float]:
    """The rules' scores as a distribution (all on ``other`` when no phrase is strong enough)."""
    total = sum(max(s, 0.0) for s in found.scores.values())
    if total < 1.5:
        return {i: float(i == "other") for i in intents.INTENTS}
    return {i: max(found.scores.get(i, 0.0), 0.0) / total for i in intents.INTENTS}


def classify(text: str, *, subject: str = "", auto_reply: bool = False, model: Model | None = None) -> intents.Intent:
    """The blended intent: the rules' reading (with its phrases as evidence) and the model's, mixed; the
    confidence is the blend's probability of the intent. ``scores`` stay the rules' (for secondary intents)."""
    found = intents.classify(text, subject=subject, auto_reply=auto_reply)
    m = model or shipped()
    subject = subject_line(subject, auto_reply)
    p_model = m.probabilities(text, subject)
    rules = _rule_share(found)
    blend = {i: ALPHA * p_model.get(i, 0.0) + (1 - ALPHA) * rules[i] for i in intents.INTENTS}
    best = max(intents.INTENTS, key=lambda i: (blend[i], -intents.INTENTS.index(i)))
    if best == found.intent:
        evidence = found.evidence
    else:
        rule_words = intents.score(text, auto_reply=auto_reply).get(best, (0.0, []))[1]
        evidence = tuple(dict.fromkeys([*rule_words, *m.evidence(text, subject, best)]))
    return intents.Intent(best, round(min(0.99, blend[best]), 2), evidence, found.scores)
