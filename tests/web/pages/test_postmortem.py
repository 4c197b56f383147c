"""The post-mortem editor: sections with preview and lint beside them, stale saves, the whys tree, factors,
lessons and action items, the completeness score, and Markdown from users rendered harmless."""

from __future__ import annotations

import re

from sqlalchemy import update

from afteraction.actions.models import ActionItem
from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.reviews.sections import get_whys, update_text_section
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

BLAMEFUL = "The outage happened because the on-call engineer was careless and skipped the checklist."


def section_html(html: str, anchor: str) -> str:
    """The HTML of one block of the editor, from its anchor to the next block."""
    start = html.index(f'id="{anchor}"')
    end = html.find('<div class="pm-block', start + 1)
    return html[start : end if end > 0 else None]


def action_version(html: str, action: str = "AI-1") -> str:
    """The version an action item's edit form carries."""
    found = re.search(rf'action="/actions/{action}"[\s\S]*?name="version" value="(\d+)"', html)
    assert found, f"no edit form of {action}"
    return found.group(1)


def test_an_editor_writes_the_summary_and_sees_it_rendered(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}/postmortem")
    assert 'for="t-summary"' in page.text and "Not written yet." in text_of(page)
    saved = editor.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Checkout failed for **23 minutes**.\r\n\r\n- one\r\n- two", "version": "1", "action": "save"},
    )
    assert saved.url.path.endswith("/postmortem") and "Saved the summary." in text_of(saved)
    assert "<strong>23 minutes</strong>" in saved.text and "<li>one</li>" in saved.text


def test_a_blameful_sentence_shows_a_finding_beside_the_section_until_it_is_fixed(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    saved = editor.post(
        f"/incidents/{incident}/postmortem/sections/summary", {"text": BLAMEFUL, "version": "1", "action": "save"}
    )
    block = section_html(saved.text, "summary")
    assert "blame/judgment" in block and '"careless" judges people' in text_of(saved)
    assert "Describe what people did" in block  # the suggestion
    fixed = editor.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {
            "text": "The deploy checklist had no step for the pool size, so the change went out unchecked.",
            "version": "2",
            "action": "save",
        },
    )
    assert "blame/" not in section_html(fixed.text, "summary")


def test_preview_shows_the_text_and_its_findings_without_saving(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    preview = editor.post(
        f"/incidents/{incident}/postmortem/sections/impact",
        {"text": f"*Big* impact. {BLAMEFUL}", "version": "1", "action": "preview"},
    )
    assert preview.status_code == 200
    block = section_html(preview.text, "impact")
    assert '<details class="edit" open>' in block and "<em>Big</em> impact." in block
    assert "blame/judgment" in block and BLAMEFUL in block  # the draft stays in the text area
    assert "Not written yet." in text_of(editor.get(f"/incidents/{incident}/postmortem"))


def test_the_live_lint_answers_a_fragment_for_the_text_being_typed(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    live = editor.client.post(
        f"/incidents/{incident}/postmortem/sections/summary/live",
        data={"text": BLAMEFUL},
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert live.status_code == 200 and "<html" not in live.text
    assert "blame/judgment" in live.text and "Preview" in live.text
    clean = editor.client.post(
        f"/incidents/{incident}/postmortem/sections/summary/live",
        data={"text": "A config default changed."},
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert "No lint findings in this text." in clean.text
    assert (
        editor.client.post(f"/incidents/{incident}/postmortem/sections/summary/live", data={"text": "x"}).status_code
        == 403
    )


def test_a_stale_save_shows_the_conflict_and_both_versions_instead_of_overwriting(site: Site):
    incident = new_incident(site)
    site.browser("outsider")
    from afteraction.incidents.members import add_member

    add_member(site.db, actor=SYSTEM, incident_id=incident, user="outsider")
    alice, bob = site.browser("editor"), site.browser("outsider")
    alice.get(f"/incidents/{incident}/postmortem")
    bob.get(f"/incidents/{incident}/postmortem")
    alice.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Alice: the pool ran dry.", "version": "1", "action": "save"},
    )
    clash = bob.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Bob: connections were exhausted.", "version": "1", "action": "save"},
    )
    assert clash.status_code == 409
    shown = text_of(clash)
    assert "Someone saved the summary while you were editing it" in shown
    assert "Their version (saved) Alice: the pool ran dry." in shown
    assert "Your version (not saved) Bob: connections were exhausted." in shown
    assert "Save mine over theirs" in shown
    version = re.search(r'action="[^"]*/sections/summary"[\s\S]*?name="version" value="(\d+)"', clash.text)
    assert version and version.group(1) == "2"
    assert "Alice: the pool ran dry." in text_of(alice.get(f"/incidents/{incident}/postmortem"))
    over = bob.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Bob: connections were exhausted.", "version": "2", "action": "save"},
    )
    assert "Saved the summary." in text_of(over)


def test_the_whys_tree_grows_branches_and_marks_root_causes(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem/whys"
    editor.post(f"{url}/add", {"version": "1", "text": "Pods ran out of DB connections"})
    editor.post(f"{url}/add", {"version": "2", "parent": "1", "text": "The pool size fell to 5"})
    editor.post(f"{url}/add", {"version": "3", "parent": "1.1", "text": "Shared config defaults were unreviewed"})
    editor.post(f"{url}/add", {"version": "4", "text": "The canary missed it"})
    marked = editor.post(f"{url}/root", {"version": "5", "path": "1.1.1", "root_cause": "true"})
    shown = text_of(marked)
    assert "W1.1.1 is marked as a root cause." in shown
    assert "W1 Pods ran out" in shown and "W1.1 The pool size" in shown and "W2 The canary missed it" in shown
    assert re.search(r'id="why-1\.1\.1" class="why root"', marked.text)
    tree = get_whys(site.db, actor=SYSTEM, incident_id=incident)
    assert tree.nodes[0].children[0].children[0].root_cause and tree.version == 6
    editor.post(f"{url}/edit", {"version": "6", "path": "2", "text": "Canary traffic is too low to fill the pool"})
    removed = editor.post(f"{url}/delete", {"version": "7", "path": "1.1"})
    assert "Removed W1.1 and the whys below it." in text_of(removed)
    assert [n.text for n in get_whys(site.db, actor=SYSTEM, incident_id=incident).nodes] == [
        "Pods ran out of DB connections",
        "Canary traffic is too low to fill the pool",
    ]
    stale = editor.post(f"{url}/add", {"version": "3", "parent": "1", "text": "Late why"})
    assert "Someone changed the five whys meanwhile" in text_of(stale) and 'add "Late why" under W1' in text_of(stale)
    nowhere = editor.post(f"{url}/add", {"version": "8", "parent": "4.2", "text": "x"})
    assert "there is no why W4.2" in text_of(nowhere)


def test_factors_with_categories_and_lessons_are_added_changed_and_removed(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}/postmortem")
    assert '<datalist id="categories">' in page.text
    url = f"/incidents/{incident}/postmortem"
    editor.post(
        f"{url}/factors", {"version": "1", "op": "add", "text": "No alert on pool usage", "category": "monitoring gap"}
    )
    editor.post(f"{url}/factors", {"version": "2", "op": "add", "text": "Deploy at peak", "category": ""})
    edited = editor.post(
        f"{url}/factors",
        {"version": "3", "op": "edit", "index": "1", "text": "Deploy at peak traffic", "category": "process"},
    )
    shown = text_of(edited)
    assert "F1 monitoring gap No alert on pool usage" in shown and "F2 process Deploy at peak traffic" in shown
    removed = editor.post(f"{url}/factors", {"version": "4", "op": "delete", "index": "0"})
    assert "Removed F1." in text_of(removed) and "No alert on pool usage" not in text_of(removed)
    editor.post(f"{url}/lessons", {"version": "1", "op": "add", "kind": "went-well", "text": "Paging was fast"})
    lessons = editor.post(f"{url}/lessons", {"version": "2", "op": "add", "kind": "lucky", "text": "Low traffic"})
    shown = text_of(lessons)
    assert "What went well Paging was fast" in shown and "Where we got lucky Low traffic" in shown
    gone = editor.post(f"{url}/lessons", {"version": "3", "op": "delete", "index": "0"})
    assert "Paging was fast" not in text_of(gone)
    stale = editor.post(f"{url}/lessons", {"version": "1", "op": "add", "kind": "learned", "text": "Late"})
    assert "Someone changed the lessons meanwhile" in text_of(stale)


def test_action_items_are_added_and_updated_with_their_findings_beside_them(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    added = editor.post(f"/incidents/{incident}/postmortem/actions", {"title": "Improve monitoring"})
    assert "Added AI-1." in text_of(added)
    block = added.text[added.text.index('id="AI-1"') :]
    assert "action/vague" in block and "action/missing-owner" in block and "action/missing-due" in block
    updated = editor.post(
        "/actions/AI-1",
        {
            "version": "1",
            "back": f"/incidents/{incident}/postmortem#AI-1",
            "title": "Alert when pool usage > 80%",
            "owner": "Ana",
            "due": "2099-01-31",
            "type": "detect",
            "priority": "P1",
            "status": "in-progress",
        },
    )
    shown = text_of(updated)
    assert "Saved AI-1." in shown and "Owner: Ana" in shown and "Due: 2099-01-31" in shown and "in-progress" in shown
    block = updated.text[updated.text.index('id="AI-1"') :]
    assert "action/missing-owner" not in block and "action/vague" not in block
    stale = editor.post("/actions/AI-1", {"version": "1", "back": f"/incidents/{incident}/postmortem", "owner": "Bo"})
    assert "Someone changed AI-1 meanwhile" in text_of(stale)
    version = re.search(r'action="/actions/AI-1"[\s\S]*?name="version" value="(\d+)"', stale.text)
    assert version
    wont = editor.post(
        "/actions/AI-1", {"version": version.group(1), "status": "wont-do", "back": "https://evil.example/"}
    )
    assert wont.url.path == "/dashboard" and "needs a reason" in text_of(wont)


def test_a_synced_action_items_tracker_issue_is_a_link_in_the_editor_as_on_the_board(site: Site):
    incident = new_incident(site)
    for title in ("Alert on pool usage", "Runbook for failover", "Grow the WAL volume"):
        add_action(site.db, actor=SYSTEM, incident_id=incident, title=title, owner="Ana")
    with site.db.transaction() as session:  # as `actions sync` leaves synced items; AI-2 names a key only
        for number, key, url in (
            (1, "OPS-12", "https://jira.example/browse/OPS-12"),
            (2, "OPS-9", None),
            (3, "OPS-13", "javascript:alert(1)"),
        ):
            session.execute(update(ActionItem).where(ActionItem.id == number).values(tracker_key=key, tracker_url=url))
    page = site.browser("viewer").get(f"/incidents/{incident}/postmortem")
    link = '<a href="https://jira.example/browse/OPS-12" rel="noopener noreferrer">OPS-12</a>'
    assert f"Tracker: {link}" in page.text
    assert link in site.browser("viewer").get("/actions").text  # the board links it the same way
    shown = text_of(page)
    assert "Tracker: OPS-9" in shown and "Tracker: OPS-13" in shown
    assert ">OPS-9</a>" not in page.text and ">OPS-13</a>" not in page.text and "javascript:" not in page.text


def test_the_completeness_score_rises_as_the_post_mortem_fills_up(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    empty = editor.get(f"/incidents/{incident}/postmortem")
    before = int(re.search(r"<strong class=\"score-value\">(\d+)/100", empty.text).group(1))  # type: ignore[union-attr]
    assert "What is missing" in text_of(empty) and "a summary" in text_of(empty)
    editor.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Checkout failed.", "version": "1", "action": "save"},
    )
    after = editor.get(f"/incidents/{incident}/postmortem")
    score = int(re.search(r"<strong class=\"score-value\">(\d+)/100", after.text).group(1))  # type: ignore[union-attr]
    assert score > before and '<meter id="completeness"' in after.text


XSS = """<script>document.title = "pwned"</script>

<img src=x onerror="document.title='pwned'">

[click me](javascript:alert(1)) and [fine](https://example.org/runbook)

<a href="javascript:alert(2)" onclick="alert(3)">raw link</a> <svg onload=alert(4)></svg>
"""


def test_markdown_from_users_is_rendered_without_scripts_handlers_or_javascript_links(site: Site):
    incident = new_incident(site)
    update_text_section(site.db, actor=SYSTEM, incident_id=incident, name="summary", text=XSS)
    update_text_section(
        site.db, actor=SYSTEM, incident_id=incident, name="impact", text="[x](JaVaScRiPt:alert(5)) <iframe src=x>"
    )
    page = site.browser("viewer").get(f"/incidents/{incident}/postmortem")
    body = page.text.lower()
    assert "<script>document" not in body and "<img" not in body and "<svg onload" not in body
    assert "<iframe" not in body
    assert not re.search(r"<[^>]+\son\w+\s*=", body), "an event handler attribute got through"
    assert not re.search(r"<a\b[^>]*href=\"?\s*javascript", body), "a javascript: link got through"
    assert '<a href="https://example.org/runbook" rel="noopener noreferrer nofollow">fine</a>' in page.text
    assert "&lt;script&gt;" in page.text  # shown as text, so the author sees what they wrote
    live = site.browser("editor")
    live.get(f"/incidents/{incident}/postmortem")
    fragment = live.client.post(
        f"/incidents/{incident}/postmortem/sections/summary/live",
        data={"text": XSS},
        headers={"X-CSRF-Token": live.csrf},
    ).text.lower()
    assert "<script>document" not in fragment and not re.search(r"<a\b[^>]*href=\"?\s*javascript", fragment)
    assert not re.search(r"<[^>]+\son\w+\s*=", fragment)


def test_an_action_item_says_which_why_or_factor_it_addresses(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem"
    editor.post(f"{url}/whys/add", {"version": "1", "text": "The pool ran dry"})
    editor.post(f"{url}/whys/add", {"version": "2", "parent": "1", "text": "Defaults are unreviewed"})
    editor.post(f"{url}/whys/root", {"version": "3", "path": "1.1", "root_cause": "true"})
    page = editor.post(f"{url}/factors", {"version": "1", "op": "add", "text": "No pool alert"})
    choices = re.findall(r'<option value="([WF][\d.]+)">', page.text[page.text.index('id="n-a-addr"') :])
    assert choices[:3] == ["W1.1", "W1", "F1"]  # root causes first
    added = editor.post(f"{url}/actions", {"title": "Review shared config defaults per service", "addresses": "W1.1"})
    block = added.text[added.text.index('id="AI-1"') :]
    assert 'Addresses: <a href="#why-1.1">W1.1</a>' in block and "action/unlinked" not in block
    moved = editor.post("/actions/AI-1", {"version": action_version(added.text), "addresses": "F1", "back": url})
    assert 'Addresses: <a href="#factor-1">F1</a>' in moved.text
    wrong = editor.post("/actions/AI-1", {"version": action_version(moved.text), "addresses": "W9", "back": url})
    assert "W9 names no why" in text_of(wrong)
    bad = editor.post(f"{url}/actions", {"title": "Another item", "addresses": "W9"})
    assert "W9 names no why" in text_of(bad)


def test_a_missing_required_section_is_flagged_beside_that_section(site: Site):
    incident = new_incident(site)
    page = site.browser("viewer").get(f"/incidents/{incident}/postmortem")
    assert "The Impact is not written yet." in section_html(page.text, "impact")
    assert "The Summary is not written yet." in section_html(page.text, "summary")


def test_the_creator_is_the_first_author_and_editors_change_the_authors(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}/postmortem")
    assert "Authors: editor" in text_of(page)
    saved = editor.post(f"/incidents/{incident}/postmortem/authors", {"authors": "Dave Okafor, editor, Dave Okafor"})
    assert "Authors: Dave Okafor, editor." in text_of(saved)
    assert "Authors Dave Okafor, editor" in text_of(site.browser("viewer").get(f"/incidents/{incident}/review"))


# ---------------------------------------------------------------- changes in place (htmx)

HX = {"HX-Request": "true"}


def test_with_the_script_a_change_answers_the_part_it_changed_and_those_depending_on_it(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}/postmortem")
    assert '<script src="/static/htmx.min.js' in page.text and "<script>" not in page.text  # no inline script
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert 'hx-post="/incidents/' + incident + '/postmortem/whys/add" hx-target="#whys-tree"' in page.text
    url = f"/incidents/{incident}/postmortem/whys"
    added = editor.post(f"{url}/add", {"version": "1", "text": "Pods ran out of DB connections"}, headers=HX)
    assert added.status_code == 200 and "<html" not in added.text and added.headers["vary"] == "HX-Request"
    assert added.text.lstrip().startswith('<div id="whys-tree"')
    assert "Added a why as a new branch." in text_of(added) and "W1 Pods ran out of DB connections" in text_of(added)
    # Out of band: the score, the findings of the whole tree, and the action items (whose choices name the whys).
    for part in ('id="pm-summary"', 'id="whys-head"', 'id="actions"', 'id="pm-general"'):
        assert re.search(part + r'[^>]*hx-swap-oob="true"', added.text), part
    assert '<option value="W1">' in added.text
    stale = editor.post(f"{url}/add", {"version": "1", "text": "Late"}, headers=HX)
    assert stale.status_code == 200 and 'class="flash flash-error" role="alert"' in stale.text
    assert "Someone changed the five whys meanwhile" in text_of(stale) and "W1 Pods ran out" in text_of(stale)
    # Without the script the same form redirects to the page, as before.
    plain = editor.client.post(
        f"{url}/add", data={"csrf_token": editor.csrf, "version": "2", "text": "Pool too small"}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"].endswith("/postmortem#whys")
    # A change in place without the CSRF token is refused like any other.
    assert editor.client.post(f"{url}/add", data={"version": "3", "text": "x"}, headers=HX).status_code == 403


def test_the_static_htmx_file_is_served_from_the_package(site: Site):
    served = site.browser("viewer").client.get("/static/htmx.min.js")
    assert served.status_code == 200 and "htmx" in served.text[:2000] and len(served.content) > 40_000
    license_text = site.browser("viewer").client.get("/static/htmx.LICENSE.txt")
    assert license_text.status_code == 200 and "Zero-Clause BSD" in license_text.text


def test_whys_and_factors_move_up_and_down(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem"
    for version, parent, text in ((1, "", "First"), (2, "", "Second"), (3, "2", "Under second")):
        editor.post(f"{url}/whys/add", {"version": str(version), "parent": parent, "text": text})
    moved = editor.post(f"{url}/whys/move", {"version": "4", "path": "2", "step": "up"}, headers=HX)
    assert "Moved W2 up." in text_of(moved)
    tree = get_whys(site.db, actor=SYSTEM, incident_id=incident)
    assert [n.text for n in tree.nodes] == ["Second", "First"] and tree.nodes[0].children[0].text == "Under second"
    editor.post(f"{url}/whys/move", {"version": "5", "path": "1", "step": "up"})  # the first stays first
    assert get_whys(site.db, actor=SYSTEM, incident_id=incident).nodes[0].text == "Second"
    editor.post(f"{url}/factors", {"version": "1", "op": "add", "text": "No alert"})
    editor.post(f"{url}/factors", {"version": "2", "op": "add", "text": "Peak deploy"})
    down = editor.post(f"{url}/factors", {"version": "3", "op": "down", "index": "0"}, headers=HX)
    assert "Moved F1 down." in text_of(down) and "F1 Peak deploy" in text_of(down) and "F2 No alert" in text_of(down)


def test_lessons_are_edited_in_place_and_move_among_their_kind(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem/lessons"
    for version, kind, text in (
        (1, "went-well", "Paging was fast"),
        (2, "lucky", "Low traffic"),
        (3, "went-well", "Rollback"),
    ):
        editor.post(url, {"version": str(version), "op": "add", "kind": kind, "text": text})
    page = editor.get(f"/incidents/{incident}/postmortem")
    assert 'id="l-text-1"' in page.text and 'value="Paging was fast"' in page.text  # each lesson has its edit form
    edited = editor.post(
        url, {"version": "4", "op": "edit", "index": "0", "kind": "learned", "text": "Paging works"}, headers=HX
    )
    assert "Saved the lesson." in text_of(edited) and "Lessons learned Paging works" in text_of(edited)
    up = editor.post(url, {"version": "5", "op": "up", "index": "2"}, headers=HX)  # past "Low traffic" (lucky)
    assert "Moved the lesson up." in text_of(up)
    assert "What went well Rollback" in text_of(up)
    from afteraction.reviews.sections import get_lessons

    assert [item.text for item in get_lessons(site.db, actor=SYSTEM, incident_id=incident).items] == [
        "Paging works", "Low traffic", "Rollback",
    ]  # fmt: skip
    removed = editor.post(url, {"version": "6", "op": "delete", "index": "1"}, headers=HX)
    assert "Removed the lesson." in text_of(removed) and "Low traffic" not in text_of(removed)


def test_an_action_item_is_deleted_with_a_reason_kept_in_the_history(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem/actions"
    editor.post(url, {"title": "Alert on pool usage"})
    added = editor.post(url, {"title": "Buy a bigger database"}, headers=HX)
    assert "Added AI-2." in text_of(added) and added.text.lstrip().startswith(
        '<section class="card pm-section" id="actions"'
    )
    moved = editor.post(f"{url}/AI-2/move", {"step": "up"}, headers=HX)
    assert text_of(moved).index("AI-2 Buy") < text_of(moved).index("AI-1 Alert")
    assert action_version(moved.text, "AI-2") == "1"  # moving is not a change of the item
    no_reason = editor.post(f"{url}/AI-2/delete", {"version": "1", "reason": "  "}, headers=HX)
    assert "deleting an action item needs a reason" in text_of(no_reason) and "AI-2 Buy" in text_of(no_reason)
    stale = editor.post(f"{url}/AI-2/delete", {"version": "7", "reason": "x"}, headers=HX)
    assert "Someone changed AI-2 meanwhile, so it was not deleted." in text_of(stale)
    gone = editor.post(f"{url}/AI-2/delete", {"version": "1", "reason": "Out of scope: the pool was the problem"})
    assert gone.url.path.endswith("/postmortem") and "Deleted AI-2: Buy a bigger database." in text_of(gone)
    assert "AI-2" not in text_of(gone).replace("Deleted AI-2", "")
    review = text_of(editor.get(f"/incidents/{incident}/review"))
    assert "delete-item draft → draft AI-2 'Buy a bigger database': Out of scope: the pool was the problem" in review
    updated = editor.post(
        "/actions/AI-1",
        {"version": "1", "back": f"/incidents/{incident}/postmortem#AI-1", "owner": "Ana"},
        headers=HX,
    )
    assert "Saved AI-1." in text_of(updated) and "Owner: Ana" in text_of(updated) and "<html" not in updated.text


def test_custom_sections_are_shown_edited_added_and_removed(site: Site):
    from afteraction.domain.reviews import SectionData
    from afteraction.reviews.sections import get_extra_sections, replace_extra_sections

    incident = new_incident(site)
    replace_extra_sections(  # as an import of a document with an Attendees section leaves it
        site.db, actor=SYSTEM, incident_id=incident, items=[SectionData(heading="Attendees", body="- Ana\n- Bo")]
    )
    viewer_page = site.browser("viewer").get(f"/incidents/{incident}/postmortem")
    assert "Other sections Sections of your own" in text_of(viewer_page) and "<li>Ana</li>" in viewer_page.text
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}/postmortem")
    url = f"/incidents/{incident}/postmortem/custom"
    edited = editor.post(
        url,
        {"version": "2", "op": "edit", "index": "0", "heading": "Attendees", "body": "- Ana\n- Bo\n- Cy"},
        headers=HX,
    )
    assert "Saved the section “Attendees”." in text_of(edited) and "<li>Cy</li>" in edited.text
    added = editor.post(url, {"version": "3", "op": "add", "heading": "Figures", "body": "4,100 failed checkouts"})
    assert "Added the section “Figures”." in text_of(added)
    clash = editor.post(url, {"version": "4", "op": "add", "heading": "Summary", "body": "x"})
    assert "'Summary' is a section of its own in the post-mortem" in text_of(clash)
    big = editor.post(url, {"version": "4", "op": "add", "heading": "Notes", "body": "## Secret heading"})
    assert "has a heading as large as the section's own" in text_of(big)
    stale = editor.post(url, {"version": "2", "op": "delete", "index": "0"}, headers=HX)
    assert "Someone changed the other sections meanwhile" in text_of(stale)
    removed = editor.post(url, {"version": "4", "op": "delete", "index": "0"}, headers=HX)
    assert "Removed the section “Attendees”." in text_of(removed)
    assert [s.heading for s in get_extra_sections(site.db, actor=SYSTEM, incident_id=incident).items] == ["Figures"]
    markdown = editor.client.get(f"/incidents/{incident}/export/md").text
    assert "## Figures" in markdown and "4,100 failed checkouts" in markdown and "Attendees" not in markdown
