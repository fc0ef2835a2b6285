"""The reporting-currency figures of the metrics and the roll-forward (pure): each currency's figures
converted at the one rate ``arcollect.fx`` chose for it as of the report's end date, then added up.

One rate per currency for every line (the closing rate of the period's end) keeps the definitions intact:
the converted ratios (DSO, CEI, …) are computed from the converted sums with the same formulas, and the
converted roll-forward still ties. Money is converted exactly and rounded once, on output; the
roll-forward's lines are rounded one by one, so a ``rounding`` line (a cent or two at most) closes them.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any, Iterable, Sequence

from arcollect.fx import Reporting
from arcollect.money import money_str, quantize
from arcollect.reports import metrics as M
from arcollect.reports import rollforward as RF

ZERO = Decimal(0)


def convert_figures(f: M.Figures, rep: Reporting) -> M.Figures:
    """The figures in the reporting currency (counts unchanged, money × the currency's rate, exactly)."""
    rate = rep.rates[f.currency].rate
    out = M.Figures(currency=rep.currency)
    for fld in fields(f):
        value = getattr(f, fld.name)
        if fld.name == "currency":
            continue
        if fld.name == "countback_sales":
            out.countback_sales = [v * rate for v in value]
        elif isinstance(value, Decimal):
            setattr(out, fld.name, value * rate)
        else:
            setattr(out, fld.name, value)
    return out


def metrics_rows(groups: Iterable[tuple[str, str | None, M.Figures]], rep: Reporting, days: int,
                 countback_days: Sequence[int]) -> list[dict[str, Any]]:
    """One row per group (key, name) in the reporting currency: the sum of its currencies' converted figures."""
    summed: dict[str, tuple[str | None, M.Figures]] = {}
    for key, name, f in groups:
        converted = convert_figures(f, rep)
        if key in summed:
            summed[key][1].add(converted)
        else:
            summed[key] = (name, converted)
    return [M.metrics_row(key, f, days, countback_days, name=name) for key, (name, f) in summed.items()]


def rollforward_total(totals: Iterable[RF.RollForward], rep: Reporting) -> dict[str, Any]:
    """The book's roll-forward in the reporting currency: each line converted and rounded; ``rounding`` is
    what the rounding of the lines leaves (closing − the computed closing), so that the lines still tie."""
    exact = {line: ZERO for line in RF.LINES}
    for r in totals:
        rate = rep.rates[r.currency].rate
        for line in RF.LINES:
            exact[line] += getattr(r, line) * rate
    cur = rep.currency
    rounded = RF.RollForward(currency=cur, **{line: quantize(exact[line], cur) for line in RF.LINES})
    row = RF.to_json("total", rounded)
    row["rounding"] = money_str(rounded.difference, cur)
    whole = RF.RollForward(currency=cur, **exact)
    row["ties"] = whole.ties  # exactly converted (before rounding) the lines tie when each currency's do
    return row
