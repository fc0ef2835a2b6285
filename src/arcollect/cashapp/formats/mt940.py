"""SWIFT MT940 (statement) and MT942 (interim report): a tolerant reader of its own.

- Statements start at each ``:20:`` (several per file); ``{1:…}{2:…}{4:`` blocks and ``-}`` trailers are
  skipped. ``:25:`` account, ``:28C:`` number, ``:60F:/:60M:`` opening, ``:62F:/:62M:`` closing, ``:90D:/:90C:``
  MT942 totals.
- ``:61:`` value date, entry date, C/D/RC/RD mark, amount, code, customer reference, ``//`` bank reference
  (the line's reference) and supplementary details; an impossible day (30 February) is the month's last.
- ``:86:`` as German ``?20…?29`` sub-fields (``?32/?33`` name, ``?31`` account, ``EREF+``), as Dutch
  ``/EREF/ /REMI/ /NAME/ /IBAN/ /CNTP/`` keys, or free text kept verbatim.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from arcollect.cashapp.formats._common import Problems, date_of, normalise_account
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.money import is_currency

_TAG = re.compile(r"(?a)^:(\d{2}[A-Z]?|NS):(.*)$")
_BAD_TAG = re.compile(r"(?a)^:(\d{3,}[A-Z]?|\d[A-Z]?):")
_BLOCK = re.compile(r"(?a)^\{[1-5]:(\{[^}]*\}|[^{}])*\}?")
_BALANCE = re.compile(r"(?a)^\s*([CD])\s*(\d{6})\s*([A-Z]{3})?\s*(\d[\d,.]*)\s*$")
_LINE61 = re.compile(
    r"^(?P<vd>\d{6})(?P<ed>\d{4}|\s{4})?\s?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z](?=\d))?\s?(?P<amount>\d[\d,.]*)"
    r"(?P<code>[A-Z][A-Z0-9]{3})?(?P<cref>.*?)(?://(?P<bref>.*))?$")
_TOTAL = re.compile(r"(?a)^\s*(\d{1,5})?\s*([A-Z]{3})\s*(\d[\d,.]*)\s*$")
_CONTROL = re.compile(r"(?a)[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SLASH_KEYS = ("EREF", "PREF", "MARF", "CSID", "CNTP", "REMI", "NAME", "IBAN", "BIC", "ADDR", "ORDP", "BENM",
               "TRTP", "RTRN", "ISDT", "CREF", "ULTC", "ULTD", "ULTB", "PURP", "SVCL", "EXCH", "CHGS", "FEES",
               "OCMT", "BUSP", "ACCW", "BENF", "ID", "CDTRREF", "CDTRREFTP")
_SLASH_RE = re.compile(r"(?a)/(" + "|".join(sorted(_SLASH_KEYS, key=len, reverse=True)) + r")/")
_NOT_REFS = {"NONREF", "NOTPROVIDED", "EREF", "PREF", "MARF", "KREF"}
_SEPA_KEYS = re.compile(r"(?a)(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+")


@dataclass
class _Field:
    tag: str
    value: str
    line: int


@dataclass
class _Statement:
    fields: list[_Field] = field(default_factory=list)


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _CONTROL.sub(" ", text)


def _fields(text: str, problems: Problems) -> list[_Statement]:
    statements: list[_Statement] = []
    current: _Field | None = None
    all_lines = text.splitlines()
    for number, raw in enumerate(all_lines, start=1):
        line = raw.rstrip()
        while line.startswith("{"):
            if line.startswith("{4:"):
                line = line[3:]
                break
            stripped = _BLOCK.sub("", line, count=1)
            if stripped == line:
                break
            line = stripped
        following = all_lines[number].strip() if number < len(all_lines) else ""
        if line == "-" and current is not None and following and following[0] not in ":{-":
            current.value += "\n" + line  # a "-" inside a wrapped :86: text, not the end of the message
            continue
        if line in ("-", "-}", "}") or line.startswith("-}"):
            current = None
            continue
        m = _TAG.match(line)
        if m:
            tag = m.group(1)
            if tag == "20" or not statements:
                statements.append(_Statement())
            current = _Field(tag, m.group(2), number)
            statements[-1].fields.append(current)
        elif re.fullmatch(r":94[02]:", line.strip()) and not statements:
            continue  # Rabobank exports start with a ":940:" format line
        elif _BAD_TAG.match(line):
            problems.add(f"line {number}", f"unknown tag {line.split(':')[1][:10]!r}")
        elif current is not None:
            current.value += "\n" + line
    return statements


def _amount(text: str) -> Decimal | None:
    text = text.strip()
    if re.fullmatch(r"(?a)\d{1,20},\d*", text):
        whole, frac = text.split(",")
        return Decimal(f"{whole}.{frac or 0}")
    if re.fullmatch(r"(?a)\d{1,20}(\.\d*)?", text):
        return Decimal(text.rstrip(".") or "0")
    return None


def _year(yy: str) -> int:
    return 2000 + int(yy) if int(yy) < 80 else 1900 + int(yy)


def _yymmdd(text: str) -> dt.date | None:
    return date_of(_year(text[:2]), int(text[2:4]), int(text[4:6]), clamp=True)


def parse(data: bytes, filename: str) -> list[ParsedStatement]:
    problems = Problems(filename)
    text = re.sub(r"(?am)^:\r?\n(?=(\d{2}[A-Z]?|NS):)", ":", _text(data))  # a tag broken after its ":"
    header_942 = bool(re.search(r"\{2:[IO]942", text[:200]))
    result: list[ParsedStatement] = []
    for stmt in _fields(text, problems):
        parsed = _statement(stmt, header_942, problems)
        if parsed is not None:
            result.append(parsed)
    problems.raise_if_any("MT940 file")
    return result


def _balance(f: _Field, problems: Problems) -> tuple[Decimal, dt.date | None, str | None] | None:
    m = _BALANCE.match(f.value.split("\n")[0])
    value = _amount(m.group(4)) if m else None
    if m is None or value is None:
        problems.add(f"line {f.line}", f":{f.tag}: {f.value[:40]!r} is not a balance (C/D, YYMMDD, currency, amount)")
        return None
    return (-value if m.group(1) == "D" else value), _yymmdd(m.group(2)), m.group(3)


def _statement(stmt: _Statement, header_942: bool, problems: Problems) -> ParsedStatement | None:
    tags = {f.tag for f in stmt.fields}
    first: dict[str, _Field] = {}
    for f in stmt.fields:
        first.setdefault(f.tag, f)
    opening = closing = None
    currency: str | None = None
    stated = {"90C": None, "90D": None}
    lines: list[dict] = []
    for f in stmt.fields:
        if f.tag in ("60F", "60M", "62F", "62M"):
            bal = _balance(f, problems)
            if bal is None:
                continue
            currency = currency or bal[2]
            if f.tag.startswith("60") and opening is None:
                opening = bal
            elif f.tag.startswith("62"):
                closing = bal
        elif f.tag in ("90C", "90D"):
            m = _TOTAL.match(f.value.split("\n")[0])
            if m and _amount(m.group(3)) is not None:
                stated[f.tag] = _amount(m.group(3))
                currency = currency or m.group(2)
        elif f.tag == "34F":
            m = re.match(r"^([A-Z]{3})", f.value)
            currency = currency or (m.group(1) if m else None)
        elif f.tag == "61":
            line = _line61(f, problems)
            if line is not None:
                lines.append(line)
        elif f.tag in ("86", "NS") and lines:
            lines[-1]["details"].append(f.value)
    account_raw = first["25"].value.split("\n")[0].strip() if "25" in first else ""
    account, account_ccy = _account(account_raw)
    currency = currency or account_ccy
    if not lines and opening is None and closing is None and not account:
        return None  # a header, an empty block, non-SWIFT lines: nothing to read
    where = f"line {stmt.fields[0].line}"
    if not account:
        problems.add(where, "the statement has no :25: account identification")
    if not currency or not is_currency(currency):
        problems.add(where, f"the statement has no known currency ({currency or 'none'})")
        currency = currency or ""
    default_date = _date13(first.get("13D") or first.get("13"))
    number = first["28C"].value if "28C" in first else first["28"].value if "28" in first else ""
    number = number.split("\n")[0].strip()
    ident = first["20"].value.split("\n")[0].strip() if "20" in first else ""
    parsed_lines = tuple(_parsed(ln, currency) for ln in lines)
    is_942 = header_942 or "34F" in tags or ("60F" not in tags and "60M" not in tags and bool(tags & {"90C", "90D", "13D"}))
    return ParsedStatement(
        format="mt942" if is_942 else "mt940", account=account, currency=currency, lines=parsed_lines,
        statement_id=(f"{ident}/{number}" if number else ident) or None,
        opening=opening[0] if opening else None, closing=closing[0] if closing else None,
        opening_date=opening[1] if opening else default_date, closing_date=closing[1] if closing else default_date,
        stated_credits=stated["90C"], stated_debits=stated["90D"],
    )


def _date13(f: _Field | None) -> dt.date | None:
    m = re.match(r"(?a)^\s*(\d{6})", f.value) if f else None
    return _yymmdd(m.group(1)) if m else None


def _account(raw: str) -> tuple[str, str | None]:
    """The :25: account without a trailing currency code ("NL77INGB0574908765EUR" → IBAN, "EUR")."""
    m = re.match(r"^(.*?[0-9A-Za-z.])\s*/?([A-Z]{3})$", raw)
    if m and is_currency(m.group(2)) and re.search(r"(?a)\d", m.group(1)):
        candidate = normalise_account(m.group(1)) or m.group(1)
        if candidate != m.group(1) or re.search(r"(?a)[\d.]$", m.group(1)):
            return candidate, m.group(2)
    return normalise_account(raw) or raw, None


def _line61(f: _Field, problems: Problems) -> dict | None:
    head, _, rest = f.value.partition("\n")
    m = _LINE61.match(head.strip())
    if m is None and rest:  # the amount on the next line ("…CR" / "30,00N062NONREF")
        second, _, rest2 = rest.partition("\n")
        m = _LINE61.match(head.strip() + second.strip())
        head, rest = (head + second, rest2) if m else (head, rest)
    amount = _amount(m.group("amount")) if m else None
    value_date = _yymmdd(m.group("vd")) if m else None
    if m is None or amount is None or value_date is None:
        problems.add(f"line {f.line}", f":61: {head[:50]!r} is not a statement line (YYMMDD[MMDD] C/D amount code)")
        return None
    booking = value_date
    ed = (m.group("ed") or "").strip()
    if ed:
        month, day = int(ed[:2]), int(ed[2:])
        year = value_date.year + (1 if value_date.month - month > 6 else -1 if month - value_date.month > 6 else 0)
        booking = date_of(year, month, day, clamp=True) or value_date
    mark = m.group("mark")
    negative = mark in ("D", "ED", "RC")
    return {"booking": booking, "value": value_date, "amount": -amount if negative else amount,
            "code": m.group("code"), "bref": (m.group("bref") or "").strip() or None,
            "cref": (m.group("cref") or "").strip(), "supplementary": rest.strip(),
            "reversal": mark in ("RC", "RD"), "line": f.line, "details": []}


def _parsed(ln: dict, currency: str) -> ParsedLine:
    name = account = bic = e2e = None
    texts: list[str] = []
    for detail in ln["details"]:
        info = details(detail)
        name, account, bic = name or info["name"], account or info["account"], bic or info["bic"]
        e2e = e2e or info["end_to_end_id"]
        texts.extend(info["remittance"])
    if ln["supplementary"]:
        texts.append(ln["supplementary"])
    cref = ln["cref"]
    return ParsedLine(
        booking_date=ln["booking"], amount=ln["amount"], currency=currency, reference=ln["bref"],
        value_date=ln["value"], payer_name=name, payer_account=account, payer_bic=bic,
        end_to_end_id=e2e or (cref if cref and cref.upper() not in _NOT_REFS else None), bank_code=ln["code"],
        remittance=tuple(t for t in texts if t), location=f"line {ln['line']}", reversal=ln["reversal"],
    )


def details(text: str) -> dict:
    """The parts of an :86: (or :NS:) text: name, account, bic, end_to_end_id and remittance texts."""
    info: dict = {"name": None, "account": None, "bic": None, "end_to_end_id": None, "remittance": []}
    flat = "".join(part.rstrip("\r") for part in text.split("\n"))
    if re.match(r"(?a)^\s*\d{3}\s*\?", flat) or "?20" in flat:
        parts = re.split(r"(?a)\?(\d{2})", flat)
        sub: dict[str, str] = {}
        for code, value in zip(parts[1::2], parts[2::2]):
            sub[code] = sub.get(code, "") + value
        chunks = [sub[f"{n}"] for n in [*range(20, 30), *range(60, 64)] if f"{n}" in sub]
        # a sub-field shorter than its 27 characters ends a line of the purpose: keep the word boundary
        purpose = "".join(c + ("" if len(c) >= 27 else "\x00") for c in chunks).rstrip("\x00")
        info["name"] = ("".join(sub.get(c, "") for c in ("32", "33")).strip()) or None
        info["account"] = normalise_account(sub.get("31"))
        info["bic"] = (sub.get("30") or "").strip() or None
        keys = list(_SEPA_KEYS.finditer(purpose))
        for i, k in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else len(purpose)
            value = purpose[k.end():end].split("\x00")[0].strip()
            if k.group(1) == "EREF" and value and value.upper() != "NOTPROVIDED":
                info["end_to_end_id"] = value
        if purpose.strip():
            info["remittance"].append(purpose.replace("\x00", " ").strip())
        return info
    keys = list(_SLASH_RE.finditer(flat))
    if keys and keys[0].start() <= 1:
        values: dict[str, str] = {}
        for i, k in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else len(flat)
            values.setdefault(k.group(1), flat[k.end():end])
        cntp = [p.strip() for p in values.get("CNTP", "").split("/")]
        info["account"] = normalise_account(values.get("IBAN") or (cntp[0] if cntp and cntp[0] else None))
        info["bic"] = (values.get("BIC") or (cntp[1] if len(cntp) > 1 else "")).strip("/ ") or None
        name = values.get("NAME") or (cntp[2] if len(cntp) > 2 else "")
        info["name"] = name.strip("/ ") or None
        eref = values.get("EREF", "").strip("/ ")
        info["end_to_end_id"] = eref if eref and eref.upper() != "NOTPROVIDED" else None
        remi = re.sub(r"^(USTD//|STRD/[A-Z]*/)", "", values.get("REMI", "")).strip().rstrip("/").strip()
        info["remittance"].append(remi or flat.strip())
        return info
    verbatim = "\n".join(part.rstrip() for part in text.split("\n")).strip()
    if verbatim:
        info["remittance"].append(verbatim)
    return info
