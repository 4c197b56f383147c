"""The PDF printer: the network closed, a cap on prints at once, a time limit that kills every process it started."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError, TooManyRequests
from afteraction.documents import pdf

CHROMIUM = pdf.find_browser()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def test_the_printer_defaults_are_the_settings_defaults():
    assert pdf.Printer(browser=None) == pdf.Printer.from_settings(Settings(database_url="sqlite://"))
    custom = Settings(database_url="sqlite://", pdf_timeout=5, pdf_max_concurrent=3, pdf_queue_seconds=0.5,
                      chromium_path="/opt/chrome")  # fmt: skip
    assert pdf.Printer.from_settings(custom) == pdf.Printer("/opt/chrome", 5, 3, 0.5)


def test_no_browser_is_one_line_naming_the_setting(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(ConfigurationError, match="AFTERACTION_CHROMIUM_PATH"):
        pdf.html_to_pdf("<p>x</p>")


def test_a_browser_that_does_not_run_names_it_and_the_setting(tmp_path):
    with pytest.raises(ConfigurationError) as raised:
        pdf.html_to_pdf("<p>x</p>", printer=pdf.Printer(browser=str(tmp_path / "nope" / "chromium")))
    assert raised.value.message == (
        "PDF export failed: chromium did not run (No such file or directory); check AFTERACTION_CHROMIUM_PATH"
    )


def test_a_print_waits_for_a_free_printer_then_is_refused_naming_the_settings(tmp_path):
    printer = pdf.Printer(browser=str(tmp_path / "never-runs"), max_concurrent=7, queue_seconds=0.2, timeout=2)
    slot = pdf._slot(7)
    for _ in range(7):
        assert slot.acquire(timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(TooManyRequests) as raised:
            pdf.html_to_pdf("<p>x</p>", printer=printer)
        assert time.monotonic() - started >= 0.2  # it waited its queue time first
    finally:
        for _ in range(7):
            slot.release()
    assert "AFTERACTION_PDF_MAX_CONCURRENT" in raised.value.message
    assert "AFTERACTION_PDF_QUEUE_SECONDS" in raised.value.message
    assert raised.value.retry_after == 2  # never longer than a print may take
    with pytest.raises(ConfigurationError, match="did not run"):  # a free printer again: the print is tried
        pdf.html_to_pdf("<p>x</p>", printer=printer)


def test_a_print_over_its_time_limit_is_stopped_with_every_process_it_started(tmp_path):
    pids = tmp_path / "pids"
    browser = tmp_path / "slow-browser"
    # A stand-in browser that starts a helper and never prints: both must be gone after the time limit.
    browser.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    browser.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(ConfigurationError) as raised:
        pdf.html_to_pdf("<p>x</p>", printer=pdf.Printer(browser=str(browser), timeout=0.5))
    assert time.monotonic() - started < 5
    assert raised.value.message == (
        "PDF export took longer than 0.5s and was stopped (the limit is AFTERACTION_PDF_TIMEOUT)"
    )
    deadline = time.monotonic() + 2  # SIGKILL is sent to the whole group; the kernel ends them a moment later
    started_pids = [int(word) for word in pids.read_text().split()]
    while any(_alive(pid) for pid in started_pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [pid for pid in started_pids if _alive(pid)], "a process of the print still runs"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_chromium_runs_in_its_sandbox_unless_root(monkeypatch):
    monkeypatch.setattr(pdf, "_sandbox_works", None)
    monkeypatch.setattr(pdf.os, "geteuid", lambda: 1000)
    assert pdf.use_sandbox()
    monkeypatch.setattr(pdf, "_sandbox_works", False)  # it failed to start once: the next prints go without
    assert not pdf.use_sandbox()
    monkeypatch.setattr(pdf, "_sandbox_works", None)
    monkeypatch.setattr(pdf.os, "geteuid", lambda: 0)
    assert not pdf.use_sandbox()


@needs_chromium
def test_a_print_reaches_nothing_even_what_the_page_asks_for(counter):
    port, hits = counter
    page = (
        f'<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
        f'<script src="http://127.0.0.1:{port}/js"></script></head><body>'
        f'<img src="http://127.0.0.1:{port}/img"><img src="http://localhost:{port}/by-name">'
        f'<iframe src="http://127.0.0.1:{port}/frame"></iframe><p style="background:url(http://127.0.0.1:{port}/bg)">x'
        f'</p><object data="http://127.0.0.1:{port}/object"></object></body></html>'
    )
    printed = pdf.html_to_pdf(page, printer=pdf.Printer(browser=CHROMIUM, timeout=60))
    assert printed.startswith(b"%PDF-")
    time.sleep(0.2)
    assert hits == []


@needs_chromium
def test_the_network_stays_closed_without_the_page_policy_too(counter, tmp_path):
    """The browser's own lock (a dead proxy for every address, loopback included; no name resolves) holds even for
    a page that carries no Content-Security-Policy."""
    port, hits = counter
    page = tmp_path / "page.html"
    page.write_text(f'<img src="http://127.0.0.1:{port}/img"><img src="http://localhost:{port}/name">')
    out = tmp_path / "page.pdf"
    errors = pdf._run(str(CHROMIUM), page, out, tmp_path / "profile", 60, sandbox=pdf.use_sandbox())
    assert out.read_bytes().startswith(b"%PDF-"), errors[-500:]
    time.sleep(0.2)
    assert hits == []
