"""A bar chart's labels fit inside the picture however long they are (issue #22: the
dashboard's labels were cut off on the left)."""

import re

from radiology.pages.dashboard.charts import LABEL_CHAR_WIDTH, bar_chart


def test_a_long_label_starts_inside_the_chart():
    label = "Department: radiologist unavailable (sick leave)"

    svg = str(bar_chart([(label, 3), ("Other", 1)], title="Cancellations by reason"))

    x = float(re.search(r'<text x="([\d.]+)"[^>]*text-anchor="end">' + re.escape(label), svg).group(1))
    assert x - len(label) * LABEL_CHAR_WIDTH >= 0
    view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    bar_end = max(float(a) + float(b) for a, b in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg))
    assert bar_end <= view_width


def test_short_labels_keep_the_usual_layout():
    svg = str(bar_chart([("Booked", 2)], title="States"))

    assert 'viewBox="0 0 520 ' in svg
