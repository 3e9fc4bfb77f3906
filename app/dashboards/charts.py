"""Small SVG charts drawn on the server: no chart library, readable without colour and in print.

Each chart is an <svg role="img"> with a <title> and <desc>, and every bar carries its own
<title> (shown on hover, read by screen readers) and its value printed beside it.
"""
from html import escape

from markupsafe import Markup

from app.core.text import format_number


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    step = 10 ** (len(str(value)) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * step:
            return int(m * step)
    return value


def columns(points: list[tuple], *, title: str, desc: str, unit: str = "hoạt động",
            chart_id: str = "chart") -> Markup:
    """Vertical bars (e.g. activities per month), labels under the bars, values above them.
    A point is (axis label, value) or (axis label, value, longer label for the bar's title)."""
    width, height, left, bottom, top = 480, 220, 40, 30, 22
    n = max(len(points), 1)
    slot = (width - left - 8) / n
    bar = max(min(slot * 0.7, 48), 4)
    top_value = _nice_max(max((p[1] for p in points), default=0))
    plot_h = height - top - bottom
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'preserveAspectRatio="xMidYMid meet">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
    ticks = 4 if top_value % 4 == 0 else 5
    for i in range(ticks + 1):
        v = top_value * i / ticks
        y = top + plot_h - plot_h * i / ticks
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{format_number(round(v))}</text>')
    every = 1 if n <= 12 else (2 if n <= 24 else 3)
    for i, (label, value, *full) in enumerate(points):
        x = left + slot * i + (slot - bar) / 2
        h = plot_h * value / top_value if top_value else 0
        y = top + plot_h - h
        parts.append(f'<g><title>{escape(full[0] if full else label)}: {format_number(value)} {escape(unit)}</title>'
                     f'<rect class="col" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
        if value and n <= 24:
            parts.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                         f'{format_number(value)}</text>')
        parts.append('</g>')
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    parts.append(f'<line class="base" x1="{left}" x2="{width - 4}" y1="{top + plot_h}" y2="{top + plot_h}"/></svg>')
    return Markup("".join(parts))


def bars(points: list[tuple[str, int]], *, title: str, desc: str, unit: str = "hoạt động",
         chart_id: str = "types") -> Markup:
    """Horizontal bars, each with its label above it and its value at its end (fits a phone)."""
    width, row = 480, 42
    height = max(len(points), 1) * row + 4
    top_value = max((v for _, v in points), default=0) or 1
    span = width - 60
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
    for i, (label, value) in enumerate(points):
        y = 2 + i * row
        w = span * value / top_value
        parts.append(f'<g><title>{escape(label)}: {format_number(value)} {escape(unit)}</title>'
                     f'<text class="label" x="0" y="{y + 15}">{escape(label)}</text>'
                     f'<rect class="col" x="0" y="{y + 21}" width="{max(w, 1):.1f}" height="14"/>'
                     f'<text class="value" x="{w + 6:.1f}" y="{y + 33}">{format_number(value)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
