"""Settings, read from the environment (prefix AFTERACTION_) when a face builds them; never at import time."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """The SQLite file used when AFTERACTION_DATABASE_URL is not set."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'afteraction' / 'afteraction.db'}"


class Settings(BaseSettings):
    """Every setting of afteraction; each one is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="AFTERACTION_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL of the database: a SQLite file (default) or postgresql+psycopg://…",
    )
    template_dir: Path | None = Field(
        default=None,
        description="Folder of Jinja2 templates (postmortem.md.j2, postmortem.html.j2) that override the defaults.",
    )
    severities: list[str] = Field(
        default=["SEV1", "SEV2", "SEV3", "SEV4"],
        description="Allowed severities, most severe first (JSON list in the environment).",
    )
    chromium_path: str | None = Field(
        default=None, description="The browser that prints PDF exports; default: chromium found on the PATH."
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (for debugging).")
