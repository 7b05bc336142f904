"""CSV files that open safely in a spreadsheet.

A cell starting with = + - @ (or a tab or carriage return) is read by Excel and LibreOffice as
a formula: a cancel reason typed as `=HYPERLINK(...)` would run when a manager opens the
export. Such text cells get a leading apostrophe (OWASP's advice), which the spreadsheet shows
as plain text. Numbers are written as they are; only text can carry a formula.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(out, header, rows) -> None:
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
