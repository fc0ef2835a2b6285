"""ISO 20022 camt.052 (report), camt.053 (statement), camt.054 (notification), any version, namespace-agnostic.

Each Stmt/Rpt/Ntfctn is a statement; each Ntry a line, or one line per TxDtls when an entry has several (each
with its own amount). Problems name the element path: ``Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt``.
Parsed with defusedxml (no DTD, no entities, no external references).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from arcollect.cashapp.formats._common import Problems, decimal_of, iso_date, normalise_account
from arcollect.cashapp.shapes import DocumentRef, ParsedLine, ParsedStatement
from arcollect.money import is_currency

MESSAGES = {"BkToCstmrStmt": "Stmt", "BkToCstmrAcctRpt": "Rpt", "BkToCstmrDbtCdtNtfctn": "Ntfctn"}
KIND_OF_MESSAGE = {"BkToCstmrStmt": "053", "BkToCstmrAcctRpt": "052", "BkToCstmrDbtCdtNtfctn": "054"}
DOC_KINDS = {"CINV": "invoice", "CREN": "credit_note", "CMCN": "invoice", "DEBN": "invoice", "HIRI": "invoice",
             "SBIN": "invoice", "CNFA": "credit_note", "PUOR": "po"}
_NS_RE = re.compile(r"(?a)camt\.(05[234])\.001\.(\d{2})")


def _local(el: Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _message_name(el: Element) -> str:
    return re.sub(r"(?a)V\d{2}$", "", _local(el))  # camt.05x.001.01 names the message BkToCstmrAcctRptV01


def _children(el: Element | None, name: str) -> list[Element]:
    return [c for c in el if _local(c) == name] if el is not None else []


def _child(el: Element | None, *path: str) -> Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c) == name), None)
    return el


def _text(el: Element | None, *path: str) -> str | None:
    node = _child(el, *path)
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def is_camt(data: bytes) -> bool:
    head = data[:4096]
    return b"<" in head and (re.search(rb"camt\.05[234]", head) is not None
                             or any(m.encode() in head for m in MESSAGES))


def parse(data: bytes, filename: str) -> list[ParsedStatement]:
    problems = Problems(filename)
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
        problems.add("", "a camt file with a DTD or entities is refused")
        problems.raise_if_any("camt file")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        problems.add("", f"not well-formed XML: {exc}")
        problems.raise_if_any("camt file")
    namespace = root.tag[1:].split("}", 1)[0] if isinstance(root.tag, str) and root.tag.startswith("{") else ""
    message = root if _message_name(root) in MESSAGES else next((c for c in root if _message_name(c) in MESSAGES),
                                                                  None)
    if message is None:
        problems.add(_local(root), "no BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn in the document")
        problems.raise_if_any("camt file")
    m = _NS_RE.search(namespace)
    fmt = f"camt.{m.group(1)}.001.{m.group(2)}" if m else f"camt.{KIND_OF_MESSAGE[_message_name(message)]}"
    prefix = f"{_local(root)}/{_local(message)}" if message is not root else _local(root)
    record_name = MESSAGES[_message_name(message)]
    records = _children(message, record_name)
    if not records:
        problems.add(prefix, f"no {record_name} in the message")
    statements = [_record(rec, f"{record_name}[{i}]", prefix, fmt, problems)
                  for i, rec in enumerate(records, start=1)]
    problems.raise_if_any("camt file")
    return [s for s in statements if s is not None]


def _amount(el: Element | None, path: str, prefix: str, problems: Problems) -> tuple[Decimal, str] | None:
    """An ``Amt`` element: (value ≥ 0, currency); None (and a problem) when it is not one."""
    if el is None:
        return None
    raw = (el.text or "").strip()
    value = decimal_of(raw)
    if value is None or value < 0:
        problems.add(f"{prefix}/{path}", f"{raw[:40]!r} is not an amount")
        return None
    currency = (el.get("Ccy") or "").strip().upper()
    if currency and not is_currency(currency):
        problems.add(f"{prefix}/{path}", f"unknown currency {currency[:10]!r}")
    return value, currency


def _signed(value: Decimal, indicator: str | None) -> Decimal:
    return -value if (indicator or "").upper() == "DBIT" else value


def _date(el: Element | None) -> dt.date | None:
    return iso_date(_text(el, "Dt") or _text(el, "DtTm")) if el is not None else None


def _record(rec: Element, path: str, prefix: str, fmt: str, problems: Problems) -> ParsedStatement | None:
    account_el = _child(rec, "Acct")
    account = (_text(account_el, "Id", "IBAN") or _text(account_el, "Id", "Othr", "Id")
               or _text(account_el, "Id", "PrtryAcct", "Id") or "")
    currency = (_text(account_el, "Ccy") or "").upper()
    opening = closing = None
    opening_date = closing_date = None
    for i, bal in enumerate(_children(rec, "Bal"), start=1):
        tp = _child(bal, "Tp")
        code = (_text(tp, "CdOrPrtry", "Cd") or _text(tp, "CdOrPrtry", "Prtry") or _text(tp, "Cd") or "").upper()
        amt = _amount(_child(bal, "Amt"), f"{path}/Bal[{i}]/Amt", prefix, problems)
        if amt is None:
            continue
        currency = currency or amt[1]
        value = _signed(amt[0], _text(bal, "CdtDbtInd"))
        when = _date(_child(bal, "Dt"))
        if code == "OPBD" or (code == "PRCD" and opening is None):
            opening, opening_date = value, when
        elif code == "CLBD":
            closing, closing_date = value, when
    span = _child(rec, "FrToDt")
    default_date = (iso_date(_text(span, "ToDtTm")) or iso_date(_text(rec, "CreDtTm"))
                    or closing_date or opening_date)
    summary = _child(rec, "TxsSummry")
    stated_credits = decimal_of(_text(summary, "TtlCdtNtries", "Sum"))
    stated_debits = decimal_of(_text(summary, "TtlDbtNtries", "Sum"))
    lines: list[ParsedLine] = []
    for j, entry in enumerate(_children(rec, "Ntry"), start=1):
        lines.extend(_entry(entry, f"{path}/Ntry[{j}]", prefix, currency, default_date, problems))
    if not currency:
        currency = next((ln.currency for ln in lines if ln.currency), "")
    if not currency:
        if lines or opening is not None:
            problems.add(f"{prefix}/{path}", "no currency (Acct/Ccy, Bal/Amt/@Ccy or Ntry/Amt/@Ccy)")
        currency = "EUR" if not lines else currency
    lines = [ln if ln.currency else _with_currency(ln, currency) for ln in lines]
    return ParsedStatement(
        format=fmt, account=normalise_account(account) or account, currency=currency, lines=tuple(lines),
        statement_id=_text(rec, "Id"), opening=opening, closing=closing,
        opening_date=opening_date or iso_date(_text(span, "FrDtTm")),
        closing_date=closing_date or iso_date(_text(span, "ToDtTm")),
        stated_credits=stated_credits, stated_debits=stated_debits,
    )


def _with_currency(line: ParsedLine, currency: str) -> ParsedLine:
    from dataclasses import replace

    return replace(line, currency=currency)


def _entry(entry: Element, path: str, prefix: str, currency: str, default_date: dt.date | None,
           problems: Problems) -> Iterator[ParsedLine]:
    amt = _amount(_child(entry, "Amt"), f"{path}/Amt", prefix, problems)
    if _child(entry, "Amt") is None:
        problems.add(f"{prefix}/{path}", "the entry has no Amt")
    indicator = _text(entry, "CdtDbtInd")
    if (indicator or "").upper() not in ("CRDT", "DBIT"):
        problems.add(f"{prefix}/{path}/CdtDbtInd", f"{(indicator or '')[:10]!r} is neither CRDT nor DBIT")
    booking = _date(_child(entry, "BookgDt"))
    value_date = _date(_child(entry, "ValDt"))
    booking = booking or value_date or default_date
    if booking is None:
        problems.add(f"{prefix}/{path}/BookgDt", "the entry has no booking date")
    if amt is None or booking is None:
        return
    reversal = (_text(entry, "RvslInd") or "").lower() in ("true", "1")
    base = {
        "booking_date": booking, "value_date": value_date, "currency": amt[1] or currency,
        "bank_code": _bank_code(_child(entry, "BkTxCd")), "reversal": reversal,
        "entry_ref": _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
        "entry_texts": [t for t in (_text(entry, "AddtlNtryInf"),) if t],
    }
    details = [(f"{path}/NtryDtls{'' if k == 1 and len(_children(entry, 'NtryDtls')) == 1 else f'[{k}]'}", tx)
               for k, nd in enumerate(_children(entry, "NtryDtls"), start=1) for tx in _children(nd, "TxDtls")]
    if len(details) > 1:
        split = []
        for n, (where, tx) in enumerate(details, start=1):
            tx_path = f"{where}/TxDtls[{n}]"
            tx_amt_el = _child(tx, "AmtDtls", "TxAmt", "Amt")
            if tx_amt_el is None:
                tx_amt_el = _child(tx, "Amt")
            tx_amt = _amount(tx_amt_el, f"{tx_path}/Amt", prefix, problems) if tx_amt_el is not None else None
            if tx_amt is None or tx_amt[1] not in ("", amt[1]):
                split = []
                break
            split.append((tx_path, tx, _signed(tx_amt[0], _text(tx, "CdtDbtInd") or indicator)))
        # the details must add up to what is booked; else the entry stays one line (with every detail's text)
        if split and sum(value for _, _, value in split) == _signed(amt[0], indicator):
            for tx_path, tx, value in split:
                yield _line(base, value, tx, tx_path, prefix, problems)
            return
    amount = _signed(amt[0], indicator)
    if len(details) == 1:
        yield _line(base, amount, details[0][1], f"{details[0][0]}/TxDtls", prefix, problems)
    else:
        texts: list[str] = []
        docs: list[DocumentRef] = []
        for _, tx in details:  # several details without amounts of their own: one line, every text
            texts.extend(_texts(tx))
            docs.extend(_documents(tx, "", prefix, problems))
        yield ParsedLine(booking_date=base["booking_date"], amount=amount, currency=base["currency"],
                         reference=base["entry_ref"], value_date=base["value_date"], bank_code=base["bank_code"],
                         remittance=tuple(texts + base["entry_texts"]), documents=tuple(docs), location=path,
                         reversal=base["reversal"])


def _bank_code(el: Element | None) -> str | None:
    if el is None:
        return None
    domain = _child(el, "Domn")
    if domain is not None:
        parts = [_text(domain, "Cd"), _text(domain, "Fmly", "Cd"), _text(domain, "Fmly", "SubFmlyCd")]
        return "-".join(p for p in parts if p) or None
    return _text(el, "Prtry", "Cd")


def _party(tx: Element, role: str) -> tuple[str | None, str | None, str | None]:
    parties = _child(tx, "RltdPties")
    party = _child(parties, role)
    name = _text(party, "Nm") or _text(party, "Pty", "Nm")
    acct = _child(parties, f"{role}Acct")
    account = _text(acct, "Id", "IBAN") or _text(acct, "Id", "Othr", "Id")
    agent = _child(tx, "RltdAgts", f"{role}Agt", "FinInstnId")
    bic = _text(agent, "BIC") or _text(agent, "BICFI")
    return name, normalise_account(account), bic


def _texts(tx: Element) -> list[str]:
    texts: list[str] = []
    for rmt in _children(tx, "RmtInf"):
        texts.extend((u.text or "").strip() for u in _children(rmt, "Ustrd") if (u.text or "").strip())
        for strd in _children(rmt, "Strd"):
            texts.extend((a.text or "").strip() for a in _children(strd, "AddtlRmtInf") if (a.text or "").strip())
    texts.extend((a.text or "").strip() for a in _children(tx, "AddtlTxInf") if (a.text or "").strip())
    return texts


def _documents(tx: Element, path: str, prefix: str, problems: Problems) -> list[DocumentRef]:
    docs: list[DocumentRef] = []
    for r, rmt in enumerate(_children(tx, "RmtInf"), start=1):
        for s, strd in enumerate(_children(rmt, "Strd"), start=1):
            where = f"Strd[{s}]"
            infos = _children(strd, "RfrdDocInf")
            amounts = _child(strd, "RfrdDocAmt")
            paid_el = _child(amounts, "RmtdAmt")
            if paid_el is None:
                paid_el = _child(amounts, "DuePyblAmt")
            paid = None
            if paid_el is not None:
                got = _amount(paid_el, f"{path}/RmtInf[{r}]/{where}/RfrdDocAmt", prefix, problems)
                paid = got[0] if got else None
            for info in infos:
                number = _text(info, "Nb")
                if not number:
                    continue
                code = (_text(info, "Tp", "CdOrPrtry", "Cd") or _text(info, "Tp", "CdOrPrtry", "Prtry") or "").upper()
                docs.append(DocumentRef(DOC_KINDS.get(code, "invoice" if not code else "other"), number,  # type: ignore[arg-type]
                                        paid if len(infos) == 1 else None, f"{where}/RfrdDocInf/Nb"))
            ref = _text(strd, "CdtrRefInf", "Ref")
            if ref:
                docs.append(DocumentRef("creditor_ref", ref, paid if not infos else None, f"{where}/CdtrRefInf/Ref"))
    return docs


def _line(base: dict, amount: Decimal, tx: Element, path: str, prefix: str, problems: Problems) -> ParsedLine:
    name, account, bic = _party(tx, "Dbtr" if amount > 0 else "Cdtr")
    end_to_end = _text(tx, "Refs", "EndToEndId")
    return ParsedLine(
        booking_date=base["booking_date"], amount=amount, currency=base["currency"],
        reference=_text(tx, "Refs", "AcctSvcrRef") or base["entry_ref"], value_date=base["value_date"],
        payer_name=name, payer_account=account, payer_bic=bic,
        end_to_end_id=end_to_end if end_to_end and end_to_end.upper() != "NOTPROVIDED" else None,
        bank_code=_bank_code(_child(tx, "BkTxCd")) or base["bank_code"],
        remittance=tuple(_texts(tx) + base["entry_texts"]),
        documents=tuple(_documents(tx, path, prefix, problems)), location=path, reversal=base["reversal"],
    )
