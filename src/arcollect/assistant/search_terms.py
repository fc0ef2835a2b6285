"""What a person typed into the search box, made safe: the words and "quoted phrases" read from it (any
FTS syntax — quotes, asterisks, NEAR, AND/OR/NOT, parentheses, colons — is just text), the query strings for
SQLite FTS5 and PostgreSQL built from those words only, and the snippets with the matched words highlighted
(HTML-escaped). Pure: no database."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 12
MAX_WORD_CHARS = 64
_WORD = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"([^"]*)"')
_SPACE = re.compile(r"\s+")


def fold(s: str) -> str:
    """Lower case, accents dropped (``Müller`` → ``muller``): how both databases' indexes see a word."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).lower()


def words(s: str) -> list[str]:
    return [w[:MAX_WORD_CHARS] for w in _WORD.findall(fold(s))]


@dataclass(frozen=True)
class Query:
    terms: tuple[tuple[str, ...], ...]  # each a word, or the words of a "phrase"
    ids: tuple[str, ...]                 # what may be an invoice or customer number, as typed

    @property
    def empty(self) -> bool:
        return not self.terms

    @property
    def all_words(self) -> set[str]:
        return {w for t in self.terms for w in t}


def parse(typed: str) -> Query:
    """The terms of ``typed`` (all must match; the last word of each may be the start of a longer word)."""
    typed = (typed or "").replace("\x00", " ")[:MAX_QUERY_CHARS]
    terms: list[tuple[str, ...]] = []
    for phrase in _PHRASE.findall(typed):
        ws = tuple(words(phrase))
        if ws:
            terms.append(ws)
    rest = _PHRASE.sub(" ", typed)
    terms.extend((w,) for w in words(rest))
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    ids = []
    for chunk in [typed.strip(), *typed.split()]:
        chunk = chunk.strip(" \t\"'#*()[]{},;:!?")
        if chunk and len(chunk) <= 64 and " " not in chunk and chunk not in ids:
            ids.append(chunk)
    return Query(tuple(unique), tuple(ids[:6]))


def _prefix(word: str) -> bool:
    return len(word) >= 2


def fts5_match(q: Query) -> str:
    """An FTS5 MATCH expression of quoted strings only (words are letters and digits: nothing to escape)."""
    parts = []
    for t in q.terms:
        parts.append('"' + " ".join(t) + '"' + ("*" if _prefix(t[-1]) else ""))
    return " ".join(parts)


def pg_tsquery(q: Query) -> str:
    """A to_tsquery() text of quoted lexemes only, ``&`` between terms and ``<->`` inside a phrase."""
    parts = []
    for t in q.terms:
        lexemes = [f"'{w}'" for w in t]
        if _prefix(t[-1]):
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")" if len(lexemes) > 1 else lexemes[0])
    return " & ".join(parts)


def _matches(word: str, wanted: set[str]) -> bool:
    w = fold(word)
    return any(w == x or (_prefix(x) and w.startswith(x)) for x in wanted)


def _marked(text: str, wanted: set[str]) -> str:  # noqa: D103
    out, at = [], 0
    for m in _WORD.finditer(text):
        if _matches(m.group(), wanted):
            out.append(html.escape(text[at:m.start()]))
            out.append(f"<mark>{html.escape(m.group())}</mark>")
            at = m.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


def highlight(text: str | None, q: Query, *, width: int = 220) -> str:
    """The part of ``text`` around its first match (about ``width`` characters, … where cut), HTML-escaped,
    the matched words in ``<mark>``. No match: the start of the text."""
    flat = _SPACE.sub(" ", text or "").strip()
    if not flat:
        return ""
    wanted = q.all_words
    first = next((m.start() for m in _WORD.finditer(flat[:200_000]) if _matches(m.group(), wanted)), 0)
    start = max(0, first - width // 3)
    if start:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > first else end
    return ("…" if start else "") + _marked(flat[start:end], wanted) + ("…" if end < len(flat) else "")


def matched(text: str | None, q: Query) -> bool:
    """Whether ``text`` holds one of the query's words (which field a snippet is taken from)."""
    wanted = q.all_words
    return any(_matches(m.group(), wanted) for m in _WORD.finditer(text or ""))


def mark(text: str | None, q: Query) -> str:
    """All of ``text`` HTML-escaped, the query's words in ``<mark>`` (titles: short, never cut)."""
    return _marked(text or "", q.all_words)
