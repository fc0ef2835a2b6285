"""Matching and closed months on both databases: a line booked in a closed month can be neither applied nor
proposed for applying (its payment would be dated there), so ``cash match`` leaves it as it is and counts it —
it is no error repeated on every run — while the lines of open months are matched as usual."""

from __future__ import annotations

import datetime as dt
import json

from arcollect.cashapp import service as cash
from arcollect.periods import service as periods
from tests.cashapp.book import book, credit, statement
from tests.cashapp.standin import standin_match
from tests.cashapp.test_service import TODAY, _by_ref

OCTOBER = dt.date(2026, 10, 20)


def test_lines_booked_in_a_closed_month_are_skipped_quietly_with_a_count(ctx, tmp_path, cli):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(*(credit("400.00", f"OCT{n}", "INV-2", payer="Acme Corp",
                                                              day=OCTOBER) for n in range(3)), statement_id="OCT")],
                          filename="october", sha256="o" * 64)
    cash.store_statements(ctx, statements=[statement(credit("250.00", "NOV", "INV-3", payer="Beta GmbH", day=TODAY),
                                                     statement_id="NOV")], filename="november", sha256="n" * 64)
    periods.close_period(ctx, month="2026-10")
    for _ in range(2):  # every run: the same count, no errors
        done = cash.match(ctx, as_of=TODAY, matcher=standin_match)
        assert done["skipped_closed"] == 3 and done["errors"] == []
    assert done["lines"] == 0  # the November line was applied by the first run
    assert _by_ref(ctx, "NOV")["status"] == "applied"
    assert {_by_ref(ctx, f"OCT{n}")["status"] for n in range(3)} == {"unmatched"}
    r = cli("cash", "match", "--as-of", TODAY.isoformat())
    assert r.exit_code == 0 and "3 lines in closed months skipped" in r.stdout and "closed" not in r.stderr
    as_json = json.loads(cli("cash", "match", "--as-of", TODAY.isoformat(), "--json").stdout)
    assert as_json["skipped_closed"] == 3 and as_json["errors"] == []
