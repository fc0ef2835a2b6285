"""BAI2 (Cash Management Balance Reporting, version 2): a tolerant reader of 01/02/03/16/88/49/98/99 records.

- 88 continues the record before it: the fields of a 03/49/98/99, the text of a 16 (each 88 text is kept).
- The "/" terminator is optional; amounts are in minor units of the 03 (else 02) currency, USD when neither
  says one. Funds types S, V and D carry extra fields (V: the value date).
- 49, 98 and 99 control totals and record counts are checked: a disagreement names the trailer's line.
- Credits are type codes 100–399, debits 400–699 (other codes by the BAI table); 010/015 (else 040/045) give
  the opening and closing balance; summary codes 100/400 the stated total credits and debits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from arcollect.cashapp.formats._common import Problems, date_of, rmr_documents
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.money import is_currency, minor_units

DEFAULT_CURRENCY = "USD"
NON_MONETARY = {"890"}


@dataclass
class _Record:
    code: str
    body: str
    line: int
    continuations: list[tuple[int, str]] = field(default_factory=list)

    @property
    def physical(self) -> int:
        return 1 + len(self.continuations)

    def joined(self) -> str:
        """The fields of the record and its 88s, as one comma-separated body without terminators."""
        parts = [_unslash(self.body)] + [_unslash(text) for _, text in self.continuations]
        return ",".join(parts)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _unslash(text: str) -> str:
    text = text.rstrip()
    return text[:-1] if text.endswith("/") else text


class _Cursor:
    def __init__(self, body: str) -> None:
        self.rest: str | None = body

    def next(self) -> str:
        if self.rest is None:
            return ""
        head, sep, tail = self.rest.partition(",")
        self.rest = tail if sep else None
        return head.strip()

    def remainder(self) -> str:
        rest, self.rest = self.rest, None
        return rest or ""


def direction(type_code: str) -> str | None:
    """"credit", "debit" or None (status codes, non-monetary and unknown codes)."""
    if not _digits(type_code):
        return None
    n = int(type_code)
    if 100 <= n <= 399:
        return "credit"
    if 400 <= n <= 699:
        return "debit"
    try:
        from bai2.constants import TypeCodes

        known = TypeCodes.get(type_code)
        value = getattr(getattr(known, "transaction", None), "value", None)
    except Exception:  # pragma: no cover - the table is optional
        value = None
    return value if value in ("credit", "debit") else None


def _minor(text: str, where: str, problems: Problems) -> int | None:
    text = text.strip()
    if not text:
        return None
    body = text[1:] if text[0] in "+-" else text
    if not _digits(body) or len(body) > 18:
        problems.add(where, f"{text!r} is not an amount")
        return None
    return -int(body) if text[0] == "-" else int(body)


def _yymmdd(text: str) -> dt.date | None:
    text = text.strip()
    if len(text) != 6 or not _digits(text):
        return None
    return date_of(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))


def _funds(cur: _Cursor, where: str, problems: Problems) -> dt.date | None:
    """Consume the funds type and the fields it adds; the value date of a V funds type."""
    kind = cur.next().upper()
    if kind in ("", "0", "1", "2", "Z"):
        return None
    if kind == "S":
        for _ in range(3):
            _minor(cur.next(), where, problems)
        return None
    if kind == "V":
        value_date, _time = cur.next(), cur.next()
        return _yymmdd(value_date)
    if kind == "D":
        count = cur.next()
        if not _digits(count) or int(count) > 100:
            problems.add(where, f"funds type D: {count!r} is not a number of distributions")
            return None
        for _ in range(int(count)):
            cur.next()
            _minor(cur.next(), where, problems)
        return None
    problems.add(where, f"unknown funds type {kind!r}")
    return None


def _records(text: str, problems: Problems) -> list[_Record]:
    records: list[_Record] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.rstrip("\r\n\x00 ")
        if not raw.strip():
            continue
        code, _, body = raw.partition(",")
        code = code.strip()
        if code == "88":
            if not records:
                problems.add(f"line {number}", "an 88 continuation with no record before it")
            else:
                records[-1].continuations.append((number, body))
            continue
        if code not in ("01", "02", "03", "16", "49", "98", "99"):
            problems.add(f"line {number}", f"unknown record code {code[:10]!r}")
            continue
        records.append(_Record(code, body, number))
    return records


@dataclass
class _Account:
    record: _Record
    number: str
    currency: str
    summaries: dict[str, int]
    lines: list[ParsedLine] = field(default_factory=list)
    total: int = 0
    count: int = 0


def parse(data: bytes, filename: str) -> list[ParsedStatement]:
    problems = Problems(filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    records = _records(text, problems)
    if not records or records[0].code != "01":
        problems.add("line 1", "a BAI2 file starts with a 01 (file header) record")
        problems.raise_if_any("BAI2 file")
    statements: list[ParsedStatement] = []
    file_id = _Cursor(records[0].joined())
    for _ in range(4):
        file_id.next()
    statement_id = file_id.next() or None
    file_count = file_total = groups = 0
    group: dict | None = None
    account: _Account | None = None
    ended = False
    for rec in records:
        where = f"line {rec.line}"
        if ended:
            problems.add(where, "a record after the 99 (file trailer) record")
            break
        file_count += rec.physical
        if group is not None:
            group["count"] += rec.physical
        if account is not None:
            account.count += rec.physical
        cur = _Cursor(rec.joined())
        if rec.code == "01":
            if rec is not records[0]:
                problems.add(where, "a second 01 (file header) record")
        elif rec.code == "02":
            if group is not None:
                problems.add(where, "a 02 (group header) before the 98 of the group before")
            _receiver, _originator, _status = cur.next(), cur.next(), cur.next()
            as_of = cur.next()
            _time = cur.next()
            currency = cur.next().upper()
            date = _yymmdd(as_of)
            if date is None:
                problems.add(where, f"as-of date {as_of!r} is not a date (YYMMDD)")
            group = {"date": date, "currency": currency or DEFAULT_CURRENCY, "count": rec.physical,
                     "total": 0, "accounts": 0}
        elif rec.code == "03":
            if group is None:
                problems.add(where, "a 03 (account) record outside a group")
                continue
            if account is not None:
                problems.add(where, "a 03 (account) record before the 49 of the account before")
            number = cur.next()
            currency = cur.next().upper() or group["currency"]
            if not is_currency(currency):
                problems.add(where, f"unknown currency {currency!r}")
                currency = DEFAULT_CURRENCY
            account = _Account(rec, number, currency, {}, count=rec.physical)
            while cur.rest is not None:
                code = cur.next()
                if not code:
                    continue
                amount = _minor(cur.next(), where, problems)
                cur.next()  # item count
                _funds(cur, where, problems)
                if amount is not None:
                    account.total += amount
                    account.summaries.setdefault(code, amount)
        elif rec.code == "16":
            if account is None or group is None:
                problems.add(where, "a 16 (transaction) record outside an account")
                continue
            _transaction(rec, account, group["date"], problems)
        elif rec.code == "49":
            if account is None or group is None:
                problems.add(where, "a 49 (account trailer) with no account")
                continue
            _check(where, "account", cur.next(), account.total, cur.next(), account.count, problems)
            statements.append(_statement(account, group["date"], statement_id))
            group["total"] += account.total
            group["accounts"] += 1
            account = None
        elif rec.code == "98":
            if group is None:
                problems.add(where, "a 98 (group trailer) with no group")
                continue
            if account is not None:
                problems.add(where, "a 98 (group trailer) before the 49 of its last account")
                account = None
            total, accounts, count = cur.next(), cur.next(), cur.next()
            _check(where, "group", total, group["total"], count, group["count"], problems)
            if _digits(accounts) and int(accounts) != group["accounts"]:
                problems.add(where, f"group trailer says {accounts} accounts, the group has {group['accounts']}")
            file_total += group["total"]
            groups += 1
            group = None
        elif rec.code == "99":
            if group is not None:
                problems.add(where, "a 99 (file trailer) before the 98 of its last group")
            total, ngroups, count = cur.next(), cur.next(), cur.next()
            _check(where, "file", total, file_total, count, file_count, problems)
            if _digits(ngroups) and int(ngroups) != groups:
                problems.add(where, f"file trailer says {ngroups} groups, the file has {groups}")
            ended = True
    if not ended and not problems:
        problems.add(f"line {records[-1].line}", "the file ends without a 99 (file trailer) record")
    problems.raise_if_any("BAI2 file")
    return statements


def _check(where: str, what: str, stated: str, total: int, stated_count: str, count: int,
           problems: Problems) -> None:
    stated = stated.strip()
    if stated:
        body = stated.lstrip("+-")
        if not _digits(body):
            problems.add(where, f"{what} control total {stated!r} is not an amount")
        elif int(stated) != total:
            problems.add(where, f"{what} control total {stated} disagrees with the records' sum {total}")
    stated_count = stated_count.strip()
    if stated_count and (not _digits(stated_count) or int(stated_count) != count):
        problems.add(where, f"{what} record count {stated_count!r} disagrees with the {count} records")


def _transaction(rec: _Record, account: _Account, date: dt.date | None,
                 problems: Problems) -> None:
    where = f"line {rec.line}"
    cur = _Cursor(_unslash(rec.body))
    code = cur.next()
    amount = _minor(cur.next(), where, problems)
    value_date = _funds(cur, where, problems)
    bank_ref, customer_ref = cur.next(), cur.next()
    text = cur.remainder().strip()
    continuation = [t.rstrip() for _, t in rec.continuations]
    if amount is not None:
        account.total += amount
    if code in NON_MONETARY:
        return
    way = direction(code)
    if way is None:
        problems.add(where, f"type code {code!r} is neither a credit (100–399) nor a debit (400–699)")
        return
    if amount is None:
        problems.add(where, "the transaction has no amount")
        return
    if date is None:
        return  # the group's as-of date is already reported
    value = Decimal(abs(amount)).scaleb(-minor_units(account.currency))
    texts = tuple(t for t in [text, *continuation] if t.strip())
    account.lines.append(ParsedLine(
        booking_date=date,
        amount=value if way == "credit" else -value,
        currency=account.currency,
        reference=bank_ref or None,
        value_date=value_date,
        end_to_end_id=customer_ref or None,
        bank_code=code,
        remittance=texts,
        documents=tuple(rmr_documents("".join(texts))),
        location=where,
    ))


def _statement(account: _Account, date: dt.date | None, statement_id: str | None) -> ParsedStatement:
    scale = minor_units(account.currency)

    def amount(*codes: str) -> Decimal | None:
        for code in codes:
            if code in account.summaries:
                return Decimal(account.summaries[code]).scaleb(-scale)
        return None

    return ParsedStatement(
        format="bai2",
        account=account.number,
        currency=account.currency,
        lines=tuple(account.lines),
        statement_id=statement_id,
        opening=amount("010", "040"),
        closing=amount("015", "045"),
        opening_date=date,
        closing_date=date,
        stated_credits=amount("100"),
        stated_debits=amount("400"),
    )
