"""Parsed bank statements into rows: statements once per file, lines once per transaction (CONTRACT §9's
idempotency key), payer accounts normalised. Runs inside the caller's transaction; never commits."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.cashapp.models import DEBIT, BankLine, BankStatement
from arcollect.cashapp.shapes import DocumentRef, ParsedLine, ParsedStatement
from arcollect.money import money_str, quantize

KEY_CHUNK = 5000


def normalise_account(value: str | None) -> str | None:
    """An IBAN in its compact form when it is a valid IBAN (schwifty); anything else as the bank gives it,
    without surrounding blanks."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    compact = "".join(raw.split()).upper()
    if len(compact) >= 15 and compact[:2].isalpha() and compact[2:4].isdigit():
        try:
            from schwifty import IBAN

            return str(IBAN(compact).compact)
        except Exception:  # not a valid IBAN (checksum, length, country): keep what the bank wrote
            pass
    return raw[:64]


def line_key(account: str, line: ParsedLine, occurrence: int) -> str:
    """CONTRACT §9: bank reference + account + amount + date. A line without a bank reference is known by
    its content (dates, amount, payer, texts) and its occurrence among identical lines of the statement, so the
    same file read again finds it, and two identical transactions of one day stay two lines."""
    amount = f"{line.amount:f}"
    if line.reference:
        basis = ["ref", account, line.reference.strip(), amount, line.booking_date.isoformat()]
    else:
        basis = ["content", account, amount, line.booking_date.isoformat(),
                 line.value_date.isoformat() if line.value_date else "", line.currency, line.payer_name or "",
                 line.payer_account or "", line.end_to_end_id or "", line.bank_code or "", *line.remittance,
                 str(occurrence)]
    return hashlib.sha256("\x1f".join(basis).encode("utf-8")).hexdigest()


def _content(line: ParsedLine) -> tuple:
    return (line.booking_date, line.value_date, line.amount, line.currency, line.payer_name, line.payer_account,
            line.end_to_end_id, line.bank_code, line.remittance)


def _document(doc: DocumentRef) -> dict[str, Any]:
    return {"kind": doc.kind, "number": doc.number, "amount": None if doc.amount is None else f"{doc.amount:f}",
            "source": doc.source}


def documents_of(raw: list[dict[str, Any]] | None) -> tuple[DocumentRef, ...]:
    """The stored structured references back as shapes (for the matcher)."""
    return tuple(DocumentRef(kind=d.get("kind", "other"), number=d.get("number", ""),
                             amount=None if d.get("amount") is None else Decimal(d["amount"]),
                             source=d.get("source", "")) for d in raw or [])


def _previous(session: Session, account: str, before: dt.date | None) -> BankStatement | None:
    stmt = select(BankStatement).where(BankStatement.account == account, BankStatement.closing_date.is_not(None))
    if before is not None:
        stmt = stmt.where(BankStatement.closing_date <= before)
    return session.scalar(stmt.order_by(BankStatement.closing_date.desc(), BankStatement.id.desc()).limit(1))


def _continuity(session: Session, parsed: ParsedStatement) -> str | None:
    """'gap' or 'overlap' with the account's previous statement (formats.continuity), None when they join."""
    try:
        from arcollect.cashapp import formats
    except ImportError:  # the parsers are not there (yet): nothing to say
        return None
    check = getattr(formats, "continuity", None)
    previous = _previous(session, parsed.account, parsed.closing_date)
    if check is None or previous is None:
        return None
    before = ParsedStatement(format=previous.format, account=previous.account, currency=previous.currency, lines=(),
                             statement_id=previous.statement_id, opening=previous.opening, closing=previous.closing,
                             opening_date=previous.opening_date, closing_date=previous.closing_date)
    return check(before, parsed)


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), KEY_CHUNK):
        found |= set(session.scalars(select(BankLine.line_key).where(BankLine.line_key.in_(keys[i:i + KEY_CHUNK]))))
    return found


def store(session: Session, statements: Sequence[ParsedStatement], *, file_name: str, sha256: str,
          now: dt.datetime, actor: str) -> dict[str, Any]:
    """Store what is new of ``statements``: the CONTRACT §9 import summary."""
    out: list[dict[str, Any]] = []
    created = duplicates = 0
    for position, parsed in enumerate(statements):
        account = normalise_account(parsed.account) or parsed.account
        seen: Counter[tuple] = Counter()
        keyed = []
        for line in parsed.lines:
            content = _content(line)
            keyed.append((line_key(account, line, seen[content]), line))
            seen[content] += 1
        known = existing_keys(session, [k for k, _ in keyed])
        fresh, in_file = [], set()
        for key, line in keyed:
            if key in known or key in in_file:
                duplicates += 1
            else:
                in_file.add(key)
                fresh.append((key, line))
        statement = session.scalar(select(BankStatement).where(BankStatement.file_sha256 == sha256,
                                                               BankStatement.position == position))
        if statement is None:
            statement = BankStatement(
                account=account, currency=parsed.currency, statement_id=parsed.statement_id, format=parsed.format,
                file_name=file_name[:512], file_sha256=sha256, position=position, opening=parsed.opening,
                closing=parsed.closing, opening_date=parsed.opening_date, closing_date=parsed.closing_date,
                credits=parsed.credits, debits=parsed.debits, balance_check=parsed.balance_check,
                continuity=_continuity(session, parsed), line_count=len(parsed.lines), imported_at=now,
                imported_by=actor)
            session.add(statement)
            session.flush()
            audit.record(session, at=now, actor=actor, action="import", entity="bank_statement",
                         entity_key=str(statement.id),
                         changes={"file": file_name, "sha256": sha256, "account": account, "format": parsed.format,
                                  "statement_id": parsed.statement_id, "lines": len(parsed.lines),
                                  "new_lines": len(fresh), "balance_check": parsed.balance_check,
                                  "continuity": statement.continuity})
        rows = []
        for key, line in fresh:
            debit = line.amount < 0
            rows.append({
                "statement_pk": statement.id, "line_key": key, "account": account, "booking_date": line.booking_date,
                "value_date": line.value_date, "amount": quantize(line.amount, line.currency),
                "currency": line.currency, "reference": (line.reference or None) and line.reference[:256],
                "payer_name": (line.payer_name or None) and line.payer_name[:256],
                "payer_account": normalise_account(line.payer_account), "payer_bic": (line.payer_bic or None),
                "end_to_end_id": line.end_to_end_id and line.end_to_end_id[:256],
                "bank_code": line.bank_code and line.bank_code[:64], "remittance": list(line.remittance),
                "documents": [_document(d) for d in line.documents], "location": line.location[:256],
                "status": "excluded" if debit else "unmatched", "excluded_reason": DEBIT if debit else None,
                "decided_by": "rule" if debit else None, "confidence": 0.0, "reasons": [], "proposals": [],
                "created_at": now, "updated_at": now})
        if rows:
            session.execute(BankLine.__table__.insert(), rows)
        created += len(rows)
        out.append({"account": account, "currency": parsed.currency,
                    "opening": _money(parsed.opening, parsed.currency), "closing": _money(parsed.closing, parsed.currency),
                    "credits": money_str(parsed.credits, parsed.currency),
                    "debits": money_str(parsed.debits, parsed.currency),
                    "balance_check": parsed.balance_check, "lines": len(parsed.lines)})
    return {"statements": out, "created": created, "duplicates": duplicates}


def _money(value: Decimal | None, currency: str) -> str:
    """A stated balance as a money string; "0.00" when the file states none (CONTRACT §9 keeps money strings:
    ``balance_check`` is then ``n/a``, which says the balance was not stated)."""
    return money_str(value if value is not None else Decimal(0), currency)
