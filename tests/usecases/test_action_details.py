"""An action table's own columns survive the database: imported, stored with the item, shown on the post-mortem
page, and exported back under their own heading."""

from __future__ import annotations

from afteraction.core.actor import Actor
from afteraction.documents.parse import parse_markdown
from afteraction.usecases.documents import export_document

SYSTEM = Actor.system()
DOC = (
    "# Checkout down\n\n## Summary\n\nThe checkout was down.\n\n## Action items\n\n"
    "| Action Item | Who | Priority | Bug # | Due Date |\n|---|---|---|---|---|\n"
    "| Add a canary for checkout | ana | P1 | 1234 | 2026-04-01 |\n"
)


def test_an_action_tables_own_column_is_stored_and_exported_back(db, store):
    incident = store(parse_markdown(DOC, path="checkout.md"))
    markdown = str(export_document(db, incident_id=incident, fmt="md", actor=SYSTEM))
    assert "Bug #" in markdown and "1234" in markdown
    again = parse_markdown(markdown)
    assert again.actions[0].details == {"Bug #": "1234"}
    assert again.actions[0].title == "Add a canary for checkout"


def test_the_html_export_shows_an_items_own_columns_escaped(db, store):
    hostile = DOC.replace("| 1234 |", "| <script>x</script> |")
    incident = store(parse_markdown(hostile, path="checkout.md"))
    html = str(export_document(db, incident_id=incident, fmt="html", actor=SYSTEM))
    assert "<small>Bug #: &lt;script&gt;x&lt;/script&gt;</small>" in html and "<script>x" not in html
