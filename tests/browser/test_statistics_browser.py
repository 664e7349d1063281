"""The public statistics in a real Chromium, in Chinese and Portuguese, on a phone and a
desktop: axe-core finds nothing (figures, the filter used without JavaScript, a refused
filter), the charts' text stays readable on a phone, and the filter works by its form."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_axe_browser import TIMEOUT_MS, Audit, axe_source
from tests.test_html_valid import statistics_counts

pytestmark = pytest.mark.browser


@pytest.mark.markup
@pytest.mark.parametrize("lang", ["zh", "pt"])
@pytest.mark.parametrize("width", [412, 1280])
def test_statistics_pass_axe_and_filter_without_javascript(browser, live_server, lang, width):
    statistics_counts(live_server.app)
    context = browser.new_context(locale=lang, viewport={"width": width, "height": 900},
                                  bypass_csp=True, java_script_enabled=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    audit = Audit(page, axe_source())
    try:
        page.goto(f"{live_server}/{lang}/statistics")
        expect(page.locator("figure.chart svg")).to_have_count(3)
        audit("statistics")
        # The charts' words are at least 10 CSS pixels high, on a phone too.
        label = page.locator("figure.chart svg text").first.bounding_box()
        assert label["height"] >= 10, label
        # A county, then one of its services: the page's own form, sent by GET.
        page.select_option("#f-county", "wencheng")
        page.locator("form.stats-filter button[type=submit]").click()
        expect(page.locator("#f-item optgroup").first).to_be_attached()
        page.select_option("#f-item", "JJ-JZ-001")
        page.select_option("#f-point", "online")
        page.locator("form.stats-filter button[type=submit]").click()
        assert "item=JJ-JZ-001" in page.url and "point=online" in page.url
        audit("statistics-filtered")
        page.goto(f"{live_server}/{lang}/statistics?from=2026-13")
        expect(page.locator(".error-summary")).to_be_visible()
        audit("statistics-400")
    finally:
        context.close()
    assert audit.checked == ["statistics", "statistics-filtered", "statistics-400"]
    assert not audit.violations, "\n".join(
        f"{name}: {v}" for name, found in audit.violations.items() for v in found)
