"""Fuzzing the readers of untrusted files (issue #7): any input either gives rows or is refused with
InvalidInput naming ``FILE[:LINE]``, never another exception, and leaves nothing behind.

``TARGETS`` is the runner's list of ``(name, strategy, parse)``: ``parse(data, tmp_dir)`` reads one input
the way arcollect reads a user's file. The bank-file parsers (BAI2, camt, MT940) plug in by adding theirs.
``make test`` runs a bounded slice (ARCOLLECT_FUZZ_EXAMPLES, default 200 per target); ``make fuzz`` runs
long (20,000 per target, or what ARCOLLECT_FUZZ_EXAMPLES says).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect.errors import InvalidInput
from arcollect.ledger import import_rows as R
from arcollect.ledger.import_read import ReadLimits, read_table
from arcollect.money import parse_amount

EXAMPLES = int(os.environ.get("ARCOLLECT_FUZZ_EXAMPLES", "200"))
LIMITS = ReadLimits(max_columns=50, max_cell=2000, max_row=20_000, max_xlsx_uncompressed=1 << 20)
HEADER = b"customer_id,name,currency,email,amount,due_date\n"


def _read(name: str) -> Callable[[bytes, Path], Any]:
    def parse(data: bytes, folder: Path) -> Any:
        path = folder / name
        path.write_bytes(data)
        table = read_table(path, None, LIMITS)
        return list(table.rows)

    return parse


def _xlsx_of(cells: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    from arcollect.export_cells import xlsx_append

    wb = Workbook()
    for row in cells:
        xlsx_append(wb.active, row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _mangled(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    raw = bytearray(data[: max(4, len(data) - cut)])
    for where, value in flips:
        raw[where % len(raw)] = value
    return bytes(raw)


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


cell_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
csv_bytes = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=2000).map(lambda b: HEADER + b),
    st.lists(st.lists(cell_text, max_size=8), max_size=20).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8")),
)
xlsx_cells = st.lists(st.lists(st.one_of(cell_text, st.integers(), st.floats(allow_nan=False), st.none(),
                                         st.booleans()), max_size=6), max_size=8)
xlsx_bytes = st.one_of(
    st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
    xlsx_cells.map(_xlsx_of),
    st.tuples(xlsx_cells.map(_xlsx_of), st.integers(0, 3000),
              st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4)).map(lambda t: _mangled(*t)),
    st.dictionaries(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                                     "xl/_rels/workbook.xml.rels", "_rels/.rels"]),
                    st.binary(max_size=300), max_size=5).map(_zip_of),
)

ROW_PARSERS = [
    lambda v: R.text(v, "c", required=True), lambda v: R.identifier(v, "c"), lambda v: R.date_value(v, "c", None),
    lambda v: R.date_value(v, "c", "%d.%m.%Y"), R.currency_value, lambda v: R.int_value(v, "c", low=0, high=999),
    lambda v: R.bool_value(v, "c"), lambda v: R.email_value(v, "c"), R.country_value, R.timezone_value,
    R.language_value, R.role_value,
]


def _row_parsers(data: str, folder: Path) -> Any:
    values = {name: data for name in ("c", "currency", "country", "timezone", "language", "role")}
    for parse in ROW_PARSERS:
        try:
            parse(values)
        except R.CellError:
            pass
    for currency in ("USD", "JPY", "BHD"):
        try:
            parse_amount(data, currency)
        except ValueError:  # the row parsers turn it into a CellError with the column
            pass


TARGETS: list[tuple[str, st.SearchStrategy, Callable[[Any, Path], Any]]] = [
    ("csv", csv_bytes, _read("input.csv")),
    ("xlsx", xlsx_bytes, _read("input.xlsx")),
    ("row-cells", cell_text, _row_parsers),
]


@pytest.mark.parametrize("name,strategy,parse", TARGETS, ids=[t[0] for t in TARGETS])
def test_untrusted_input_gives_rows_or_a_file_line_error_and_leaves_nothing(name, strategy, parse):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def run(data: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            try:
                parse(data, folder)
            except InvalidInput as exc:
                assert re.match(rf"^{re.escape(str(folder))}/input\.\w+(:\d+)?: \S", str(exc)), str(exc)
            left = sorted(p.name for p in folder.iterdir())
            assert left in ([], ["input.csv"], ["input.xlsx"]), left  # nothing written beside the input

    run()
