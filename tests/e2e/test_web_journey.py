"""End to end in real headless Chromium: a new user's path from sign-in to a published, exported post-mortem,
hostile Markdown that must not run, the keyboard without JavaScript, and every page at a phone's width."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.domain.reviews import FactorData, WhyNodeData
from afteraction.reviews.sections import replace_factors, replace_whys, update_text_section
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import add_event, mark_event
from afteraction.usecases.incidents import create_incident, update_incident
from tests.e2e.conftest import PASSWORD as PASSWORD_FOR_KEYBOARD
from tests.e2e.conftest import Server, expect, screenshot, sign_in

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

FIXTURES = Path(__file__).resolve().parents[1] / "timeline" / "fixtures"
BLAMEFUL = "Checkout failed for 23 minutes because the on-call engineer was careless with the config."
FIXED = "Checkout failed for 23 minutes after a shared config default cut the connection pool from 50 to 5."


def slack_export(folder: Path) -> Path:
    """The Slack export fixture as the .zip Slack hands out."""
    target = folder / "slack-export.zip"
    source = FIXTURES / "slack" / "export"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(source.rglob("*.json")):
            archive.write(path, path.relative_to(source).as_posix())
    return target


def _pages(incident: str) -> tuple[str, ...]:
    """Every page a signed-in user reads, for one incident."""
    return (
        "/dashboard",
        "/incidents",
        f"/incidents/{incident}",
        f"/incidents/{incident}/postmortem",
        f"/incidents/{incident}/review",
        "/actions",
    )


def test_a_new_team_writes_reviews_publishes_and_exports_a_post_mortem(chromium, server: Server, tmp_path: Path):
    author = server.page(chromium)
    sign_in(author, server, "author")

    # A new incident.
    author.get_by_role("link", name="Incidents", exact=True).click()
    author.get_by_role("link", name="New incident").click()
    author.get_by_label("Title").fill("Checkout returned 502s after a config change")
    author.get_by_label("Severity").select_option("SEV2")
    author.get_by_label("Started at (UTC)").fill("2024-03-14T09:45:00")
    author.get_by_label("Services").fill("checkout-api")
    author.get_by_role("button", name="Create incident").click()
    author.wait_for_url(re.compile(r"/incidents/INC-\d+$"))
    incident = author.url.rsplit("/", 1)[1]

    # Its timeline: a Slack export and an Alertmanager payload, each recognised by its content.
    for upload, source in (
        (slack_export(tmp_path), "slack"),
        (FIXTURES / "alertmanager" / "payloads.json", "alertmanager"),
    ):
        author.get_by_text("Import a file").click()
        author.get_by_label("Export file").set_input_files(str(upload))
        author.get_by_role("button", name="Import", exact=True).click()
        flash = author.locator(".flash-ok")
        assert re.search(rf"as {source} \(format detected\): [1-9]\d* new events", flash.inner_text())
    assert author.locator(".timeline .src-slack").count() > 0
    assert author.locator(".timeline .src-alertmanager").count() > 0
    screenshot(author, "incident")

    # The summary: a blameful sentence gets a finding while typing and after saving, then the author fixes it.
    author.get_by_role("link", name="Post-mortem").click()
    author.get_by_text("Edit the summary").click()
    summary = author.get_by_label("Summary (Markdown)")
    summary.fill(BLAMEFUL)
    live = author.locator("#summary .live")
    live.get_by_text("blame/judgment").wait_for()  # the live lint, from the script, before any save
    author.locator("#summary").get_by_role("button", name="Save").click()
    finding = author.locator("#summary .pm-aside")
    assert "careless" in finding.inner_text() and "Describe what people did" in finding.inner_text()
    screenshot(author, "editor-finding")
    author.get_by_text("Edit the summary").click()
    author.get_by_label("Summary (Markdown)").fill(FIXED)
    author.locator("#summary").get_by_role("button", name="Save").click()
    assert author.locator("#summary .pm-aside").count() == 0
    author.get_by_text("Edit the impact").click()
    author.get_by_label("Impact (Markdown)").fill("About 4,100 checkouts failed; no payment was taken twice.")
    author.locator("#impact").get_by_role("button", name="Save").click()

    # A why-chain down to a root cause.
    author.get_by_text("Add a branch from the problem").click()
    author.get_by_label("Why did the problem happen?").fill("The pods ran out of database connections")
    author.get_by_role("button", name="Add the branch").click()
    for parent, text in (
        ("1", "The pool size fell from 50 to the shared default of 5"),
        ("1.1", "Shared config defaults are not reviewed per service"),
    ):
        author.get_by_text(f"Add a why under W{parent}", exact=True).click()
        author.get_by_label(f"Why did W{parent} happen?").fill(text)
        author.locator(f'[id="why-{parent}"] > .why-card').get_by_role("button", name="Add the why").click()
    deepest = author.locator('[id="why-1.1.1"] > .why-card')
    deepest.get_by_role("button", name="Mark as root cause").click()
    assert "root cause" in author.locator('[id="why-1.1.1"] > .why-card').inner_text()

    # Two action items with owners and due dates.
    for title, owner in (
        ("Alert when the checkout-api pool usage exceeds 80%", "Dave Okafor"),
        ("Make the shared config schema reject an unset pool size", "Priya Natarajan"),
    ):
        author.get_by_text("Add an action item", exact=True).click()
        form = author.locator("form[action$='/postmortem/actions']")
        form.get_by_label("Action").fill(title)
        form.get_by_label("Owner").fill(owner)
        form.get_by_label("Due").fill("2099-01-31")
        form.get_by_label("Type").select_option("prevent")
        form.get_by_label("Priority").select_option("P1")
        form.get_by_label("Addresses").select_option("W1.1.1")
        form.get_by_role("button", name="Add the action item").click()
        assert "Added AI-" in author.locator(".flash-ok").inner_text()
    screenshot(author, "editor")

    # Review: the author asks, a second user approves, the author publishes.
    author.get_by_role("link", name="Review").click()
    author.get_by_label("reviewer editor").check()
    author.get_by_role("button", name="Request review").click()
    assert "Review requested from reviewer." in author.locator(".flash-ok").inner_text()

    reviewer = server.page(chromium)
    sign_in(reviewer, server, "reviewer")
    reviewer.goto(f"{server.url}/incidents/{incident}/review")
    reviewer.get_by_label("Comment with your approval").fill("Clear, blameless, good actions.")
    reviewer.get_by_role("button", name="Approve").click()
    assert "The post-mortem is approved." in reviewer.locator(".flash-ok").inner_text()

    author.reload()
    author.get_by_role("button", name="Publish").click()
    assert "Published." in author.locator(".flash-ok").inner_text()
    steps = author.locator("td[data-label=Step]").all_inner_texts()
    assert steps == ["publish", "approve", "request"]
    screenshot(author, "review")

    # Export to PDF: the file opens and carries the post-mortem.
    with author.expect_download() as waiting:
        author.get_by_role("link", name="PDF").first.click()
    pdf = tmp_path / "postmortem.pdf"
    waiting.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    reader = pytest.importorskip("pypdf").PdfReader(io.BytesIO(pdf.read_bytes()))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert len(reader.pages) >= 1 and "Checkout returned 502s" in text
    author.context.close()
    reviewer.context.close()


PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img onerror'\">",
    "<svg onload=\"window.__pwned = 'svg onload'\"></svg>",
    "[click me](javascript:window.__pwned='javascript link')",
    "<a href=\"javascript:window.__pwned='raw link'\" onmouseover=\"window.__pwned='hover'\">raw link</a>",
    "<details open ontoggle=\"window.__pwned='ontoggle'\">x</details>",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
]


def test_script_and_event_handler_payloads_in_a_post_mortem_never_run(chromium, server: Server):
    db = server.app.state.db
    hostile = "\n\n".join(PAYLOADS)
    incident = create_incident(
        db,
        actor=SYSTEM,
        new=NewIncident(title="<img src=x onerror=\"window.__pwned='title'\">", severity="SEV2"),
        allowed_severities=["SEV2"],
    ).id
    for name in ("summary", "impact", "problem_statement", "supporting_info"):
        update_text_section(db, incident_id=incident, name=name, text=hostile, actor=SYSTEM)
    event = add_event(
        db,
        incident_id=incident,
        at=datetime(2024, 3, 14, 10, tzinfo=UTC),
        text=hostile,
        person="<script>window.__pwned='actor'</script>",
        link="https://runbook.example/rollback",
        actor=SYSTEM,
    )
    # add_event refuses a javascript: link; one stored before that rule (an older database) must not run either.
    with db.transaction() as session:
        session.execute(
            update(TimelineEvent).where(TimelineEvent.id == event.id).values(link="javascript:window.__pwned='link'")
        )
    replace_whys(db, incident_id=incident, nodes=[WhyNodeData(text=PAYLOADS[1], root_cause=True)], actor=SYSTEM)
    replace_factors(db, incident_id=incident, items=[FactorData(text=PAYLOADS[2], category=PAYLOADS[0])], actor=SYSTEM)

    page = server.page(chromium)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, server, "author")
    for path in (
        f"/incidents/{incident}/postmortem",
        f"/incidents/{incident}",
        "/incidents",
        "/dashboard",
        f"/incidents/{incident}/review",
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("load")
        for link in page.locator("main a", has_text=re.compile("click me|raw link")).all():
            link.hover()
            link.click(no_wait_after=True)
        assert page.evaluate("window.__pwned") is None, path
        # Not only blocked by the Content-Security-Policy: the markup never reaches the page.
        injected = page.evaluate(
            """() => [...document.querySelectorAll('main *')].filter(el =>
                   el.tagName === 'SCRIPT' || el.tagName === 'IFRAME' || el.tagName === 'IMG' ||
                   [...el.attributes].some(a => a.name.startsWith('on') ||
                       /^\\s*javascript:/i.test(a.value) && (a.name === 'href' || a.name === 'src'))
               ).map(el => el.outerHTML)"""
        )
        assert injected == [], f"{path}: {injected}"
    # The live preview puts the server's fragment into the page: typed payloads must not run either.
    page.goto(f"{server.url}/incidents/{incident}/postmortem")
    page.get_by_text("Edit the trigger").click()
    page.get_by_label("Trigger (Markdown)").fill(hostile)
    page.locator("#trigger .live .preview").get_by_text("click me").wait_for()
    page.locator("#trigger .live").get_by_text("click me").click(no_wait_after=True)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    page.context.close()


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => !el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map(el => el.outerHTML.slice(0, 120))"""


def test_with_the_keyboard_only_and_javascript_off_a_person_signs_in_reads_and_edits(chromium, server: Server):
    db = server.app.state.db
    incident = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Search latency", severity="SEV3"), allowed_severities=["SEV3"]
    ).id
    update_text_section(db, incident_id=incident, name="summary", text="Search was **slow** for an hour.", actor=SYSTEM)
    add_event(
        db,
        incident_id=incident,
        at=datetime(2024, 3, 14, 10, tzinfo=UTC),
        text="Alert fired",
        kind="alert",
        actor=SYSTEM,
    )
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server.url + "/")
    # The sign-in form starts in its first field; Chromium applies autofocus on a rendering step after "load", so wait.
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("author")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD_FOR_KEYBOARD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for path in (*_pages(incident), "/incidents/new"):
        page.goto(server.url + path)
        assert page.evaluate(UNLABELLED) == [], f"{path} has a field without a label"
    page.goto(f"{server.url}/incidents/{incident}/postmortem")
    assert page.locator("#summary .prose strong").inner_text() == "slow"
    page.get_by_text("Edit the impact").click()
    page.get_by_label("Impact (Markdown)").fill("Searches took *9 seconds*.")
    page.locator("#impact").get_by_role("button", name="Preview").click()
    assert page.locator("#impact .preview em").inner_text() == "9 seconds"  # the preview, without any script
    page.locator("#impact").get_by_role("button", name="Save").click()
    assert "Saved the impact." in page.locator(".flash-ok").inner_text()
    context.close()


PHONE_PROBLEMS = """() => {
    const wide = [...document.querySelectorAll('main *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
        .map(el => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
    const labels = [...document.querySelectorAll('svg.chart')].flatMap(svg => {
        const box = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].map(t => ({
            text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a,
            r: t.getBoundingClientRect()}));
        const problems = texts.filter(t => t.px < 10).map(t => `"${t.text}" is ${t.px.toFixed(1)} px high`);
        problems.push(...texts.filter(t => t.r.left < box.left - 0.5 || t.r.right > box.right + 0.5 ||
            t.r.top < box.top - 0.5 || t.r.bottom > box.bottom + 0.5).map(t => `"${t.text}" sticks out of its chart`));
        texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
            if (a.r.left < b.r.right && b.r.left < a.r.right && a.r.top < b.r.bottom && b.r.top < a.r.bottom)
                problems.push(`"${a.text}" overlaps "${b.text}"`);
        }));
        return problems;
    });
    return {page: document.documentElement.scrollWidth - window.innerWidth, wide, labels};
}"""


def test_on_a_phone_no_page_is_wider_than_the_screen_and_the_chart_labels_are_readable(chromium, server: Server):
    db = server.app.state.db
    severities = ["SEV2"]
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    incident = create_incident(
        db,
        actor=SYSTEM,
        new=NewIncident(title="Checkout returned 502s", severity="SEV2", started_at=started, services=["checkout-api"]),
        allowed_severities=severities,
    ).id
    alert = add_event(
        db, incident_id=incident, at=started + timedelta(minutes=6), text="5xx alert fired", kind="alert", actor=SYSTEM
    )
    mark_event(db, event_id=alert.id or 0, moment="detected", incident_id=incident, actor=SYSTEM)
    ack = add_event(
        db, incident_id=incident, at=started + timedelta(minutes=9), text="Acked", kind="acknowledge", actor=SYSTEM
    )
    mark_event(db, event_id=ack.id or 0, moment="acknowledged", incident_id=incident, actor=SYSTEM)  # the longest badge
    update_incident(
        db,
        actor=SYSTEM,
        incident_id=incident,
        changes=IncidentChanges(status="resolved", moments={"resolved_at": started + timedelta(minutes=42)}),
        allowed_severities=severities,
    )
    add_action(
        db,
        incident_id=incident,
        title="Alert on pool usage above 80%",
        owner="Dave Okafor",
        due=started.date() - timedelta(days=1),
        actor=SYSTEM,
    )
    page = server.page(chromium, width=390, height=844)
    sign_in(page, server, "author")
    for path in _pages(incident):
        page.goto(server.url + path)
        found = page.evaluate(PHONE_PROBLEMS)
        assert found == {"page": 0, "wide": [], "labels": []}, path
    page.context.close()


def test_pages_show_the_sites_icon_and_log_no_console_error(chromium, server: Server):
    incident = create_incident(
        server.app.state.db,
        actor=SYSTEM,
        new=NewIncident(title="Checkout returned 502s", severity="SEV2"),
        allowed_severities=["SEV2"],
    ).id
    page = server.page(chromium)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, server, "author")
    for path in ("/dashboard", "/incidents", f"/incidents/{incident}", f"/incidents/{incident}/postmortem", "/actions"):
        page.goto(server.url + path)
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        assert icon and icon.startswith("/static/favicon.svg"), path
    page.wait_for_timeout(500)  # the browser asks for the icon after the page has loaded
    assert errors == []
    shown = page.request.get(server.url + icon)
    assert shown.ok and shown.headers["content-type"].startswith("image/svg+xml")
    legacy = page.request.get(server.url + "/favicon.ico")  # what tabs of the API's JSON and old browsers ask for
    assert legacy.ok and legacy.body() == shown.body()
    page.context.close()
