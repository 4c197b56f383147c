"""The incident page's import form takes a window and says what it skipped; the page lists the imports, and an editor
undoes one with its button."""

from __future__ import annotations

from tests.web.pages.conftest import Site, forms_of, new_incident, text_of
from tests.web.test_api_timeline_imports import FILES  # an Alertmanager payload: one alert of 2016, one in the window


def test_the_import_form_keeps_the_window_and_says_what_it_skipped(site: Site):
    incident = new_incident(site, started_at="2026-03-14T10:00:00")
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}")
    assert 'name="since"' in page.text and 'name="until"' in page.text and 'name="all_time"' in page.text
    kept = text_of(editor.post(f"/incidents/{incident}/timeline/import", files=FILES))
    assert "1 new events, 0 already in the timeline, 1 skipped as outside the incident's window" in kept
    assert "2026-03-14 09:00 UTC" in kept
    window = {"since": "2016-05-01T00:00", "until": "2016-05-02T00:00"}
    asked = text_of(editor.post(f"/incidents/{incident}/timeline/import", files=FILES, data=window))
    assert "1 new events, 0 already in the timeline, 1 skipped as outside the window 2016-05-01 00:00 → 2016-05-02" in (
        asked
    )
    wrong = editor.post(f"/incidents/{incident}/timeline/import", files=FILES, data={"since": "soon"})
    assert "since: 'soon' is not a time" in text_of(wrong)


def test_a_csv_without_zones_is_read_in_the_zone_given_else_as_utc_and_the_page_says_so(site: Site):
    incident = new_incident(site, started_at="2026-03-14T10:00:00")
    editor = site.browser("editor")
    assert 'name="tz"' in editor.get(f"/incidents/{incident}").text
    log = {"file": ("log.csv", b"time,text\n2026-03-14 10:02:00,declared\n", "text/csv")}
    utc = text_of(editor.post(f"/incidents/{incident}/timeline/import", files=log))
    assert "1 time had no time zone and was read as UTC (give their zone with the Time zone field)." in utc
    other = {"file": ("log2.csv", b"time,text\n2026-03-14 11:05:00,mitigated\n", "text/csv")}
    oslo = text_of(editor.post(f"/incidents/{incident}/timeline/import", files=other, data={"tz": "Europe/Oslo"}))
    assert "1 new events" in oslo and "read as UTC" not in oslo
    assert "10:05:00" in text_of(editor.get(f"/incidents/{incident}"))
    wrong = editor.post(f"/incidents/{incident}/timeline/import", files=other, data={"tz": "Mars/Base"})
    assert "unknown time zone 'Mars/Base'" in text_of(wrong)


def test_the_page_lists_imports_and_an_editor_undoes_one_once(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}")
    editor.post(f"/incidents/{incident}/timeline/import", files=FILES)
    undo = f"/incidents/{incident}/timeline/imports/1/undo"
    viewer_page = site.browser("viewer").get(f"/incidents/{incident}")
    assert "alerts.json" in text_of(viewer_page) and undo not in forms_of(viewer_page)
    page = editor.get(f"/incidents/{incident}")
    assert undo in forms_of(page) and "Imports" in text_of(page)
    undone = text_of(editor.post(undo))
    assert "Undid import 1: removed 2 events." in undone and "No events yet" in undone and "undone" in undone
    again = text_of(editor.post(undo))
    assert "import 1 of " in again and "is already undone" in again
    assert site.browser("viewer").post(undo).status_code == 403


def test_an_editor_deletes_events_in_bulk_after_seeing_how_many_match(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}")
    editor.post(f"/incidents/{incident}/timeline/import", files=FILES)
    editor.post(f"/incidents/{incident}/timeline", {"at": "2026-03-14T10:20:00", "text": "Rolled back"})
    page = editor.get(f"/incidents/{incident}/events/delete", params={"source": "alertmanager", "kind": ""})
    assert "2 events of the timeline match source alertmanager." in text_of(page)
    assert f"/incidents/{incident}/events/delete" in forms_of(page)
    done = text_of(editor.post(f"/incidents/{incident}/events/delete", {"source": "alertmanager"}))
    assert "Deleted 2 events." in done and "Rolled back" in done and "Firing" not in done
    nothing = text_of(editor.get(f"/incidents/{incident}/events/delete", params={"source": ""}))
    assert "give at least one filter" in nothing
    assert site.browser("viewer").get(f"/incidents/{incident}/events/delete?source=manual").status_code == 403
