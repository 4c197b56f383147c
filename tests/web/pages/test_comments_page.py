"""The comments page and forms: a reviewer comments on a section and on the whole post-mortem, the author replies and
resolves, each form returns to the comment's place in the post-mortem with a message; a private incident's comments
do not exist for someone who is not its member."""

from __future__ import annotations

from tests.web.pages.conftest import forms_of, new_incident, text_of


def test_a_reviewer_comments_and_the_author_replies_and_resolves(site):
    incident = new_incident(site)  # recorded by the editor, its author
    reviewer = site.browser("reviewer")
    empty = reviewer.get(f"/incidents/{incident}/comments")
    assert empty.status_code == 200 and "No comments yet." in text_of(empty)
    assert f"/incidents/{incident}/comments" in forms_of(empty)

    back = reviewer.post(f"/incidents/{incident}/comments", {"on": "summary", "text": "Who was paged?"},
                         follow_redirects=False)  # fmt: skip
    assert back.status_code == 303 and back.headers["location"] == f"/incidents/{incident}/postmortem#summary"
    added = reviewer.post(f"/incidents/{incident}/comments",
                          {"text": "Line one\nLine <two> @editor", "back": "comments"})  # fmt: skip
    page = text_of(added)
    assert added.url.path == f"/incidents/{incident}/comments"
    assert "Comment added on the whole post-mortem. editor will be told." in page
    assert "Line one" in added.text and "Line &lt;two&gt; @editor" in added.text and "<br>" in added.text
    assert "2 open comments" in page and "Summary" in page and "Who was paged?" in page
    assert f'href="/incidents/{incident}/postmortem#summary"' in added.text

    refused = reviewer.post(f"/incidents/{incident}/comments", {"on": "Postscript", "text": "?", "back": "comments"})
    assert "No section 'Postscript': the post-mortem has Summary, Impact" in text_of(refused)

    summary_id = reviewer.get(f"/incidents/{incident}/comments").text.split('id="comment-')[1].split('"')[0]
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/comments")
    reply = {"parent_id": summary_id, "text": "Nobody: the pager was muted.", "back": "comments"}
    replied = author.post(f"/incidents/{incident}/comments", reply)
    assert "Replied on Summary." in text_of(replied) and "Nobody: the pager was muted." in text_of(replied)

    outsider = site.browser("outsider")  # an editor, but neither the comment's author nor the post-mortem's
    outsider.get(f"/incidents/{incident}/comments")
    denied = outsider.post(f"/incidents/{incident}/comments/{summary_id}/resolve", {"back": "comments"})
    assert "Only the comment's author (reviewer) or an author of the post-mortem (editor) can resolve" in text_of(
        denied
    )

    resolved = author.post(f"/incidents/{incident}/comments/{summary_id}/resolve", follow_redirects=False)
    assert resolved.headers["location"] == f"/incidents/{incident}/postmortem#summary"
    page = author.get(f"/incidents/{incident}/comments")
    assert "Resolved the comment on Summary." in text_of(page) and "resolved by editor" in text_of(page)
    assert f"/incidents/{incident}/comments/{summary_id}/reopen" in forms_of(page)

    viewer = site.browser("viewer").get(f"/incidents/{incident}/comments")
    assert viewer.status_code == 200 and "Who was paged?" in text_of(viewer)
    assert not [action for action in forms_of(viewer) if "/comments" in action]  # a viewer reads only


def test_a_private_incidents_comments_are_not_there_for_a_non_member(site):
    incident = new_incident(site, private="on")
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/comments")
    made = author.post(f"/incidents/{incident}/comments", {"text": "Payroll keys leaked", "back": "comments"})
    assert "Payroll keys leaked" in text_of(made)
    outsider = site.browser("outsider")
    assert outsider.get(f"/incidents/{incident}/comments").status_code == 404
    posted = outsider.post(f"/incidents/{incident}/comments", {"text": "hello"})
    assert posted.status_code == 404 and "Payroll" not in posted.text
    assert outsider.post(f"/incidents/{incident}/comments/1/resolve").status_code == 404


def test_open_comments_show_beside_what_they_concern_in_the_editor(site):
    incident = new_incident(site)
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/postmortem")
    author.post(f"/incidents/{incident}/postmortem/whys/add", {"text": "The pool was too small", "version": "1"})
    author.post(f"/incidents/{incident}/postmortem/custom",
                {"op": "add", "heading": "Attendees", "body": "- Dave", "version": "1"})  # fmt: skip
    reviewer = site.browser("reviewer")
    reviewer.get(f"/incidents/{incident}/postmortem")
    on_why = reviewer.post(f"/incidents/{incident}/comments", {"on": "W1", "text": "Why 5 and not 50?"},
                           follow_redirects=False)  # fmt: skip
    assert on_why.headers["location"] == f"/incidents/{incident}/postmortem#why-1"
    on_section = reviewer.post(f"/incidents/{incident}/comments", {"on": "attendees", "text": "Add Priya"},
                               follow_redirects=False)  # fmt: skip
    assert on_section.headers["location"] == f"/incidents/{incident}/postmortem#custom-1"

    page = author.get(f"/incidents/{incident}/postmortem").text
    why = page.split('id="why-1"')[1].split('id="factors"')[0]
    assert "Comments on W1: 1 open" in why and "Why 5 and not 50?" in why and "Reply" in why
    section = page.split('id="custom-1"')[1].split('id="h-custom"')[0]
    assert "Comments on Attendees: 1 open" in section and "Add Priya" in section
    assert "Comment on the whole post-mortem" in page and "Comment on Summary" in page
    # The owner fields offer the directory's names as you type.
    assert '<datalist id="people-names">' in page and 'list="people-names"' in page

    reader = site.browser("viewer").get(f"/incidents/{incident}/postmortem").text
    assert "Why 5 and not 50?" in reader and "Comment on W1" not in reader  # a viewer reads the threads only
