"""Answering a customer's question from the knowledge base (pure): the question read from a reply, the words
worth looking up (stop words of en/de/fr/es dropped; a few questions every AR team gets — bank details, tax
forms such as the W-9, late fees, payment terms, remittance address — recognised in the four languages and
looked up by their English words too), how well an admin's answer or an SOP section holds them, and the section
of an SOP that answers. Nothing is made up: below ``MIN_HITS`` nothing matches and the collector is told so."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arcollect.assistant.search_terms import fold, words

MIN_HITS = 2          # distinct looked-up words an answer or a section must hold (1 when the question has 1)
MAX_KEYWORDS = 8
MAX_EXCERPT = 1200

_STOP = set("""
a an the and or but if of to in on at by for from with about as is are was were be been am do does did can could
would should will shall may might must have has had i we you he she it they me us our your my their this that these
those what which who whom why how when where there here please thanks thank hello hi dear regards kind best send
sent get give tell let know need want like also just any some all not no yes ok invoice invoices account
der die das ein eine einen und oder aber wenn von zu im in am an auf für mit über als ist sind war waren sein bin
tun kann können könnten würden sollen wird werden haben hat hatte ich wir sie er es ihr ihre ihr unser unsere mein
was welche wer warum wie wann wo bitte danke hallo guten tag grüße freundlichen uns mir mich noch auch nur
le la les un une des et ou mais si de du au aux en dans sur par pour avec sans est sont était être avoir ai avons
avez je nous vous il elle ils elles notre votre vos nos mon ma mes quoi quel quelle quels pourquoi comment quand
où merci bonjour cordialement pouvez pourriez svp
el la los las un una unos unas y o pero si de del al en sobre por para con sin es son era ser estar he hemos han
yo nosotros usted ustedes él ella nuestro nuestra su sus mi qué cual cuál quién por qué porqué cómo cuándo dónde
gracias hola saludos favor pueden podrían puede
""".split())
_STOP = {fold(w) for w in _STOP}
_NUMBERED = re.compile(r"\b[A-Za-z]{0,6}[-/#]?\d[\w/-]*")  # INV-2, 2026/114: numbers, not words to look up

# a question many customers ask, in their words → the words the team's documents use for it
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "bank details": (("bank details", "bank account", "banking details", "wire instructions", "iban", "swift", "bic",
                      "routing number", "account number", "bankverbindung", "kontoverbindung", "bankdaten",
                      "coordonnées bancaires", "coordonnees bancaires", "rib", "datos bancarios", "cuenta bancaria"),
                     ("bank", "iban", "details")),
    "tax form": (("w-9", "w9", "w 9", "tax form", "tax id", "taxpayer", "vat number", "steuernummer", "ust-id",
                  "umsatzsteuer", "numéro de tva", "numero de tva", "formulaire fiscal", "nif", "número fiscal",
                  "numero fiscal"), ("w-9", "tax", "form")),
    "late fee": (("late fee", "late charge", "late payment fee", "finance charge", "interest charge", "verzugszinsen",
                  "mahngebühr", "mahngebuhr", "säumniszuschlag", "pénalités de retard", "penalites de retard",
                  "frais de retard", "intérêts de retard", "recargo", "intereses de demora", "cargo por mora"),
                 ("late", "fee")),
    "payment terms": (("payment terms", "terms of payment", "zahlungsbedingungen", "zahlungsziel",
                       "conditions de paiement", "délai de paiement", "condiciones de pago", "plazo de pago"),
                      ("payment", "terms")),
    "remittance address": (("remittance address", "remit to", "where to send", "mailing address", "postanschrift",
                            "adresse de paiement", "dirección de pago"), ("remittance", "address")),
}
_QUESTION_START = re.compile(r"^\s*(what|why|how|when|where|which|who|can|could|would|do|does|is|are|will|"
                             r"was|wie|warum|wann|wo|welche|können|könnten|koennen|haben|ist|gibt|"
                             r"quel|quelle|pourquoi|comment|quand|où|pouvez|pourriez|est-ce|"
                             r"qué|que|cuál|cual|por qué|cómo|cuándo|dónde|pueden|podrían|puede)\b", re.I)


def question(text: str) -> str:
    """The question of a reply: its sentences ending in "?" or opening like a question (else its first 500
    characters)."""
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+|\n+", text or "") if s.strip()]
    asked = [s for s in sentences if s.endswith("?") or _QUESTION_START.match(s)]
    return " ".join(asked)[:500] if asked else (text or "").strip()[:500]


def asks(text: str) -> bool:
    """Whether a reply asks something (a question mark or a known question's words)."""
    return "?" in (text or "") or bool(topics(text))


def topics(text: str) -> list[str]:
    low = fold(text or "")
    return [t for t, (phrases, _) in TOPICS.items()
            if any(re.search(rf"(?<![\w]){re.escape(fold(p))}(?![\w])", low) for p in phrases)]


@dataclass(frozen=True)
class Lookup:
    keywords: tuple[str, ...]   # the words looked up, most telling first
    topics: tuple[str, ...]     # the known questions recognised

    @property
    def needed(self) -> int:
        return min(MIN_HITS, len(self.keywords)) if self.keywords else 1


def lookup(text: str) -> Lookup:
    """The words of ``text``'s question worth looking up: a known question's English words first, then the
    question's own words without stop words, numbers or one-letter words."""
    q = question(text)
    found = topics(q) or topics(text)
    keys: list[str] = [w for t in found for w in TOPICS[t][1]]
    for w in words(_NUMBERED.sub(" ", q)):
        if w not in _STOP and len(w) > 2 and not w.isdigit() and w not in keys:
            keys.append(w)
    return Lookup(tuple(keys[:MAX_KEYWORDS]), tuple(found))


def hits(look: Lookup, text: str) -> int:
    """How many distinct looked-up words ``text`` holds (a word also as the start of a longer one), a known
    question ``text`` names counting as all of its words."""
    have, low = set(words(text)), fold(text or "")
    count = sum(1 for k in look.keywords
                if any(h == k or (len(k) > 3 and h.startswith(k)) for h in have)
                or (not k.isalnum() and re.search(rf"(?<!\w){re.escape(k)}(?!\w)", low)))
    named = set(topics(text)) & set(look.topics)
    return max(count, *(len(TOPICS[t][1]) + 1 for t in named)) if named else count


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, text) of each part of a markdown document (the part before the first heading: "")."""
    out: list[tuple[str, str]] = []
    heading, lines = "", []
    for line in (markdown or "").splitlines():
        m = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
        if m:
            if "".join(lines).strip():
                out.append((heading, "\n".join(lines).strip()))
            heading, lines = m.group(1), []
        else:
            lines.append(line)
    if "".join(lines).strip():
        out.append((heading, "\n".join(lines).strip()))
    return out


def best_section(look: Lookup, markdown: str) -> tuple[int, str, str] | None:
    """(hits, heading, excerpt) of the section that answers best — None when none holds enough words."""
    best: tuple[int, str, str] | None = None
    for heading, body in sections(markdown):
        n = hits(look, f"{heading}\n{body}")
        if n >= look.needed and (best is None or n > best[0]):
            excerpt = body if len(body) <= MAX_EXCERPT else body[:MAX_EXCERPT].rsplit(" ", 1)[0] + " …"
            best = (n, heading, excerpt)
    return best
