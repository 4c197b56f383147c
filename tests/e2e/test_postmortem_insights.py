"""Insights where the author writes, in a real browser: the similar past incidents and the recurrence warning beside
the factors, and a suggested category accepted and rejected in place (htmx), the page never reloaded."""

from __future__ import annotations

from playwright.sync_api import Browser

from afteraction.domain.reviews import FactorData
from tests.e2e.conftest import Server, screenshot, sign_in
from tests.web.pages.test_postmortem_insights import store


def test_the_author_answers_suggestions_in_place_beside_similar_incidents(chromium: Browser, server: Server):
    db = server.app.state.db
    store(db, 1, "Checkout connection pool exhausted after config change", days_ago=61,
          factors=[FactorData(text="A config change lowered the checkout connection pool limit",
                              category="config-change")],
          items=[("Validate the pool config before rollout", "prevent", "done")])  # fmt: skip
    store(db, 2, "Checkout connection pool exhausted again", days_ago=1,
          factors=[FactorData(text="The checkout connection pool limit was lowered by a config change"),
                   FactorData(text="No alert fired when checkout errors rose")])  # fmt: skip
    page = server.page(chromium)
    sign_in(page, server, "author")
    page.goto(server.url + "/incidents/INC-2/postmortem#factors")
    factors = page.locator("#factors")
    assert "whose prevent items were all done: did the fix work?" in factors.inner_text()
    assert factors.get_by_role("link", name="INC-1 Checkout connection pool exhausted after config change").count()
    screenshot(page, "postmortem-similar")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Accept: Monitoring gap for F2").click()
    page.get_by_text("F2 is now in the category Monitoring gap.").wait_for()
    page.get_by_role("button", name="Not this: Change / configuration for F1").click()
    page.get_by_text("Change / configuration will not be suggested for F1 again.").wait_for()
    assert page.evaluate("window.notReloaded") is True  # both answers swapped in place
    assert factors.get_by_role("button", name="Accept: Change / configuration for F1").count() == 0
    assert "Monitoring gap" in factors.locator("#factor-2 .badge.cat").inner_text()
