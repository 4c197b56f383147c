"""One vocabulary of authorization: the REST API and the pages name a rule with the same word (web/deps.py's
`Viewer`, `Editor`, `Admin`, `public`, `secret`), which is the same dependency on both faces; only what happens
without a user differs (401 on the API, the sign-in page on the pages)."""

from __future__ import annotations

from typing import Any, get_args

from fastapi.testclient import TestClient

from afteraction.core.config import Settings
from afteraction.web import create_app, deps
from afteraction.web.pages import create_pages
from tests.web.conftest import make_settings
from tests.web.test_authz_matrix import flat_routes


def _call(alias: Any) -> Any:
    return get_args(alias)[1].dependency


VOCABULARY = {
    _call(deps.Viewer): "viewer",
    _call(deps.Editor): "editor",
    _call(deps.Admin): "admin",
    deps.public.dependency: "public",
    deps.secret.dependency: "secret",
    deps.visible_incident: "viewer",  # the incident of the path: any signed-in user, private ones checked
}


def _marked(dependant: Any) -> list[Any]:
    found = [dependant.call] if getattr(dependant.call, "authorization", None) else []
    for sub in dependant.dependencies:
        found.extend(_marked(sub))
    return found


def test_every_route_and_page_says_who_may_call_it_with_a_word_of_the_one_vocabulary():
    app = create_app(Settings(database_url="sqlite://"))
    api = flat_routes(app)
    pages = [(route.path, route) for _, route in flat_routes(create_pages(app))]
    assert len(api) > 40 and len(pages) > 25
    for path, route in [*api, *pages]:
        for call in _marked(route.dependant):
            if call is route.dependant.call:  # checks_role: the route makes the check itself
                assert call.authorization in deps.ROLES, path
                continue
            assert call in VOCABULARY, f"{path}: {call.__name__} is not a word of web/deps.py's vocabulary"
            assert VOCABULARY[call] == call.authorization
    words = {VOCABULARY[c] for _, r in pages for c in _marked(r.dependant) if c in VOCABULARY}
    assert {"public", "viewer", "editor"} <= words  # the pages use the API's words, not their own


def test_the_same_word_answers_a_visitor_as_its_face_does(database_url: str):
    app = create_app(make_settings(database_url))
    with TestClient(app) as client:
        api = client.post("/api/v1/incidents", json={"title": "x"})
        assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"
        page = client.get("/incidents/new", follow_redirects=False)  # an Editor page
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
