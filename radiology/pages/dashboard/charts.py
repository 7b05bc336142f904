"""Server-rendered SVG charts: no JavaScript, no CDN, and they print.

Each chart is an image with a text alternative (its <title>, read by screen readers) that
says what every bar or line shows. Bars about appointment states take the flow colours
(radiology/flow.py) so a colour means the same on every page; other charts use NEUTRAL, a
colour no state uses, and the lines use SERIES (3:1 or better against white).
"""

import itertools

from django.utils.html import escape
from django.utils.safestring import mark_safe

NEUTRAL = "#3d4b5c"
SERIES = ["#3d4b5c", "#0b7285", "#7a5600", "#862e9c", "#5f3dc4"]
_ids = itertools.count(1)
# A generous average width of one character of the 12 px system font (capitals included).
LABEL_CHAR_WIDTH = 7.2


def _svg_open(css: str, width: int, height: int, font_size: int, alternative: str) -> str:
    title_id = f"chart-title-{next(_ids)}"
    return (
        f'<svg class="{css}" role="img" aria-labelledby="{title_id}" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{font_size}" font-family="system-ui, sans-serif">'
        f'<title id="{title_id}">{escape(alternative)}</title>'
    )


def bar_chart(
    items: list[tuple[str, float]],
    *,
    title: str = "Chart",
    unit: str = "",
    colours: list[str] | None = None,
    width: int = 520,
    bar_height: int = 22,
) -> str:
    """Horizontal bars, labelled with their values: easy to read at a glance."""
    if not items:
        return mark_safe('<p class="text-body-secondary">No data for this period.</p>')  # noqa: S308
    top = max(value for _, value in items) or 1
    gap = 6
    # The labels sit left of the bars, right-aligned: room for the longest one, or its start
    # falls off the picture's left edge ("…cellation reason").
    label_width = max(170, round(max(len(label) for label, _ in items) * LABEL_CHAR_WIDTH) + 12)
    plot = width - 170 - 60
    width = label_width + plot + 60
    height = len(items) * (bar_height + gap) + gap
    alternative = f"{title}: " + "; ".join(f"{label} {value:g}{unit}" for label, value in items) + "."
    parts = [_svg_open("chart", width, height, 12, alternative)]
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        length = max(value / top * plot, 1 if value else 0)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.7}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{colours[i] if colours else NEUTRAL}"><title>{escape(label)}: {value}{unit}</title></rect>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height * 0.7}">{value:g}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def line_chart(
    series: dict[str, list[tuple[str, float]]],
    *,
    title: str = "Chart",
    unit: str = "%",
    top: float = 100,
    width: int = 640,
) -> str:
    """One line per series over shared x labels (e.g. days), 0 to `top` on the y axis."""
    points = [p for values in series.values() for p in values]
    if not points:
        return mark_safe('<p class="text-body-secondary">No data for this period.</p>')  # noqa: S308
    labels = list(dict.fromkeys(label for label, _ in points))  # in the order given (days, not strings)
    height, left, bottom, right, head = 240, 40, 40, 10, 24
    plot_w, plot_h = width - left - right, height - bottom - head
    step = plot_w / max(len(labels) - 1, 1)
    x_of = {label: left + i * step for i, label in enumerate(labels)}

    def y_of(value):
        return head + plot_h - min(value, top) / top * plot_h

    summaries = []
    for name, values in series.items():
        if values:
            average = sum(v for _, v in values) / len(values)
            peak_label, peak = max(values, key=lambda p: p[1])
            summaries.append(f"{name}: average {average:.0f}{unit}, highest {peak:g}{unit} on {peak_label}")
    alternative = f"{title}, {labels[0]} to {labels[-1]}. " + "; ".join(summaries) + ". The table below has each day."
    parts = [_svg_open("chart chart-line", width, height, 11, alternative)]
    for tick in range(0, 101, 25):
        y = y_of(top * tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{top * tick / 100:g}{escape(unit)}</text>'
        )
    every = max(len(labels) // 10, 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x_of[label]:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    for n, (name, values) in enumerate(series.items()):
        colour = SERIES[n % len(SERIES)]
        path = " ".join(f"{x_of[label]:.1f},{y_of(value):.1f}" for label, value in values)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for label, value in values:
            parts.append(
                f'<circle cx="{x_of[label]:.1f}" cy="{y_of(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(label)}: {value:g}{escape(unit)}</title></circle>"
            )
        parts.append(
            f'<rect x="{left + n * 120}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + n * 120 + 14}" y="13">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
