"""Charts for the leaders' dashboard, drawn on the server as inline SVG (no JavaScript, no CDN).

Each function returns markup ready for a template. Every value drawn is also written, unrounded
further, in a `data-values` attribute, so what a chart shows can be checked against the API.
"""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOURS = ("#a5161d", "#1f5fa8", "#1d7a3a", "#c98a00", "#6b3fa0", "#0f7c85", "#7a4b1d")


def shown(value: Decimal | None) -> str:
    """A rate as the page writes it: two decimals in the active language (44,44), or —."""
    return "—" if value is None else number_format(value, 2)


def raw(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def line_chart(points, *, title: str, key: str, width: int = 360, height: int = 150):
    """`points`: [(label, value 0-100 or None)]. A line over the points that have a value."""
    left, right, top, bottom = 34, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)
    step = plot_w / max(n - 1, 1)

    def x(i):
        return left + (i * step if n > 1 else plot_w / 2)

    def y(value):
        return top + plot_h * (1 - float(value) / 100)

    parts = [
        f'<svg class="chart line" viewBox="0 0 {width} {height}" role="img" '
        f'data-chart="{escape(key)}" data-values="{",".join(raw(v) for _l, v in points)}" '
        f'aria-label="{escape(title)}">'
    ]
    for level in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            f'class="grid"/><text x="{left - 4}" y="{y(level) + 4:.1f}" class="axis" '
            f'text-anchor="end">{level}</text>'
        )
    segment = []
    segments = [segment]
    for i, (_label, value) in enumerate(points):
        if value is None:
            segment = []
            segments.append(segment)
        else:
            segment.append(f"{x(i):.1f},{y(value):.1f}")
    for each in segments:
        if len(each) > 1:
            parts.append(f'<polyline points="{" ".join(each)}" class="series"/>')
    for i, (label, value) in enumerate(points):
        if value is not None:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.6" class="dot">'
                f"<title>{escape(label)}: {shown(value)}</title></circle>"
            )
    labelled = {0, n - 1} | ({n // 2} if n > 4 else set())
    for i in sorted(labelled):
        if 0 <= i < n:
            anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 6}" class="axis" text-anchor="{anchor}">'
                f"{escape(points[i][0])}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(rows, *, key: str, width: int = 560, bar: int = 18):
    """`rows`: [(label, value 0-100 or None, href or None)], drawn as horizontal bars."""
    label_w, value_w, gap = 190, 52, 6
    plot_w = width - label_w - value_w
    height = max(len(rows), 1) * (bar + gap) + gap
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'data-chart="{escape(key)}" data-values="{",".join(raw(v) for _l, v, _h in rows)}">'
    ]
    for i, (label, value, href) in enumerate(rows):
        top = gap + i * (bar + gap)
        text = escape(label if len(label) <= 30 else label[:29] + "…")
        name = f'<text x="{label_w - 6}" y="{top + bar - 5}" text-anchor="end">{text}</text>'
        if href:
            name = f'<a href="{escape(href)}">{name}</a>'
        length = 0 if value is None else plot_w * float(value) / 100
        parts.append(
            f'{name}<rect x="{label_w}" y="{top}" width="{length:.1f}" height="{bar}" '
            f'class="bar"><title>{escape(label)}: {shown(value)}</title></rect>'
            f'<text x="{label_w + length + 4:.1f}" y="{top + bar - 5}" class="value">'
            f"{shown(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grouped_bars(groups, series, *, key: str, width: int = 640, height: int = 190):
    """`groups`: [(label, [value per series])]; `series`: the series' names (the legend)."""
    left, top, bottom = 30, 10, 40
    plot_w, plot_h = width - left - 6, height - top - bottom
    slot = plot_w / max(len(groups), 1)
    bar = min(26.0, max(4.0, (slot - 12) / max(len(series), 1)))
    values = [raw(v) for _label, vs in groups for v in vs]
    parts = [
        f'<svg class="chart grouped" viewBox="0 0 {width} {height}" role="img" '
        f'data-chart="{escape(key)}" data-values="{",".join(values)}">'
    ]
    for level in (0, 50, 100):
        level_y = top + plot_h * (1 - level / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - 6}" y1="{level_y:.1f}" y2="{level_y:.1f}" '
            f'class="grid"/><text x="{left - 4}" y="{level_y + 4:.1f}" class="axis" '
            f'text-anchor="end">{level}</text>'
        )
    for g, (label, vs) in enumerate(groups):
        start = left + g * slot + 6
        for s, value in enumerate(vs):
            if value is None:
                continue
            h = plot_h * float(value) / 100
            parts.append(
                f'<rect x="{start + s * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(label)} — {escape(series[s])}: {shown(value)}</title></rect>"
            )
        text = escape(label if len(label) <= 26 else label[:25] + "…")
        parts.append(
            f'<text x="{start + bar * len(series) / 2:.1f}" y="{height - bottom + 14}" '
            f'class="axis" '
            f'text-anchor="middle">{text}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
