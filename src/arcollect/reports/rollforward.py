"""The AR roll-forward (pure): opening + invoiced − credited − collected − written off ± adjustments =
closing, per currency and group, with opening = ar_start and closing = ar_end of the metrics.

``credited``, ``collected`` and ``written_off`` are the credit notes, payments and write-offs applied to
invoices with an application date in the period (reversals are negative applications: they count
against their kind). ``adjustments`` are applications dated before the period on invoices issued in
it (back-dated documents), which lower the AR from the invoice's issue on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from arcollect.money import money_str

ZERO = Decimal(0)
LINES = ("opening", "invoiced", "credited", "collected", "written_off", "adjustments", "closing")


@dataclass
class RollForward:
    currency: str
    opening: Decimal = ZERO
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    collected: Decimal = ZERO
    written_off: Decimal = ZERO
    adjustments: Decimal = ZERO
    closing: Decimal = ZERO

    @property
    def computed_closing(self) -> Decimal:
        """opening + invoiced − credited − collected − written_off + adjustments."""
        return (self.opening + self.invoiced - self.credited - self.collected - self.written_off
                + self.adjustments)

    @property
    def difference(self) -> Decimal:
        """closing − computed closing: zero when the roll-forward ties."""
        return self.closing - self.computed_closing

    @property
    def ties(self) -> bool:
        return self.difference == 0

    def add(self, other: "RollForward") -> None:
        for f in fields(self):
            if f.name != "currency":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def to_json(key: str, r: RollForward, name: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key}
    if name is not None:
        row["name"] = name
    row["currency"] = r.currency
    row.update({line: money_str(getattr(r, line), r.currency) for line in LINES})
    row["ties"] = r.ties
    return row
