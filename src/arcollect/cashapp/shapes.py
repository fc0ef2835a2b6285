"""The shapes the parts of cash application agree on (pure data, no I/O).

- A bank file parses into ``ParsedStatement``s of ``ParsedLine``s (formats/).
- The matcher takes ``LineIn``s, ``Party``s and ``OpenItem``s and returns one ``Decision`` per line,
  each with ranked ``Proposal``s made of ``Allocation``s (matcher.py).
Money is Decimal in the statement's currency; a credit is positive, a debit negative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from arcollect.errors import InvalidInput


class BankFileError(InvalidInput):
    """A bank file that cannot be read: ``problems`` name the file and the line (BAI2, MT940, CSV) or the
    element path (camt) of each problem. Nothing of the file is stored."""


@dataclass(frozen=True)
class DocumentRef:
    """A document the payer names in structured form: camt ``Strd/RfrdDocInf`` (with ``RfrdDocAmt``), an
    ANSI X12 ``RMR`` segment of a BAI2 addendum, a creditor reference (``CdtrRefInf``/RF…)."""

    kind: Literal["invoice", "credit_note", "creditor_ref", "po", "other"]
    number: str
    amount: Decimal | None = None  # what the payer says it pays on this document
    source: str = ""  # where it was read, e.g. "Strd[1]/RfrdDocInf/Nb" or "RMR*IV"


@dataclass(frozen=True)
class ParsedLine:
    """One transaction of a statement (an entry with several TxDtls gives one line each)."""

    booking_date: dt.date
    amount: Decimal  # signed: credits > 0, debits < 0
    currency: str
    reference: str | None  # the bank's reference (CONTRACT §9: AcctSvcrRef / 16 record / :61:)
    value_date: dt.date | None = None
    payer_name: str | None = None  # the counterparty: debtor of a credit, creditor of a debit
    payer_account: str | None = None  # IBAN (normalised, no spaces) or account number as the bank gives it
    payer_bic: str | None = None
    end_to_end_id: str | None = None
    bank_code: str | None = None  # BAI2 type code, camt BkTxCd (Domn/Fmly/SubFmly or Prtry), MT940 :61: code
    remittance: tuple[str, ...] = ()  # every free text verbatim: Ustrd, :86: text, 16/88 text, in order
    documents: tuple[DocumentRef, ...] = ()
    location: str = ""  # where the line is in its file: "line 14" / "Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]"
    reversal: bool = False  # the bank reverses an earlier booking (camt RvslInd, MT940 RC/RD): no customer payment

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class ParsedStatement:
    format: str  # "bai2", "camt.053.001.02", "mt940", "mt942", "csv"
    account: str  # IBAN or account number of our account
    currency: str
    lines: tuple[ParsedLine, ...]
    statement_id: str | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    opening_date: dt.date | None = None
    closing_date: dt.date | None = None
    stated_credits: Decimal | None = None  # control totals the file states (BAI2 49/98/99, camt TxsSummry)
    stated_debits: Decimal | None = None

    @property
    def credits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.amount > 0), Decimal(0))

    @property
    def debits(self) -> Decimal:
        return -sum((ln.amount for ln in self.lines if ln.amount < 0), Decimal(0))

    @property
    def balance_check(self) -> Literal["ok", "break", "n/a"]:
        """CONTRACT §9: ok when opening + credits − debits = closing, break when not, n/a without balances."""
        if self.opening is None or self.closing is None:
            return "n/a"
        return "ok" if self.opening + self.credits - self.debits == self.closing else "break"


# ---- the matcher's input and output ---------------------------------------------------------------
@dataclass(frozen=True)
class OpenItem:
    customer_id: str
    invoice_id: str
    currency: str
    open_amount: Decimal  # > 0
    due_date: dt.date
    issue_date: dt.date
    po_number: str | None = None
    disputed: bool = False


@dataclass(frozen=True)
class Party:
    """A customer as the matcher knows it."""

    customer_id: str
    name: str
    parent_id: str | None = None
    accounts: tuple[str, ...] = ()  # payer accounts seen paying for it (learned from applied lines)
    aliases: tuple[str, ...] = ()  # payer names a person confirmed for it (learned)


@dataclass(frozen=True)
class LineIn:
    id: str
    date: dt.date
    amount: Decimal  # > 0 (only credits are matched)
    currency: str
    payer_name: str | None = None
    payer_account: str | None = None
    texts: tuple[str, ...] = ()  # remittance texts (bank line and any remittance advice attached to it)
    documents: tuple[DocumentRef, ...] = ()


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    amount: Decimal  # > 0, at most the item's open amount


@dataclass(frozen=True)
class Proposal:
    customer_id: str
    allocations: tuple[Allocation, ...]
    unapplied: Decimal  # what stays on the customer's account (overpayment); 0 when all is allocated
    confidence: float  # 0 … 1
    reasons: tuple[str, ...]  # in words a cash-app specialist reads: "invoice INV-0100634 named in remittance"
    short_pay: Decimal = Decimal(0)  # what the payer kept back (fee, discount, deduction), left open on the items
    short_pay_reason: str | None = None  # "bank_fee" | "discount" | "deduction" | "partial"


@dataclass(frozen=True)
class Decision:
    line_id: str
    status: Literal["apply", "review", "unidentified"]
    proposals: tuple[Proposal, ...] = ()  # ranked, best first; "apply" applies proposals[0]
    reasons: tuple[str, ...] = field(default_factory=tuple)
