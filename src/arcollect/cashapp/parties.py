"""Who paid (pure): payer names normalised (legal forms, case, punctuation, abbreviations ignored), an index of
the customers by payer account, exact name, alias, customer number and name tokens for fuzzy look-up (rapidfuzz),
and the customer groups (a parent pays for its children)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from rapidfuzz import fuzz, process

from arcollect.cashapp.remittance import number_key
from arcollect.cashapp.shapes import Party

LEGAL_FORMS = frozenset("""gmbh ag inc incorporated ltd limited llc llp lp sa sarl sas sasu bv nv plc corp corporation co
company kg ohg kgaa ug gbr ev se srl spa sl slu oy ab as aps asa pty pte sro sp zoo cv ek mbh kft bhd lda eurl sca
sccl cie et and the""".split())
ABBREVIATIONS = {"intl": "international", "int": "international", "internat": "international", "mfg": "manufacturing",
                 "svcs": "services", "svc": "services", "serv": "services", "tech": "technologies", "techn": "technologies",
                 "technology": "technologies", "ind": "industries", "inds": "industries", "industry": "industries",
                 "bros": "brothers", "grp": "group", "gruppe": "group", "groupe": "group", "dist": "distribution",
                 "distrib": "distribution", "hldgs": "holdings", "hldg": "holdings", "holding": "holdings",
                 "mgmt": "management", "assoc": "associates", "log": "logistics", "logistik": "logistics",
                 "sys": "systems", "eng": "engineering", "engg": "engineering", "solns": "solutions", "sol": "solutions",
                 "natl": "national", "dt": "deutschland", "dtl": "deutschland", "st": "saint", "ste": "sainte"}
_PUNCT = re.compile(r"[^0-9a-z ]+")
_LEGAL_MULTI = re.compile(r"\b(?:gmbh\s*&\s*co\.?\s*kg|s\.\s?a\.\s?r\.\s?l\.|s\.\s?a\.|b\.\s?v\.|n\.\s?v\.|s\.\s?r\.\s?l\.|"
                          r"s\.\s?p\.\s?a\.|l\.\s?l\.\s?c\.|p\.\s?l\.\s?c\.|e\.\s?k\.|e\.\s?v\.)", re.I)


def normalize_name(name: str) -> str:
    """'NORDWIND Logistics Intl. GmbH & Co. KG' → 'nordwind logistics international'."""
    s = unicodedata.normalize("NFKD", name or "")
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("ß", "ss")
    s = _LEGAL_MULTI.sub(" ", s).lower().replace("&", " ")
    words = [ABBREVIATIONS.get(w, w) for w in _PUNCT.sub(" ", s.replace("'", "")).split()]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


def normalize_account(account: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (account or "").upper())


@dataclass(frozen=True)
class NameHit:
    customer_id: str
    score: float  # 0 … 100
    how: str  # "exact" | "alias" | "fuzzy"
    matched: str  # the customer's name (or alias) it was like


_BLOCK_LIMIT = 3000
_FULL_SCAN_LIMIT = 5000


class PartyIndex:
    def __init__(self, parties: Sequence[Party], *, score_cutoff: float = 88) -> None:
        self.parties: dict[str, Party] = {p.customer_id: p for p in parties}
        self.cutoff = score_cutoff
        self.by_account: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        self.by_alias: dict[str, set[str]] = {}
        self.by_number: dict[str, set[str]] = {}
        self.tokens: dict[str, list[int]] = {}
        self.choices: list[str] = []  # normalised names (and aliases) for fuzzy scoring
        self.owners: list[str] = []  # customer of each choice
        self.display: list[str] = []
        self.children: dict[str, list[str]] = {}
        for p in parties:
            if p.parent_id and p.parent_id in self.parties and p.parent_id != p.customer_id:
                self.children.setdefault(p.parent_id, []).append(p.customer_id)
            for a in p.accounts:
                if normalize_account(a):
                    self.by_account.setdefault(normalize_account(a), set()).add(p.customer_id)
            self.by_number.setdefault(p.customer_id.upper(), set()).add(p.customer_id)
            self.by_number.setdefault(number_key(p.customer_id), set()).add(p.customer_id)
            for name, table in [(p.name, self.by_name)] + [(a, self.by_alias) for a in p.aliases]:
                norm = normalize_name(name)
                if not norm:
                    continue
                table.setdefault(norm, set()).add(p.customer_id)
                i = len(self.choices)
                self.choices.append(norm)
                self.owners.append(p.customer_id)
                self.display.append(name)
                for t in set(norm.split()):
                    for block in (t, "^" + t[:4]) if len(t) > 4 else (t,):
                        self.tokens.setdefault(block, []).append(i)
        self._roots: dict[str, str] = {}
        self._cache: dict[str, list[NameHit]] = {}

    # ---- groups ----
    def root(self, cid: str) -> str:
        if cid in self._roots:
            return self._roots[cid]
        seen, cur = {cid}, cid
        while (p := self.parties.get(cur)) is not None and p.parent_id and p.parent_id in self.parties and p.parent_id not in seen:
            cur = p.parent_id
            seen.add(cur)
        self._roots[cid] = cur
        return cur

    def subtree(self, cid: str) -> list[str]:
        out, todo, seen = [], [cid], {cid}
        while todo:
            c = todo.pop()
            out.append(c)
            for ch in self.children.get(c, ()):
                if ch not in seen:
                    seen.add(ch)
                    todo.append(ch)
        return out

    def name(self, cid: str) -> str:
        p = self.parties.get(cid)
        return p.name if p else cid

    # ---- look-ups ----
    def account(self, account: str | None) -> set[str]:
        return set(self.by_account.get(normalize_account(account or ""), ())) if account else set()

    def number(self, written: str, *, exact_only: bool = False) -> set[str]:
        hits = self.by_number.get(written.strip().upper())
        if hits or exact_only:
            return set(hits or ())
        return set(self.by_number.get(number_key(written), ()))

    def names(self, payer: str | None) -> list[NameHit]:
        """Customers the payer name is like, best first (exact and alias hits score 100)."""
        norm = normalize_name(payer or "")
        if not norm:
            return []
        if norm in self._cache:
            return self._cache[norm]
        hits: dict[str, NameHit] = {}
        for cid in self.by_alias.get(norm, ()):
            hits[cid] = NameHit(cid, 100.0, "alias", payer or "")
        for cid in self.by_name.get(norm, ()):
            hits.setdefault(cid, NameHit(cid, 100.0, "exact", self.name(cid)))
        if not hits:
            for i, score in self._fuzzy(norm):
                cid = self.owners[i]
                if cid not in hits or hits[cid].score < score:
                    hits[cid] = NameHit(cid, round(score, 1), "fuzzy", self.display[i])
        out = sorted(hits.values(), key=lambda h: (-h.score, h.customer_id))[:5]
        if len(self._cache) < 200_000:
            self._cache[norm] = out
        return out

    def _fuzzy(self, norm: str) -> list[tuple[int, float]]:
        blocks: set[int] = set()
        words = norm.split()
        sized = sorted(((self.tokens.get(b, ()), b) for w in words for b in ((w, "^" + w[:4]) if len(w) > 4 else (w,))),
                       key=lambda x: len(x[0]))
        for ids, _ in sized:
            if ids and (len(ids) <= _BLOCK_LIMIT or not blocks):
                blocks.update(ids[: _BLOCK_LIMIT * 3])
        if not blocks and len(self.choices) <= _FULL_SCAN_LIMIT:
            blocks = set(range(len(self.choices)))
        if not blocks:
            return []
        pool = sorted(blocks)
        found = process.extract(norm, [self.choices[i] for i in pool], scorer=fuzz.WRatio, score_cutoff=self.cutoff,
                                limit=5)
        return [(pool[j], score) for _, score, j in found]


def group_members(index: PartyIndex, cids: Iterable[str]) -> set[str]:
    return {m for c in cids for m in index.subtree(index.root(c))}
