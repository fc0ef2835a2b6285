"""The corpus splits the intent model is trained and judged on (seeded, deterministic):
``train`` = corpus.build() (the lexicon's templates) + phrasings.TRAIN; ``test`` = corpus.build_heldout() +
phrasings.TEST; ``blind`` = corpus.build_blind() + phrasings.BLIND. Each hand-written phrasing is rendered
``per`` times with the noise of real replies (greetings, quoted reminders, signatures, HTML, typos, invoice
spellings) and English ones alternately in UK and US date order."""

from __future__ import annotations

import random

from tests.assistant import phrasings
from tests.assistant.corpus import INTENTS, Sample, _one, build, build_blind, build_heldout


def render(table: dict[str, dict[str, list[str]]], *, name: str, seed: int, per: int = 2) -> list[Sample]:
    rng = random.Random(seed)
    out: list[Sample] = []
    for lang in ("en", "de", "fr", "es"):
        for intent in INTENTS:
            for k, (reason, text) in enumerate(phrasings.split(table, intent, lang)):
                for r in range(per):
                    as_lang = "en_us" if lang == "en" and r % 2 else lang
                    out.append(_one(rng, f"{name}-{lang}-{intent}-{k:02d}-{r}", as_lang, intent, reason,
                                    split=name, template=text))
    return out


def train() -> list[Sample]:
    return build() + render(phrasings.TRAIN, name="train", seed=1901)


def test() -> list[Sample]:
    return build_heldout() + render(phrasings.TEST, name="test", seed=1902)


def blind() -> list[Sample]:
    return build_blind() + render(phrasings.BLIND, name="blind", seed=1903)
