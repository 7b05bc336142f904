import re

from radiology.pages.dashboard.charts import bar_chart, line_chart


def test_a_line_chart_keeps_the_days_in_the_order_given_not_alphabetical():
    svg = line_chart({"Mammo 1": [("30 Nov", 10.0), ("01 Dec", 50.0), ("02 Dec", 20.0)]})
    xs = {
        label: float(x) for x, label in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]+)<', svg)
    }
    assert xs["30 Nov"] < xs["01 Dec"] < xs["02 Dec"]


def test_a_bar_chart_escapes_its_labels_and_shows_each_value():
    svg = bar_chart([("<b>Unwell</b>", 3), ("Travel", 1)])
    assert "<b>" not in svg and "&lt;b&gt;Unwell" in svg
    assert ">3<" in svg and ">1<" in svg


def test_an_empty_chart_says_so():
    assert "No data for this period." in bar_chart([])
    assert "No data for this period." in line_chart({})
