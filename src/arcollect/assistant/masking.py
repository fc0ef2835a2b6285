"""Personal data masked before text leaves for a language model (pure): e-mail addresses, IBANs, phone
numbers and the names of the account's contacts (and the sender's) become placeholders such as ``[EMAIL_1]``;
the same masker puts the originals back into what the model answers. Invoice numbers, amounts and dates are
kept: they are what the model is asked to read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# international numbers (+49 89 …, 0049 …) and numbers after a phone label in the four languages
_PHONE = re.compile(r"(?<![\w+])((?:\+|00)\d{1,3}[\s./()-]*\d(?:[\s./()-]*\d){5,14})|"
                    r"(\b(?:tel|tél|phone|fon|fax|mobile|mobil|mob|cell|handy|móvil|telefono|teléfono|téléphone)"
                    r"[\s.:]*)(\(?\d(?:[\s./()-]*\d){5,14}(?:\s*(?:ext|x|durchwahl)\.?\s*\d{1,5})?)", re.I)
KINDS = ("EMAIL", "IBAN", "PHONE", "NAME")


@dataclass
class Masker:
    """Replaces personal data by numbered placeholders and remembers them (one masker per request)."""

    names: tuple[str, ...] = ()
    enabled: bool = True
    found: dict[str, str] = field(default_factory=dict)  # placeholder → original

    @classmethod
    def for_names(cls, names: Iterable[str | None], *, enabled: bool = True) -> "Masker":
        """A masker for these people: each full name and each of its parts of three letters or more."""
        parts: set[str] = set()
        for n in names:
            n = (n or "").strip()
            if not n or "@" in n:
                continue
            parts.add(n)
            parts.update(p for p in re.split(r"[\s,]+", n) if len(p) >= 3 and not p.isdigit())
        return cls(tuple(sorted(parts, key=lambda p: (-len(p), p))), enabled)

    def _placeholder(self, kind: str, original: str) -> str:
        for k, v in self.found.items():
            if v == original and k.startswith(f"[{kind}_"):
                return k
        key = f"[{kind}_{sum(1 for k in self.found if k.startswith(f'[{kind}_')) + 1}]"
        self.found[key] = original
        return key

    def mask(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        out = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        out = _IBAN.sub(lambda m: self._placeholder("IBAN", m.group(0)), out)
        out = _PHONE.sub(lambda m: self._placeholder("PHONE", m.group(1)) if m.group(1) else
                         m.group(2) + self._placeholder("PHONE", m.group(3)), out)
        for name in self.names:
            out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", lambda m: self._placeholder("NAME", m.group(0)), out,
                         flags=re.I)
        return out

    def unmask(self, text: str) -> str:
        for key, original in self.found.items():
            text = text.replace(key, original)
        return text

    def summary(self) -> dict[str, int]:
        """How many of each kind were masked (recorded with the result; the values themselves are not)."""
        return {kind.lower(): sum(1 for k in self.found if k.startswith(f"[{kind}_")) for kind in KINDS}
