"""A published post-mortem changed afterwards by re-importing its Markdown (the page's edit: tests/web/pages/
test_review_words.py): the history says who
changed what, the post-mortem is marked amended after publication, and by policy it goes back to review."""

from __future__ import annotations

import json
from datetime import date

from afteraction.documents.render import render_markdown
from afteraction.domain.actions import ActionItemData
from tests.factories import make_document, make_users


def _document(tmp_path, summary: str):
    doc = make_document(
        summary=summary,
        actions=[ActionItemData(title="Alert on config errors", owner="Bo Chen", due=date(2030, 1, 1))],
    )
    path = tmp_path / "INC-1.md"
    path.write_text(render_markdown(doc.model_copy(update={"id": None})))
    return path


def _published_by_import(cli, db, tmp_path) -> str:
    make_users(db, "dana.ross")
    path = _document(tmp_path, "A bad config push made checkout fail for 25 minutes.")
    first = cli("import", str(path))
    assert first.exit_code == 0, first.stderr
    incident = "INC-1"
    assert cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee").exit_code == 0
    assert cli("review", "approve", incident, "--as", "dana.ross").exit_code == 0
    assert cli("review", "publish", incident, "--as", "Ann Lee").exit_code == 0
    _document(tmp_path, "A bad config push made checkout fail for 27 minutes.")
    return incident


def test_reimporting_a_published_post_mortem_records_the_amendment(cli, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    incident = _published_by_import(cli, db, tmp_path)
    again = cli("import", str(tmp_path / "INC-1.md"))
    assert again.exit_code == 0, again.stderr
    state = json.loads(cli("review", "show", incident, "--json").stdout)
    assert state["status"] == "published" and state["amended_at"] and state["amended_by"]
    amend = state["history"][-1]
    assert amend["action"] == "amend" and amend["comment"] == "changed Summary"
    assert (amend["from_status"], amend["to_status"]) == ("published", "published")
    shown = cli("review", "show", incident).stdout
    assert "Amended after publication on" in shown
    unchanged = cli("import", str(tmp_path / "INC-1.md"))
    assert unchanged.exit_code == 0
    assert len(json.loads(cli("review", "show", incident, "--json").stdout)["history"]) == len(state["history"])


def test_with_amend_returns_to_review_an_amended_post_mortem_is_reviewed_again(cli, db, tmp_path, monkeypatch):
    (tmp_path / "afteraction.toml").write_text("[policy]\namend-returns-to-review = true\n")
    monkeypatch.chdir(tmp_path)
    incident = _published_by_import(cli, db, tmp_path)
    assert cli("import", str(tmp_path / "INC-1.md")).exit_code == 0
    state = json.loads(cli("review", "show", incident, "--json").stdout)
    assert state["status"] == "in-review" and state["approvals"] == []
    amend = state["history"][-1]
    assert (amend["action"], amend["from_status"], amend["to_status"]) == ("amend", "published", "in-review")
    assert amend["comment"] == "changed Summary; back in review, as the policy asks"
    assert [b["code"] for b in state["blockers"]] == ["approvals"]
    assert state["blockers"][0]["text"] == "It needs 1 more approval (0 of 1)."
    assert cli("review", "approve", incident, "--as", "dana.ross").exit_code == 0  # the old approval no longer counts


def test_exports_say_it_was_amended_after_publication_and_read_it_back(cli, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    incident = _published_by_import(cli, db, tmp_path)
    assert cli("import", str(tmp_path / "INC-1.md")).exit_code == 0
    exported = cli("export", incident, "--format", "md").stdout
    assert "amended_at: " in exported and "amended_by: " in exported
    html = cli("export", incident, "--format", "html").stdout
    assert "amended after publication on " in html
    again = tmp_path / "again.md"
    again.write_text(exported)
    from afteraction.documents.parse import parse_file

    doc = parse_file(again)
    assert doc.amended_at is not None and doc.amended_by
    assert render_markdown(doc) == exported


def test_an_item_added_or_retitled_after_publication_amends_it_and_following_an_item_does_not(
    cli, db, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    incident = _published_by_import(cli, db, tmp_path)

    def history() -> list[tuple[str, str]]:
        state = json.loads(cli("review", "show", incident, "--json").stdout)
        return [(step["action"], step["comment"] or "") for step in state["history"]]

    before = history()
    assert cli("actions", "update", "AI-1", "--status", "in-progress", "--owner", "Cy Diaz").exit_code == 0
    assert history() == before  # following an item is not amending the post-mortem
    added = cli("actions", "add", incident, "--title", "Alert when the pool is 80% used", "--owner", "Bo Chen")
    assert added.exit_code == 0, added.stderr
    assert history()[len(before) :] == [("amend", "changed Action items")]
    assert cli("actions", "update", "AI-1", "--title", "Alert on config errors within a minute").exit_code == 0
    assert history()[len(before) :] == [("amend", "changed Action items")] * 2
