"""Server-rendered SVG charts (no JavaScript, nothing fetched): bars by bucket, lines over time. Pure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape

from arcollect.money import format_money

BUCKET_COLOURS = ["#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a", "#4e342e"]
LINE_COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a"]


def _nice_max(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    step = Decimal(10) ** exponent
    for m in (1, 2, 2.5, 5, 10):
        top = step * Decimal(str(m))
        if top >= value:
            return top
    return step * 10


def bucket_bars(buckets: list[tuple[str, Decimal]], currency: str, width: int = 520, height: int = 220) -> str:
    """A bar per aging bucket, labelled with its amount; colours go from current (green) to oldest."""
    pad_l, pad_b, pad_t = 8, 34, 22
    n = max(len(buckets), 1)
    top = _nice_max(max((v for _, v in buckets), default=Decimal(0)))
    slot = (width - pad_l * 2) / n
    plot_h = height - pad_b - pad_t
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="Open amount by aging bucket, {escape(currency)}">']
    parts.append(f"<title>Open amount by aging bucket ({escape(currency)})</title>")
    for i, (name, value) in enumerate(buckets):
        h = float(value / top) * plot_h if value > 0 else 0.0
        x = pad_l + i * slot + slot * 0.12
        y = pad_t + plot_h - h
        colour = BUCKET_COLOURS[min(i, len(BUCKET_COLOURS) - 1)]
        label = format_money(value, currency)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" fill="{colour}">'
                     f"<title>{escape(name)}: {escape(label)}</title></rect>")
        parts.append(f'<text x="{x + slot * 0.38:.1f}" y="{max(y - 5, 12):.1f}" text-anchor="middle" '
                     f'class="chart-value">{escape(_short(value))}</text>')
        parts.append(f'<text x="{x + slot * 0.38:.1f}" y="{height - pad_b + 16:.1f}" text-anchor="middle" '
                     f'class="chart-label">{escape(name)}</text>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_l}" y2="{pad_t + plot_h}" '
                 f'stroke="#999" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def _short(value: Decimal) -> str:
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.1f}M"
    if v >= 1_000:
        return f"{sign}{v / 1_000:.0f}k"
    return f"{sign}{v:.0f}"


def _spread(ys: list[float], gap: float, bottom: float) -> list[float]:
    """Label positions near ``ys`` (same order), at least ``gap`` apart and not below ``bottom``, so
    the end labels of lines that finish close together stay readable."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed: dict[int, float] = {}
    last = float("-inf")
    for i in order:
        placed[i] = last = max(ys[i], last + gap)
    last = float("inf")
    for i in reversed(order):
        placed[i] = last = min(placed[i], bottom, last - gap)
    return [placed[i] for i in range(len(ys))]


def _frame(width: int, height: int, title: str, pad_l: float, pad_t: float, plot_w: float, plot_h: float,
           low: Decimal, span: Decimal) -> list[str]:
    """The opening of a chart's SVG: its title and three grid lines labelled low, middle and top."""
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for frac in (0, 0.5, 1):
        y = pad_t + plot_h - plot_h * frac
        parts.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{pad_l + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{pad_l - 4}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">'
                     f"{escape(_short(low + span * Decimal(str(frac))))}</text>")
    return parts


def line_chart(dates: list[dt.date], series: dict[str, list[Decimal]], title: str,
               width: int = 520, height: int = 200, last_label: str = "today") -> str:
    """One line per series (e.g. per currency) over the dates, with the last value labelled; the last date is
    called ``last_label``."""
    pad_l, pad_r, pad_b, pad_t = 44, 70, 28, 14
    values = [v for points in series.values() for v in points]
    top = _nice_max(max(values, default=Decimal(0)))
    low = min(Decimal(0), min(values, default=Decimal(0)))
    span = top - low or Decimal(1)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max(len(dates) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return pad_l + plot_w * i / n, pad_t + plot_h - float((v - low) / span) * plot_h

    parts = _frame(width, height, title, pad_l, pad_t, plot_w, plot_h, low, span)
    for i, d in enumerate(dates):
        if i in (0, len(dates) - 1) or len(dates) <= 8:
            x, _ = xy(i, low)
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="chart-label">'
                         f"{d.strftime('%b %y') if i < len(dates) - 1 else escape(last_label)}</text>")
    ends = _spread([xy(len(points) - 1, points[-1])[1] for _, points in sorted(series.items()) if points], gap=12,
                   bottom=pad_t + plot_h)
    for k, (name, points) in enumerate(sorted(series.items())):
        colour = LINE_COLOURS[k % len(LINE_COLOURS)]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(points)))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        for i, v in enumerate(points):
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                         f"<title>{name} {dates[i].isoformat()}: {escape(format_money(v, name))}</title></circle>")
        if points:
            x, y = xy(len(points) - 1, points[-1])[0], ends.pop(0)
            parts.append(f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" class="chart-value" fill="{colour}">'
                         f"{escape(name)} {escape(_short(points[-1]))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[float | None], label: str, width: int = 72, height: int = 22) -> str:
    """A small line of a ratio over the months (gaps where it is undefined), the last point marked."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1.0
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return 2 + (width - 4) * i / n, height - 3 - (v - low) / span * (height - 6)

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
    x, y = xy(*points[-1])
    shown = ", ".join("–" if v is None else f"{v:g}" for v in values)
    return (f'<svg class="spark" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{escape(label)}: {escape(shown)}"><title>{escape(label)}: {escape(shown)}</title>'
            f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{coords}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#1565c0"/></svg>')


def pareto_bars(items: list[tuple[str, Decimal]], currency: str, title: str, width: int = 520) -> str:
    """Horizontal bars, largest first, with each one's share and the running share (a Pareto chart)."""
    items = sorted(items, key=lambda p: -p[1])
    total = sum((v for _, v in items), Decimal(0))
    row_h, pad_l, pad_r = 24, 170, 190
    height = row_h * max(len(items), 1) + 10
    top = max((v for _, v in items), default=Decimal(0)) or Decimal(1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    running = Decimal(0)
    for i, (name, value) in enumerate(items):
        running += value
        y = 5 + i * row_h
        w = float(value / top) * (width - pad_l - pad_r)
        share = value / total * 100 if total else Decimal(0)         # percentages, kept Decimal
        cumulative = running / total * 100 if total else Decimal(0)
        parts.append(f'<text x="{pad_l - 6}" y="{y + 15}" text-anchor="end" class="chart-label">{escape(name)}</text>')
        parts.append(f'<rect x="{pad_l}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="#c62828">'
                     f"<title>{escape(name)}: {escape(format_money(value, currency))} ({share:.1f} %)</title></rect>")
        parts.append(f'<text x="{pad_l + w + 6:.1f}" y="{y + 15}" class="chart-value">'
                     f"{escape(_short(value))} · {share:.0f} % · Σ {cumulative:.0f} %</text>")
    parts.append("</svg>")
    return "".join(parts)


def band_chart(starts: list[dt.date], expected: list[Decimal], low: list[Decimal], high: list[Decimal],
               currency: str, title: str, width: int = 620, height: int = 220) -> str:
    """Expected amounts per period as bars, with the low–high band drawn as a shaded area around them: the
    cash forecast. Each bar's tooltip gives the week and its three figures."""
    pad_l, pad_r, pad_b, pad_t = 48, 12, 28, 14
    top = _nice_max(max([*high, *expected], default=Decimal(0)))
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max(len(starts), 1)
    slot = plot_w / n

    def y(v: Decimal) -> float:
        return pad_t + plot_h - float(v / top) * plot_h

    parts = _frame(width, height, title, pad_l, pad_t, plot_w, plot_h, Decimal(0), top)
    if starts:
        centre = [pad_l + slot * (i + 0.5) for i in range(len(starts))]
        upper = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(centre, high))
        lower = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in reversed(list(zip(centre, low))))
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="#1565c0" fill-opacity="0.15" stroke="none">'
                     f"<title>low–high band</title></polygon>")
    for i, (start, e, lo, hi) in enumerate(zip(starts, expected, low, high)):
        x = pad_l + slot * i + slot * 0.2
        top_y = y(e)
        tip = (f"week of {start.isoformat()}: expected {format_money(e, currency)} "
               f"(low {format_money(lo, currency)}, high {format_money(hi, currency)})")
        parts.append(f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{slot * 0.6:.1f}" height="{pad_t + plot_h - top_y:.1f}" '
                     f'fill="#1565c0"><title>{escape(tip)}</title></rect>')
        if i in (0, len(starts) - 1) or i % 4 == 0:
            parts.append(f'<text x="{pad_l + slot * (i + 0.5):.1f}" y="{height - 8}" text-anchor="middle" '
                         f'class="chart-label">{start.strftime("%d %b")}</text>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}" stroke="#999"/>')
    parts.append("</svg>")
    return "".join(parts)
