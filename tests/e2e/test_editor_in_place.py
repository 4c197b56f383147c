"""The post-mortem editor without page loads, in real headless Chromium: a six-why tree with a branch and a root
cause, lessons, an action item deleted with its reason and a custom section, all changed in place (htmx) after the
page's one load; and the same why-tree with JavaScript off, through plain form posts."""

from __future__ import annotations

from typing import Any

from afteraction.core.actor import Actor
from afteraction.domain.incidents import NewIncident
from afteraction.domain.reviews import SectionData
from afteraction.reviews.sections import get_whys, replace_extra_sections
from afteraction.reviews.workflow import review_state
from afteraction.usecases.incidents import create_incident
from tests.e2e.conftest import FLAGS, Server, expect, sign_in

SYSTEM = Actor.system()
CHAIN = (
    "Checkout pods ran out of database connections",
    "The pool size fell from 50 to the shared default of 5",
    "The service's own pool setting was dropped in a config refactor",
    "The refactor's review did not compare effective settings",
    "Effective settings are not rendered anywhere a reviewer can see",
    "The config tool has no diff of effective settings",
)
BRANCH = "Load tests run with a hand-set pool size, so they could not catch it"
assert FLAGS  # the browser of conftest: Debian's Chromium, headless


def _incident(server: Server) -> str:
    db = server.app.state.db
    incident = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Checkout returned 502s", severity="SEV2"), allowed_severities=["SEV2"]
    ).id
    replace_extra_sections(  # as the import of a document with an Attendees section leaves it
        db, actor=SYSTEM, incident_id=incident, items=[SectionData(heading="Attendees", body="- Dave\n- Priya")]
    )
    return incident


def _count_loads(page: Any) -> list[str]:
    """The addresses of every load of the page's main frame from now on."""
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def _build_tree(page: Any, *, wait: bool) -> None:
    """The six-why chain (W1 to W1.1.1.1.1.1), a branch under W1 (W1.2), and the deepest why marked a root cause."""
    page.get_by_text("Add a branch from the problem").click()
    page.get_by_label("Why did the problem happen?").fill(CHAIN[0])
    page.get_by_role("button", name="Add the branch").click()
    page.locator('[id="why-1"]').wait_for()
    parent = "1"
    for text in CHAIN[1:]:
        page.get_by_text(f"Add a why under W{parent}", exact=True).click()
        page.get_by_label(f"Why did W{parent} happen?").fill(text)
        page.locator(f'[id="why-{parent}"] > .why-card').get_by_role("button", name="Add the why").click()
        parent += ".1"
        page.locator(f'[id="why-{parent}"]').wait_for()
    page.get_by_text("Add a why under W1", exact=True).click()
    page.get_by_label("Why did W1 happen?").fill(BRANCH)
    page.locator('[id="why-1"] > .why-card').get_by_role("button", name="Add the why").click()
    page.locator('[id="why-1.2"]').wait_for()
    deepest = page.locator(f'[id="why-{parent}"] > .why-card')
    deepest.get_by_role("button", name="Mark as root cause").click()
    expect(page.locator(f'[id="why-{parent}"] > .why-card .badge.root')).to_have_text("root cause")
    if wait:
        expect(page.locator(".flash-ok")).to_have_text(f"W{parent} is marked as a root cause.")


def _check_tree(server: Server, incident: str) -> None:
    nodes = get_whys(server.app.state.db, actor=SYSTEM, incident_id=incident).nodes
    chain, node = [], nodes[0]
    while True:
        chain.append(node.text)
        if not node.children:
            break
        node = node.children[0]
    assert tuple(chain) == CHAIN and node.root_cause
    assert [child.text for child in nodes[0].children] == [CHAIN[1], BRANCH]


def test_the_editor_changes_the_post_mortem_in_place_after_one_page_load(chromium, server: Server):
    incident = _incident(server)
    page = server.page(chromium)
    sign_in(page, server, "author")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    loads = _count_loads(page)
    page.goto(f"{server.url}/incidents/{incident}/postmortem")
    assert loads == [f"{server.url}/incidents/{incident}/postmortem"]
    assert page.evaluate("typeof htmx === 'object' && htmx.config.allowEval === false")

    _build_tree(page, wait=True)
    _check_tree(server, incident)
    tree_loads = len(loads)

    # Edit a why and move the branch up: still in place.
    page.get_by_text("Edit W1.2", exact=True).click()
    page.get_by_label("Text of W1.2").fill(BRANCH + " (fixed)")
    page.locator('[id="why-1.2"] > .why-card').get_by_role("button", name="Save").click()
    expect(page.locator(".flash-ok")).to_have_text("Saved W1.2.")
    page.get_by_role("button", name="Move W1.2 up").click()
    expect(page.locator('[id="why-1.1"] > .why-card > p')).to_contain_text("(fixed)")
    # The action item form already offers the whys added in place.
    expect(page.locator('#n-a-addr option[value="W1.2.1.1.1.1"]')).to_have_count(1)

    # A lesson added, edited and deleted.
    page.get_by_text("Add a lesson", exact=True).click()
    page.get_by_label("Kind", exact=True).select_option("went-well")
    page.get_by_label("Lesson", exact=True).fill("Paging reached the on-call in a minute")
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.locator(".flash-ok")).to_have_text("Added the lesson.")
    page.locator("#lessons li summary").first.click()
    page.locator("#l-text-1").fill("Paging reached the on-call within a minute")
    page.locator("#l-kind-1").select_option("learned")
    page.get_by_role("button", name="Save the lesson").click()
    expect(page.locator(".flash-ok")).to_have_text("Saved the lesson.")
    expect(page.locator("#lessons")).to_contain_text("Lessons learned Paging reached the on-call within a minute")
    page.get_by_role("button", name="Remove the lesson: Paging reached the on-call within a minute").click()
    expect(page.locator(".flash-ok")).to_have_text("Removed the lesson.")
    expect(page.locator("#lessons")).not_to_contain_text("Paging reached")

    # An action item added, then deleted with a reason that the history keeps.
    page.get_by_text("Add an action item", exact=True).click()
    form = page.locator("form[action$='/postmortem/actions']")
    form.get_by_label("Action").fill("Show a diff of effective settings in config reviews")
    form.get_by_label("Owner").fill("Priya Natarajan")
    form.get_by_label("Addresses").select_option("W1.2.1.1.1.1")
    form.get_by_role("button", name="Add the action item").click()
    expect(page.locator(".flash-ok")).to_have_text("Added AI-1.")
    expect(page.locator('[id="AI-1"]')).to_contain_text("Addresses: W1.2.1.1.1.1")
    page.get_by_text("Delete AI-1", exact=True).click()
    page.get_by_label("Why delete AI-1?").fill("Duplicate of the platform team's item")
    page.locator('[id="AI-1"]').get_by_role("button", name="Delete AI-1").click()
    expect(page.locator(".flash-ok")).to_have_text("Deleted AI-1: Show a diff of effective settings in config reviews.")
    expect(page.locator('[id="AI-1"]')).to_have_count(0)

    # The imported custom section, shown and edited.
    expect(page.locator("#custom-sections")).to_contain_text("Attendees")
    page.get_by_text("Edit the section “Attendees”").click()
    page.locator("#c-body-1").fill("- Dave\n- Priya\n- Ming")
    page.get_by_role("button", name="Save the section").click()
    expect(page.locator(".flash-ok")).to_have_text("Saved the section “Attendees”.")
    expect(page.locator("#custom-sections li")).to_have_text(["Dave", "Priya", "Ming"])

    assert len(loads) == 1, loads
    assert not [text for text in console if "Content Security Policy" in text or "htmx" in text.lower()], console
    history = review_state(server.app.state.db, incident_id=incident, actor=SYSTEM, policy=server.app.state.policy)
    assert [(h.action, h.comment) for h in history.history] == [
        (
            "delete-item",
            "AI-1 'Show a diff of effective settings in config reviews': Duplicate of the platform team's item",
        )
    ]
    print(f"\nsix-why tree with JavaScript: {tree_loads} page load(s) (the first); the whole session: {len(loads)}")
    page.context.close()


def test_without_javascript_the_same_why_tree_is_built_through_plain_forms(chromium, server: Server):
    incident = _incident(server)
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, "author")
    loads = _count_loads(page)
    page.goto(f"{server.url}/incidents/{incident}/postmortem")
    _build_tree(page, wait=False)
    _check_tree(server, incident)
    assert "is marked as a root cause." in page.locator(".flash-ok").inner_text()
    assert len(loads) == 9  # the page, then one per change: 8 changes (6 whys, a branch, a root cause)
    print(f"\nsix-why tree without JavaScript: {len(loads)} page loads")
    context.close()
