"""Playwright driving Debian's chromium against Django's live server.

Screenshots go to test-output/screenshots/ (tests/browser/screenshots.py; `make screenshots`
refreshes the ones the docs show in docs/screenshots/). Locally, without /usr/bin/chromium, browser
tests skip; in CI they fail (see tests/conftest.py).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from tests.conftest import IN_CI

    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"chromium not found at {CHROMIUM} (required in CI)", pytrace=False)
        pytest.skip(f"chromium not found at {CHROMIUM}")
    # Playwright's sync API runs an event loop; Django must allow sync DB calls beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Inside that loop Django hands out new connection objects (asgiref Local) that lack the
    # serialized test data; transactional tests after this would lose the role groups and
    # the catalog on their rollback. Carry the data over.
    saved = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with sync_playwright() as playwright:
        for alias, contents in saved.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    from tests.browser.screenshots import scratch_folder

    return scratch_folder()


@pytest.fixture
def login(live_server):
    """login(page, username): log in through the real login form."""
    from tests.factories import DEFAULT_PASSWORD

    def _login(page, username, password=DEFAULT_PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return _login
