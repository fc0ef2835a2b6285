"""The portfolio report as files: a PDF (HTML with server-drawn SVG charts, printed by WeasyPrint) and an XLSX
workbook (one sheet per section, amounts as numbers with the currency beside them)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from arcollect.charts import bucket_bars, line_chart
from arcollect.export_cells import xlsx_append
from arcollect.money import format_money, quantize
from arcollect.pdf import html_to_pdf
from arcollect.reports.portfolio import Portfolio, Section

TEMPLATES = Path(__file__).with_name("templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(section: Section, row: list[Any], i: int) -> str:
    value = row[i]
    if i in section.money and isinstance(value, Decimal) and section.currency_col is not None:
        return format_money(value, row[section.currency_col])
    if isinstance(value, Decimal):
        return f"{value:,}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda amount, currency: format_money(amount, currency)
    env.globals["cell"] = _cell
    return env


def to_html(p: Portfolio, *, company: str, zone: str) -> str:
    charts = {c.currency: (bucket_bars(c.buckets, c.currency, width=520, height=200),
                           line_chart(p.trend_dates, {c.currency: c.trend}, f"Past due by month end, {c.currency}",
                                      width=520, height=180, last_label=p.as_of.strftime("%d %b").lstrip("0")))
              for c in p.currencies}
    return _environment().get_template("portfolio.html").render(p=p, charts=charts, company=company, zone=zone)


def to_pdf(p: Portfolio, *, company: str, zone: str) -> bytes:
    return html_to_pdf(to_html(p, company=company, zone=zone))


def to_xlsx(p: Portfolio, *, company: str, zone: str) -> bytes:
    """Sheets: Summary (aging per currency and the past-due trend), then one per section."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    xlsx_append(summary, [f"Portfolio report — {p.who}", company])
    xlsx_append(summary, ["As of", p.as_of.isoformat(), "Generated", f"{p.generated_at:%Y-%m-%d %H:%M} {zone}"])
    xlsx_append(summary, [])
    head = ["Currency", "Open receivables", "Past due", "% current", "In dispute", "Unapplied cash",
            "Accounts", "Accounts past due", *[b for b, _ in (p.currencies[0].buckets if p.currencies else [])]]
    for cell in xlsx_append(summary, head):
        cell.font = bold
    for c in p.currencies:
        xlsx_append(summary, [c.currency, c.total, c.past_due, c.percent_current, c.disputed, c.unapplied_cash,
                              c.accounts, c.accounts_past_due, *[v for _, v in c.buckets]])
    xlsx_append(summary, [])
    for cell in xlsx_append(summary, ["Past due at month end", *[d.isoformat() for d in p.trend_dates]]):
        cell.font = bold
    for c in p.currencies:
        xlsx_append(summary, [c.currency, *c.trend])
    for currency, amount in sorted(p.unidentified_cash.items()):
        xlsx_append(summary, ["Unidentified cash", currency, quantize(amount, currency)])
    for s in p.sections:
        sheet = book.create_sheet(s.title[:31])
        xlsx_append(sheet, [s.explain])
        for cell in xlsx_append(sheet, s.columns):
            cell.font = bold
        for row in s.rows:
            cells = xlsx_append(sheet, [v.isoformat() if hasattr(v, "isoformat") else v for v in row])
            for i in s.money:
                cells[i].number_format = "#,##0.00"
        if not s.rows:
            xlsx_append(sheet, ["(none)"])
    for sheet in book.worksheets:
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None and c.row > 1), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 48)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
