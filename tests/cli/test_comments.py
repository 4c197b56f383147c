"""What a user sees commenting from the command line: `comment add` on a why, a section or the whole post-mortem,
`comment list` (as text and JSON, open only), `comment resolve` by the right person, one-line errors."""

from __future__ import annotations

import json

from afteraction.domain.reviews import WhyNodeData
from tests.factories import make_document


def _incident(store) -> str:
    doc = make_document().model_copy(
        update={"whys": [WhyNodeData(text="The pool was too small", children=[WhyNodeData(text="A push halved it")])]}
    )
    return store(doc)


def test_comment_add_list_and_resolve(cli, store):
    incident = _incident(store)
    added = cli("comment", "add", incident, "--on", "W1.1", "--text", "Which push? @ann", "--quote", "halved",
                "--as", "Bo Chen")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert added.stdout.splitlines() == ["Comment #1 on W1.1 of INC-1, by Bo Chen.", "Mentioned: Ann Lee."]
    reply = cli("comment", "add", incident, "--reply-to", "1", "--text", "The 10:02 one.", "--as", "Ann Lee")
    assert reply.stdout.strip() == "Reply #2 to #1 on W1.1 of INC-1, by Ann Lee."
    whole = cli("comment", "add", incident, "--text", "Clear and blameless.", "--as", "Bo Chen")
    assert whole.stdout.strip() == "Comment #3 on the whole post-mortem of INC-1, by Bo Chen."
    listed = cli("comment", "list", incident)
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("#1 on W1.1 (open): Bo Chen, ")
    assert lines[1:3] == ["  > halved", "  Which push? @ann"]
    assert lines[3].startswith("    #2 reply: Ann Lee, ") and lines[4] == "      The 10:02 one."
    assert lines[5].startswith("#3 on the whole post-mortem (open): Bo Chen, ")

    refused = cli("comment", "resolve", "1", "--as", "Cy Diaz")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: only the comment's author (Bo Chen) or an author of the post-mortem (Ann Lee) can resolve comment 1"
    )
    resolved = cli("comment", "resolve", "1", "--as", "Ann Lee")
    assert resolved.exit_code == 0 and resolved.stdout.strip() == "Comment #1 on W1.1 resolved by Ann Lee."
    open_only = json.loads(cli("comment", "list", incident, "--json", "--open").stdout)
    assert [c["id"] for c in open_only] == [3]
    data = json.loads(cli("comment", "list", incident, "--json").stdout)
    assert data[0]["resolved_by"] == "Ann Lee" and data[0]["replies"][0]["author"] == "Ann Lee"
    assert data[0]["mentions"] == ["Ann Lee"] and data[0]["target_kind"] == "why"
    assert cli("comment", "reopen", "1", "--as", "Bo Chen").stdout.strip() == "Comment #1 on W1.1 is open again."


def test_only_the_author_or_a_post_mortem_author_resolves(cli, store):
    incident = _incident(store)
    store(make_document(2, actions=[]).model_copy(update={"authors": ["Cy Diaz"]}))  # Cy joins the directory
    cli("comment", "add", incident, "--on", "impact", "--text", "Revenue?", "--as", "Cy Diaz")
    assert cli("comment", "resolve", "1", "--as", "Bo Chen").exit_code == 2  # neither its author nor INC-1's
    resolved = cli("comment", "resolve", "1", "--as", "Ann Lee")  # an author of INC-1's post-mortem
    assert resolved.exit_code == 0 and resolved.stdout.strip() == "Comment #1 on Impact resolved by Ann Lee."
    again = cli("comment", "resolve", "1", "--as", "Cy Diaz")
    assert again.exit_code == 4 and again.stderr.strip() == "error: comment 1 is already resolved (by Ann Lee)"


def test_errors_are_one_line(cli, store):
    incident = _incident(store)
    unknown = cli("comment", "add", incident, "--on", "W3", "--text", "?", "--as", "Ann Lee")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: no why W3: the tree has W1, W1.1"
    factor = cli("comment", "add", incident, "--on", "F1", "--text", "?", "--as", "Ann Lee")
    assert factor.exit_code == 2 and factor.stderr.strip() == "error: no factor F1: the post-mortem has none yet"
    nobody = cli("comment", "add", incident, "--text", "hi", "--as", "ghost")
    assert nobody.exit_code == 2 and nobody.stderr.startswith("error: who is acting is unknown: 'ghost'")
    missing = cli("comment", "resolve", "42", "--as", "Ann Lee")
    assert missing.exit_code == 3 and missing.stderr.strip() == "error: no comment 42"
    assert cli("comment", "list", incident).stdout.strip() == "No comments yet."
    assert cli("comment", "list", "INC-9").stderr.strip() == "error: no incident INC-9"
