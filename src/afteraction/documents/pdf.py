"""PDF export: headless Chromium prints the HTML rendering of a post-mortem."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from afteraction.core.errors import ConfigurationError

BROWSERS: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
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


def html_to_pdf(html: str, *, browser: str | None = None, timeout: float = 60.0) -> bytes:
    """Print a self-contained HTML page to PDF bytes with headless Chromium."""
    browser = find_browser(browser)
    if browser is None:
        raise ConfigurationError(
            "PDF export needs Chromium: install it (apt-get install chromium) or set AFTERACTION_CHROMIUM_PATH"
        )
    with tempfile.TemporaryDirectory(prefix="afteraction-pdf-") as folder:
        page = Path(folder) / "postmortem.html"
        out = Path(folder) / "postmortem.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigurationError(f"PDF export failed: {browser} did not run ({exc})") from None
        if not out.exists() or out.stat().st_size == 0:
            raise ConfigurationError(f"PDF export failed: {browser} wrote no PDF")
        return out.read_bytes()
