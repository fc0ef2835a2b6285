"""Fuzzing the bank-file readers: any input gives statements or a BankFileError naming the file, never another
exception. Each reader is called directly (the safety net in ``formats.parse`` would hide its oversights).

Bounded by default (ARCOLLECT_FUZZ_EXAMPLES, 50 per target: a few seconds); ``make fuzz`` runs long.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect.cashapp import formats
from arcollect.cashapp.formats import CsvMapping, bai2, camt, mt940
from arcollect.cashapp.formats import csv as csv_format
from arcollect.cashapp.shapes import BankFileError

EXAMPLES = int(os.environ.get("ARCOLLECT_FUZZ_EXAMPLES", "50"))
NAME = "fuzz.bin"

BAI2_SEED = b"""01,BANK,ACME,260301,0800,F1,,,2/
02,ACME,BANK,1,260301,0800,USD,2/
03,123,,010,100000,,,015,250000,,/
16,195,150000,V,260302,,BR1,CR1,WIRE
88,RMR*IV*INV-1**1500.00\\
16,475,100,S,50,25,25,BR2,,/
49,500100,6/
98,500100,1,8/
99,500100,1,10
"""
CAMT_SEED = b"""<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<Stmt><Id>S</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt><NtryDtls>
<TxDtls><Amt Ccy="EUR">1.00</Amt><RmtInf><Strd><RfrdDocInf><Nb>I1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="EUR">1</RmtdAmt></RfrdDocAmt></Strd></RmtInf></TxDtls>
<TxDtls><Amt Ccy="EUR">2.00</Amt><RltdPties><Dbtr><Pty><Nm>X</Nm></Pty></Dbtr></RltdPties></TxDtls>
</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"""
MT940_SEED = b"""{1:F01X}{2:O940X}{4:
:20:REF
:25:NL91ABNA0417164300EUR
:28C:1/1
:60F:C260301EUR1,00
:61:2603020302CR2,00NTRFE2E//BR1
:86:166?00GUT?20EREF+E1?21SVWZ+INV 1?31DE89370400440532013000?32NAME
:61:260303RD1,00NTRFNONREF
:86:/EREF/E2//CNTP/NL20INGB0001234567/INGBNL2A/ACME//REMI/USTD//X/
-
:62F:C260303EUR4,00
-}"""
CSV_SEED = b"Datum;Betrag;Name;Text\n02.03.2026;1.500,00;Globex;INV-1\n03.03.2026;-2,5;Bank;fee\n"
CSV_MAPPING = CsvMapping.from_spec("date=Datum,amount=Betrag,fixed_currency=EUR,payer=Name,text=Text,"
                                   "date_format=%d.%m.%Y,decimal=comma,thousands=dot")


def _mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed cut short, with bytes overwritten, lines dropped or duplicated."""
    def mutate(cut: int, flips: list[tuple[int, int]], drop: list[int], dup: list[int]) -> bytes:
        lines = seed.split(b"\n")
        lines = [ln for i, ln in enumerate(lines) if i not in drop]
        for i in dup:
            if lines:
                lines.insert(i % len(lines), lines[i % len(lines)])
        raw = bytearray(b"\n".join(lines)[: max(1, len(seed) - cut)])
        for where, value in flips:
            raw[where % len(raw)] = value
        return bytes(raw)

    return st.builds(mutate, st.integers(0, len(seed)), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                     max_size=6), st.lists(st.integers(0, 40), max_size=3), st.lists(st.integers(0, 40), max_size=2))


def _inputs(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=600), _mutated(seed), st.binary(max_size=200).map(lambda b: seed + b))


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


zips = st.one_of(
    st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
    st.dictionaries(st.sampled_from(["a.xml", "b.xml", "c.txt", "d/e.xml"]), _inputs(CAMT_SEED), max_size=3).map(_zip_of),
)

TARGETS: list[tuple[str, st.SearchStrategy[bytes], Callable[[bytes, str], object]]] = [
    ("bai2", _inputs(BAI2_SEED), bai2.parse),
    ("camt", _inputs(CAMT_SEED), camt.parse),
    ("camt-zip", zips, lambda data, name: formats.parse(data, name, fmt="camt")),
    ("mt940", _inputs(MT940_SEED), mt940.parse),
    ("csv", _inputs(CSV_SEED), lambda data, name: csv_format.parse(data, name, CSV_MAPPING)),
    ("auto", st.one_of(st.binary(max_size=600), _mutated(BAI2_SEED), _mutated(MT940_SEED)),
     lambda data, name: formats.parse(data, name, mapping=CSV_MAPPING)),
]


@pytest.mark.parametrize("name,strategy,read", TARGETS, ids=[t[0] for t in TARGETS])
def test_bank_files_give_statements_or_a_bank_file_error(name, strategy, read):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def run(data: bytes) -> None:
        try:
            statements = read(data, NAME)
        except BankFileError as exc:
            assert exc.problems, str(exc)
            assert all(p.startswith(NAME) for p in exc.problems), exc.problems
            return
        for statement in statements:
            assert statement.balance_check in ("ok", "break", "n/a")
            for line in statement.lines:
                assert line.amount == line.amount  # a finite Decimal, never NaN

    run()
