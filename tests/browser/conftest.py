"""A real app served on loopback with the demo county, and a real Chromium driving it.

Chromium is Debian's (/usr/bin/chromium, installed by `make test`); Playwright's
own browser downloads cannot run here.
"""
import os
import threading
from contextlib import contextmanager

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from werkzeug.serving import make_server

from tracker import create_app
from tracker.extensions import db
from tracker.jobs import scheduler as job_scheduler

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "test-artifacts", "screenshots")
DEMO_PASSWORD = "demo12345"


def serve_demo(tmp_path_factory, name="live", later_period=True):
    """Serve the app with the demo county on its own SQLite file in a thread; yields the base URL.

    Tests that add tasks the shared demo's tests count start their own with this; `later_period`
    False leaves the demo's 前三季度 out, for tests that import it through the pages.
    """
    from flask_migrate import upgrade

    from tracker.seeding import demo

    db_file = tmp_path_factory.mktemp(name) / "live.sqlite3"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "UPLOAD_DIR": str(tmp_path_factory.mktemp(name + "-uploads")),
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        upgrade()
        demo.load_demo(later_period)
        db.session.remove()
    with serving(app) as base:
        yield base


@contextmanager
def serving(app):
    """Serve `app` on loopback in a thread, with the scheduler's tick beside it; yields the base URL.

    As in the single-process demo (`make run`): the tick runs the jobs page's "run now" requests
    (only the tick: the timed jobs would send on their own schedule).
    """
    app.config["SCHEDULER_TICK"] = 1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ticks = BackgroundScheduler()
    job_scheduler.add_ticks(app, ticks)
    ticks.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        ticks.shutdown(wait=True)
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with the demo county loaded, served on loopback for the whole session."""
    yield from serve_demo(tmp_path_factory)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium under Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make test`, which installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ])
        yield browser
        browser.close()


def _pages(browser, base):
    """Yield a function opening a page on `base`, logged in as a demo user when one is named; closes them after."""
    contexts = []

    def open_page(username=None, width=1366, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.goto(base + "/auth/login")
        if username:
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            page.click("#submit")
            page.wait_for_url(base + "/")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page_for(browser, live_server):
    """Open a logged-in page for a demo user: page_for("supervisor", width=1366)."""
    yield from _pages(browser, live_server)


def screenshot(page, name):
    """Save a full-page screenshot as a test artifact."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=True)


@pytest.fixture
def open_as(browser, own_server):
    """Open a logged-in page for a demo user on the module's own server (its `own_server` fixture)."""
    yield from _pages(browser, own_server)


def click_and_wait(page, locator):
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()
