"""Comments through the REST API: what a client gets back when commenting on a why, replying, mentioning someone,
resolving; the problems for a target that does not exist and for someone who may not resolve; a private
incident's comments do not exist for a viewer who is not its member."""

from __future__ import annotations

from afteraction.people.service import PersonChanges, change_person
from tests.web.conftest import Api
from tests.web.test_api import new_incident

COMMENTS = "/api/v1/incidents/INC-1/comments"


def _whys(api: Api) -> None:
    tree = {"nodes": [{"text": "The pool was too small", "children": [{"text": "A config push halved it"}]}]}
    assert api.call("editor", "PUT", "/api/v1/incidents/INC-1/postmortem/whys", json=tree).is_success


def test_a_reviewer_comments_on_a_why_and_the_author_replies_and_resolves(api: Api):
    new_incident(api)  # the editor records it: the editor is its author
    _whys(api)
    db = api.client.app.state.db  # type: ignore[attr-defined]
    change_person(db, who="editor", changes=PersonChanges(email="ed@example.org"))
    made = api.call("admin", "POST", COMMENTS, json={"on": "W1.1", "text": "Why halved? @editor", "quote": "halved"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert {key: body[key] for key in ("on", "target_kind", "text", "quote", "author", "mentions", "resolved")} == {
        "on": "W1.1",
        "target_kind": "why",
        "text": "Why halved? @editor",
        "quote": "halved",
        "author": "admin",
        "mentions": ["editor"],
        "resolved": False,
    }
    assert body["created_at"].endswith("Z") and body["replies"] == [] and body["resolved_by"] is None
    reply = api.call("editor", "POST", COMMENTS, json={"parent_id": body["id"], "text": "A typo in the config."})
    assert reply.status_code == 201 and reply.json()["on"] == "W1.1"
    other = api.call("outsider", "POST", f"{COMMENTS}/{body['id']}/resolve")
    assert other.status_code == 403 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["detail"] == (
        f"only the comment's author (admin) or an author of the post-mortem (editor) can resolve comment {body['id']}"
    )
    resolved = api.call("editor", "POST", f"{COMMENTS}/{body['id']}/resolve")
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "editor"
    listed = api.call("viewer", "GET", COMMENTS).json()
    assert [(c["on"], c["resolved"], [r["text"] for r in c["replies"]]) for c in listed] == [
        ("W1.1", True, ["A typo in the config."])
    ]
    assert api.call("viewer", "GET", COMMENTS, params={"open": "true"}).json() == []
    again = api.call("editor", "POST", f"{COMMENTS}/{body['id']}/resolve")
    assert again.status_code == 409 and "already resolved (by editor)" in again.json()["detail"]
    assert api.call("admin", "POST", f"{COMMENTS}/{body['id']}/reopen").json()["resolved"] is False


def test_an_unknown_target_is_a_problem_naming_what_exists(api: Api):
    new_incident(api)
    _whys(api)
    refused = api.call("editor", "POST", COMMENTS, json={"on": "W4.1", "text": "?"})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert (refused.json()["field"], refused.json()["detail"]) == ("on", "no why W4.1: the tree has W1, W1.1")
    quote = api.call("editor", "POST", COMMENTS, json={"on": "W1", "text": "?", "quote": "not there"})
    assert quote.status_code == 422 and quote.json()["field"] == "quote"
    empty = api.call("editor", "POST", COMMENTS, json={"on": "W1", "text": ""})
    assert empty.status_code == 422
    assert api.call("viewer", "POST", COMMENTS, json={"text": "A viewer reads"}).status_code == 403
    assert api.call("editor", "POST", f"{COMMENTS}/99/resolve").status_code == 404


def test_a_private_incidents_comments_do_not_exist_for_a_viewer_who_is_not_a_member(api: Api):
    new_incident(api, private=True)  # members: the editor who records it
    made = api.call("editor", "POST", COMMENTS, json={"on": "Summary", "text": "Payroll keys leaked"})
    assert made.status_code == 201, made.text
    for method, url in (
        ("GET", COMMENTS),
        ("POST", COMMENTS),
        ("POST", f"{COMMENTS}/{made.json()['id']}/resolve"),
        ("POST", f"{COMMENTS}/{made.json()['id']}/reopen"),
    ):
        for persona in ("viewer", "outsider"):
            answer = api.call(persona, method, url, json={"text": "hello"} if method == "POST" else None)
            assert answer.status_code in (404, 403), (persona, method, url, answer.status_code)
            if persona == "outsider" or method == "GET":
                assert answer.status_code == 404 and "Payroll" not in answer.text
    assert [c["text"] for c in api.call("editor", "GET", COMMENTS).json()] == ["Payroll keys leaked"]


def test_section_writes_through_the_api_follow_the_policy_and_keep_comments_on_their_why(database_url, store, tmp_path):
    from fastapi.testclient import TestClient

    from afteraction.web import create_app
    from tests.factories import make_document
    from tests.web.conftest import add_people, make_settings

    (tmp_path / "afteraction.toml").write_text("[policy]\namend-returns-to-review = true\n")
    settings = make_settings(database_url, policy_file=tmp_path / "afteraction.toml")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=settings)
        add_people(api)
        incident = store(make_document().model_copy(update={"authors": ["editor"]}))
        whys = f"/api/v1/incidents/{incident}/postmortem/whys"
        tree = [{"text": "The pool was too small", "children": [{"text": "A config push halved it"}]}]
        assert api.call("editor", "PUT", whys, json={"nodes": tree}).is_success
        comments = f"/api/v1/incidents/{incident}/comments"
        assert api.call("admin", "POST", comments, json={"on": "W1.1", "text": "Which push?"}).status_code == 201
        review = f"/api/v1/incidents/{incident}/review"
        assert api.call("editor", "POST", review + "/request", json={"reviewers": ["admin"]}).is_success
        assert api.call("admin", "POST", review + "/approve", json={}).is_success
        published = api.call("editor", "POST", review + "/publish", json={})
        assert published.json()["status"] == "published", published.text

        changed = api.call("editor", "PUT", whys, json={"nodes": [{"text": "Load tests use their own pool"}, *tree]})
        assert changed.is_success
        state = api.call("viewer", "GET", review).json()
        assert state["status"] == "in-review" and state["amended_at"]
        assert (state["history"][-1]["action"], state["history"][-1]["comment"]) == (
            "amend", "changed Five whys; back in review, as the policy asks")  # fmt: skip
        [comment] = api.call("viewer", "GET", comments).json()
        assert (comment["on"], comment["anchor"]) == ("W2.1", "why-2.1")  # it followed its why
