"""The pages at the edge: text they refuse is a 400 page naming the field; a failure on the server's side is a page
without the database URL; pages keep their own security headers."""

from __future__ import annotations

from afteraction.core.errors import DatabaseUnavailable
from tests.web.pages.conftest import Site, text_of


def test_a_nul_in_a_form_is_a_400_page_and_nothing_is_stored(site: Site):
    editor = site.browser("editor")
    refused = editor.post("/incidents", {"title": "Leak\x00", "severity": "SEV2", "kind": "incident"})
    assert refused.status_code == 400
    assert "Form field title: must not contain NUL characters." in text_of(refused)
    assert refused.headers["content-security-policy"].startswith("default-src 'self'")
    assert "INC-1" not in text_of(editor.get("/incidents"))
    search = editor.get("/incidents?q=%00")
    assert search.status_code == 400 and "Query parameter q" in text_of(search)


def test_a_database_failure_shows_no_address(site: Site, monkeypatch):
    from afteraction.usecases import browse

    def unavailable(*args, **kwargs):
        raise DatabaseUnavailable(f"cannot reach database {site.settings.database_url}: connection refused")

    viewer = site.browser("viewer")
    monkeypatch.setattr(browse, "browse_incidents", unavailable)
    page = viewer.get("/incidents")
    assert page.status_code == 503
    assert "The database is unavailable: the server log has the details." in text_of(page)
    assert site.settings.database_url not in page.text and "connection refused" not in page.text
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
