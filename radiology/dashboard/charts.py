"""Server-rendered SVG charts: no JavaScript, no CDN, and they print."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d"]


def bar_chart(items: list[tuple[str, float]], *, unit: str = "", width: int = 520, bar_height: int = 22) -> str:
    """Horizontal bars, labelled with their values: easy to read at a glance."""
    if not items:
        return mark_safe('<p class="text-muted">No data for this period.</p>')  # noqa: S308
    top = max(value for _, value in items) or 1
    label_width, gap = 170, 6
    plot = width - label_width - 60
    height = len(items) * (bar_height + gap) + gap
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="system-ui, sans-serif">'
    ]
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        length = max(value / top * plot, 1 if value else 0)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.7}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value}{unit}</title></rect>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height * 0.7}">{value:g}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def line_chart(
    series: dict[str, list[tuple[str, float]]], *, unit: str = "%", top: float = 100, width: int = 640
) -> str:
    """One line per series over shared x labels (e.g. days), 0 to `top` on the y axis."""
    points = [p for values in series.values() for p in values]
    if not points:
        return mark_safe('<p class="text-muted">No data for this period.</p>')  # noqa: S308
    labels = list(dict.fromkeys(label for label, _ in points))  # in the order given (days, not strings)
    height, left, bottom, right, head = 240, 40, 40, 10, 24
    plot_w, plot_h = width - left - right, height - bottom - head
    step = plot_w / max(len(labels) - 1, 1)
    x_of = {label: left + i * step for i, label in enumerate(labels)}

    def y_of(value):
        return head + plot_h - min(value, top) / top * plot_h

    parts = [
        f'<svg class="chart chart-line" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="system-ui, sans-serif">'
    ]
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
        colour = PALETTE[n % len(PALETTE)]
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
