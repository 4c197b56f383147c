"""The attack suite's live server answers as a user's would: health, sign-in, a token."""

from __future__ import annotations

from tests.security.conftest import LiveServer


def test_a_live_server_answers_signs_in_and_takes_tokens(live: LiveServer) -> None:
    token = live.add_user("liveadmin", role="admin")
    with live.client(token) as api:
        assert api.get("/api/v1/incidents").status_code == 200
    browser = live.sign_in("liveadmin")
    assert browser.get("/dashboard").status_code == 200
    assert live.rss_bytes() > 0 and live.peak_rss_bytes() >= live.rss_bytes()
    assert "afteraction" in live.log() or live.alive()
