"""The day list at 1366 px for every role, measured in Chromium rather than judged by eye:
no header cell on two lines, no name cut off (the LATE outline included), the nav on one
line; printed, one A4 page per room, each with its room, date and header, and no legend or
live clock (issue #22)."""

import io

import pytest

from tests.browser.staff_support import DESKTOP, busy_day
from tests.factories import DEFAULT_PASSWORD, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A cell's lines: the distinct tops of its text's boxes (the cell's own height follows its row's).
LINES = """e => { const r = document.createRange(); r.selectNodeContents(e);
    const boxes = [...r.getClientRects()].filter(x => x.width > 1 && x.height > 1);
    return new Set(boxes.map(x => Math.round(x.top))).size; }"""
HEADERS_ON_ONE_LINE = f"""() => [...document.querySelectorAll('.day-table thead th')].filter(
    th => ({LINES})(th) > 1).map(th => th.innerText)"""
CELLS_WRAPPED = f"""() => [...document.querySelectorAll(
    '.day-table tbody td.one-line, .day-table tbody .patient-name, .day-table tbody .patient-meta, '
    + '.day-table tbody .team span, .day-table tbody .flow-clock')].filter(
    td => ({LINES})(td) > 1).map(td => td.innerText)"""
NAMES_CLIPPED = """() => [...document.querySelectorAll('.day-table tbody .patient-name, .day-timeline .who')].filter(
    e => e.scrollWidth > e.clientWidth + 1
        || e.getBoundingClientRect().right > e.parentElement.getBoundingClientRect().right + 1
).map(e => e.innerText)"""
NAV_TOPS = """() => [...new Set([...document.querySelectorAll('#nav .navbar-nav > .nav-item')].map(
    e => Math.round(e.getBoundingClientRect().top)))]"""


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_the_day_list_at_1366_px_has_one_line_headers_whole_names_and_a_one_line_nav_for_every_role(
    browser, live_server
):
    busy_day()
    # The manager who also works the day: the longest nav of all.
    StaffMemberFactory(manager=True, also=["technologist", "radiologist"], user__username="all", user__is_staff=True)
    found = {}
    for username in ("tech", "sched", "rad", "boss", "all"):
        context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/New_York")
        page = context.new_page()
        _log_in(page, live_server.url, username)
        page.goto(f"{live_server.url}/day/")
        page.wait_for_load_state("networkidle")
        found[username] = {
            "wrapped headers": page.evaluate(HEADERS_ON_ONE_LINE),
            "wrapped cells": page.evaluate(CELLS_WRAPPED),
            "clipped names": page.evaluate(NAMES_CLIPPED),
            "nav lines": len(page.evaluate(NAV_TOPS)),
            "names": page.locator(".day-table tbody .patient-name").count(),
        }
        context.close()
    measured = {
        u: (f["wrapped headers"], f["wrapped cells"], f["clipped names"], f["nav lines"]) for u, f in found.items()
    }
    assert measured == {u: ([], [], [], 1) for u in found}
    assert all(f["names"] == 9 for f in found.values())


def test_the_printed_day_list_is_one_a4_page_per_room_with_room_date_and_header_and_no_legend(browser, live_server):
    from pypdf import PdfReader

    day = busy_day()
    context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    _log_in(page, live_server.url, "tech")
    page.goto(f"{live_server.url}/day/")
    page.wait_for_load_state("networkidle")
    title = page.locator("h1").inner_text()
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    context.close()

    texts = [p.extract_text() for p in pdf.pages]
    rooms = [room.name for room in day["department"].rooms]
    assert len(texts) == len(rooms), texts
    date = title.removeprefix("Today, ")
    for room, text in zip(rooms, texts, strict=True):
        assert room in text and date in text
        assert "Time" in text and "Patient" in text and "Radiologist" in text
        assert "Legend" not in text and "Updated" not in text
        assert "waiting" not in text.lower() and "in room" not in text.lower()
