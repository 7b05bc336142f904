"""Escaping for HTML built with f-strings on the day list's hot path (radiology.pages.workday.rows,
radiology.presentation.order_display): html.escape with quotes, without format_html's lazy-aware machinery,
which was most of a row's cost. Every database value in those fragments goes through esc()."""

from html import escape


def esc(value) -> str:
    return escape(str(value), quote=True)
