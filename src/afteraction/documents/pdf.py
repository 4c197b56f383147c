"""PDF export: headless Chromium prints the HTML rendering of a post-mortem, with the network closed.

The printer cannot reach anything: the page carries a Content-Security-Policy that allows no script and no network
(only inline styles and `data:` images), and Chromium is started with every request sent to a dead proxy on
loopback (loopback included) and every host name resolving to nothing. Its sandbox is on unless the server runs as
root or the sandbox cannot start. Each process prints at most `max_concurrent` PDFs at once (the rest wait up to
`queue_seconds`, then TooManyRequests), and a print that takes longer than `timeout` is killed with every process
Chromium started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from afteraction.core.errors import ConfigurationError, TooManyRequests
from afteraction.documents.render import with_export_csp

if TYPE_CHECKING:
    from afteraction.core.config import Settings

log = logging.getLogger("afteraction.pdf")

BROWSERS: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS: tuple[str, ...] = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-extensions",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-sync",
    "--no-pings",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pdf-header-footer",
    # Every host name resolves to nothing; with the dead proxy below, no request leaves the printer.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-bypass-list=<-loopback>",  # loopback goes to the dead proxy too
)
NO_SANDBOX = "--no-sandbox"
RETRY_AFTER_SECONDS = 5.0  # what a refused print is told to wait: a print takes a second or two
_SANDBOX_FAILURES = ("no usable sandbox", "setuid sandbox", "failed to move to new namespace", "sandbox_host_linux")

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}
_sandbox_works: bool | None = None  # learnt on the first print that tries it


@dataclass(frozen=True)
class Printer:
    """How PDF exports are printed: the browser, and the limits of each print (defaults: those of Settings)."""

    browser: str | None = None
    timeout: float = 60.0
    max_concurrent: int = 2
    queue_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Printer:
        """The printer the settings describe (AFTERACTION_CHROMIUM_PATH, AFTERACTION_PDF_*)."""
        return cls(
            browser=settings.chromium_path,
            timeout=settings.pdf_timeout,
            max_concurrent=settings.pdf_max_concurrent,
            queue_seconds=settings.pdf_queue_seconds,
        )


def find_browser(configured: str | None = None) -> str | None:
    """The configured browser, else the first Chromium-like browser on the PATH, or None."""
    if configured:
        return configured
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _slot(max_concurrent: int) -> threading.BoundedSemaphore:
    """The process's printing slots for this cap, made on first use (nothing at import time)."""
    with _slots_lock:
        slot = _slots.get(max_concurrent)
        if slot is None:
            slot = _slots[max_concurrent] = threading.BoundedSemaphore(max_concurrent)
        return slot


def use_sandbox() -> bool:
    """Whether Chromium runs in its sandbox: not as root (it refuses), nor once the sandbox failed to start."""
    return os.geteuid() != 0 and _sandbox_works is not False


def html_to_pdf(html: str, *, printer: Printer | None = None) -> bytes:
    """Print a self-contained HTML page to PDF bytes with headless Chromium, with the network closed.

    TooManyRequests when no printer is free within `queue_seconds`; ConfigurationError when Chromium is missing,
    fails or takes longer than `timeout`.
    """
    printer = printer or Printer()
    browser = find_browser(printer.browser)
    if browser is None:
        raise ConfigurationError(
            "PDF export needs Chromium: install it (apt-get install chromium) or set AFTERACTION_CHROMIUM_PATH"
        )
    slot = _slot(printer.max_concurrent)
    if not slot.acquire(timeout=printer.queue_seconds):
        raise TooManyRequests(
            f"every PDF printer is busy ({printer.max_concurrent} at once, AFTERACTION_PDF_MAX_CONCURRENT) and none "
            f"was free within {printer.queue_seconds:g}s (AFTERACTION_PDF_QUEUE_SECONDS): try again shortly",
            retry_after=min(RETRY_AFTER_SECONDS, printer.timeout),
        )
    try:
        return _print(with_export_csp(html), browser, printer.timeout)
    finally:
        slot.release()


def _print(html: str, browser: str, timeout: float) -> bytes:
    """One print in a fresh profile folder; retried once without the sandbox when the sandbox cannot start."""
    global _sandbox_works
    with tempfile.TemporaryDirectory(prefix="afteraction-pdf-") as folder:
        page = Path(folder) / "postmortem.html"
        out = Path(folder) / "postmortem.pdf"
        page.write_text(html, encoding="utf-8")
        sandbox = use_sandbox()
        errors = _run(browser, page, out, Path(folder) / "profile", timeout, sandbox=sandbox)
        if sandbox and not _written(out) and any(word in errors.lower() for word in _SANDBOX_FAILURES):
            log.warning("Chromium's sandbox cannot start on this machine: PDF exports print without it")
            _sandbox_works = False
            errors = _run(browser, page, out, Path(folder) / "profile-2", timeout, sandbox=False)
        elif sandbox and _written(out):
            _sandbox_works = True
        if not _written(out):
            log.error("Chromium wrote no PDF; it said: %s", errors.strip()[-2000:] or "nothing")
            raise ConfigurationError(f"PDF export failed: {Path(browser).name} wrote no PDF (its messages are logged)")
        return out.read_bytes()


def _written(out: Path) -> bool:
    return out.exists() and out.stat().st_size > 0


def _run(browser: str, page: Path, out: Path, profile: Path, timeout: float, *, sandbox: bool) -> str:
    """Run Chromium once in its own process group; return what it wrote to stderr. On timeout the whole group is
    killed and the answer is ConfigurationError naming AFTERACTION_PDF_TIMEOUT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as dead:
        dead.bind(("127.0.0.1", 0))  # bound, never listening: every connection to it is refused
        command = [
            browser,
            *FLAGS,
            *(() if sandbox else (NO_SANDBOX,)),
            f"--proxy-server=http://127.0.0.1:{dead.getsockname()[1]}",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        # stderr goes to a file, not a pipe: a helper process Chromium leaves behind cannot hold the print open.
        with (profile.parent / f"{profile.name}.log").open("w+b") as errors:
            try:
                process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                    start_new_session=True,
                )  # fmt: skip
            except OSError as exc:
                raise ConfigurationError(
                    f"PDF export failed: {Path(browser).name} did not run ({exc.strerror or 'not a program'}); "
                    "check AFTERACTION_CHROMIUM_PATH"
                ) from None
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait()
                raise ConfigurationError(
                    f"PDF export took longer than {timeout:g}s and was stopped (the limit is AFTERACTION_PDF_TIMEOUT)"
                ) from None
            finally:
                _kill_group(process.pid)  # whatever Chromium left behind
            errors.seek(0)
            return errors.read(1_000_000).decode("utf-8", "replace")


def _kill_group(pgid: int) -> None:
    """Kill every process of a print's process group (none left is fine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
