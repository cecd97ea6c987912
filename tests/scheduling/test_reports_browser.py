"""The reports page in a real browser, with a screenshot for a person to look at."""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium); CI installs it and never skips.",
)


@pytest.fixture
def session_cookie(client, member, report_data, live_server):
    # Everything that touches the database happens before the browser
    # starts: Playwright's event loop makes Django refuse queries from here.
    client.force_login(member)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def test_reports_page_renders_charts_and_tables(live_server, session_cookie):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    requested = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.add_cookies([session_cookie])
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))

        page.goto(f"{live_server.url}/reports/acme/?start=2026-03-02&end=2026-03-15")
        tiles = {
            name: page.locator(f'[data-figure="{name}"]').inner_text()
            for name in ("made", "total", "no_show_rate", "cancellation_rate")
        }
        heat_cells = page.locator("#heatmap svg rect").count()
        weekly_bars = page.locator("#weekly svg rect").count()
        reason = page.locator("#reasons tbody tr").first.inner_text()
        page.locator("#lead-times details summary").click()
        lead_rows = page.locator("#lead-times details tbody tr").count()
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.tile')).backgroundColor"
        )
        page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)

        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
        operations = page.locator(".swagger-ui .opblock").count()
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=True)
        browser.close()

    assert tiles == {
        "made": "5",
        "total": "8",
        "no_show_rate": "33%",
        "cancellation_rate": "38%",
    }
    assert heat_cells == 7 * 24
    # Week 1: completed and no-show; week 2: canceled and the rest.
    assert weekly_bars == 4
    assert reason.split("\t") == ["Host ill", "2"]
    assert lead_rows == 7
    # The stylesheet was served and applied.
    assert background == "rgb(255, 255, 255)"
    assert operations >= 8
    # Nothing was fetched from anywhere but this site.
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested
