"""Settings, read from the environment (prefix AFTERACTION_) when a face builds them; never at import time."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_database_url() -> str:
    """The SQLite file used when AFTERACTION_DATABASE_URL is not set."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'afteraction' / 'afteraction.core.db'}"


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

    # Follow-through: who acts, the policy file, links back, trackers, reminders.
    user: str | None = Field(default=None, description="Who performs review actions when --as is not given.")
    policy_file: Path | None = Field(
        default=None, description="The policy file; default: afteraction.toml or pyproject.toml found from the cwd."
    )
    base_url: str | None = Field(
        default=None, description="Public URL of the afteraction web app, for links in tracker issues and reminders."
    )
    tracker: str | None = Field(default=None, description="The tracker `actions sync` uses: jira, github or linear.")
    outbound_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Longest time (seconds) one outbound request may take in all (tracker, Slack, SMTP): a total "
        "deadline per answer, not per read.",
    )
    tracker_max_wait: float = Field(default=900.0, description="Longest rate-limit wait (seconds) before giving up.")
    jira_url: str | None = Field(default=None, description="Jira Cloud site, e.g. https://example.atlassian.net.")
    jira_email: str | None = Field(default=None, description="E-mail of the Jira account the API token belongs to.")
    jira_token: SecretStr | None = Field(default=None, description="Jira API token (basic auth with the e-mail).")
    jira_project: str | None = Field(default=None, description="Key of the Jira project issues are created in.")
    jira_issue_type: str = Field(default="Task", description="Issue type of created Jira issues.")
    github_token: SecretStr | None = Field(default=None, description="GitHub token with issues read/write access.")
    github_repo: str | None = Field(default=None, description="GitHub repository for issues, as owner/name.")
    github_api_url: str = Field(default="https://api.github.com", description="GitHub API root (Enterprise).")
    linear_token: SecretStr | None = Field(default=None, description="Linear personal API key.")
    linear_team: str | None = Field(default=None, description="Linear team key (e.g. ENG) or id issues go to.")
    linear_api_url: str = Field(default="https://api.linear.app/graphql", description="Linear GraphQL endpoint.")
    smtp_host: str | None = Field(default=None, description="SMTP server for reminder e-mails.")
    smtp_port: int = Field(default=587, description="SMTP port.")
    smtp_username: str | None = Field(default=None, description="SMTP login name.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool | None = Field(
        default=None, description="Use STARTTLS: default when offered, and required when a login is configured."
    )
    smtp_ca_file: Path | None = Field(default=None, description="CA bundle that signs the SMTP server's certificate.")
    smtp_from: str | None = Field(default=None, description="Sender address of reminder e-mails.")
    slack_webhook_url: SecretStr | None = Field(default=None, description="Slack incoming webhook for reminders.")
    slack_team_webhooks: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Slack incoming webhook of each team for notifications, as a JSON object team name → URL; a team "
        "without one uses AFTERACTION_SLACK_WEBHOOK_URL.",
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, description="Token of a Slack bot (chat:write) that sends notifications to a person's Slack id."
    )
    slack_api_url: str = Field(default="https://slack.com/api", description="Slack Web API root (for tests).")
    notify_interval: int = Field(
        default=60, ge=0, description="How often (seconds) `serve` sends pending notifications; 0: it does not."
    )
    slack_workspace_url: str | None = Field(
        default=None,
        description="The Slack workspace (https://<name>.slack.com) imported Slack messages link to when the import "
        "names none; unset: learned from the export's file links.",
    )
    remind_period: str = Field(default="week", description="How often owners get a digest: day or week.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret the Alertmanager, Grafana and Opsgenie webhooks must send; unset: they reject all.",
    )
    pagerduty_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret(s) of PagerDuty v3 webhook subscriptions, comma-separated, for signatures."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request or webhook body the server accepts (bytes)."
    )
    max_upload_bytes: int = Field(
        default=50 * 1_048_576, ge=1024, description="Largest timeline file upload the server accepts (bytes)."
    )
    upload_max_members: int = Field(
        default=10_000, ge=1, description="Most files an uploaded or imported archive (a Slack export zip) may hold."
    )
    upload_max_member_bytes: int = Field(
        default=64 * 1_048_576, ge=1024, description="Largest inflated size of one file in an archive (bytes)."
    )
    upload_max_total_bytes: int = Field(
        default=512 * 1_048_576, ge=1024, description="Largest inflated size of all files of an archive (bytes)."
    )
    upload_max_ratio: int = Field(
        default=100, ge=2, description="Largest compression ratio (inflated / compressed) of a file in an archive."
    )
    json_max_depth: int = Field(
        default=200, ge=8, le=1000, description="Deepest nesting of arrays and objects a JSON file or body may have."
    )
    pdf_max_concurrent: int = Field(
        default=2, ge=1, le=64, description="Most PDF exports each server process prints at once; the rest wait."
    )
    pdf_timeout: float = Field(default=60.0, gt=0, description="Longest time one PDF print may take (seconds).")
    pdf_queue_seconds: float = Field(
        default=30.0, ge=0, description="How long a PDF export waits for a free printer before the answer is 429."
    )
    signin_free_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account (in the window) before each try must wait."
    )
    signin_address_free_failures: int = Field(
        default=20, ge=1, description="Failed sign-ins from one client address (in the window) before it must wait."
    )
    signin_backoff_seconds: float = Field(
        default=2.0, gt=0, description="The first wait after too many failures; it doubles with each further one."
    )
    signin_max_backoff_seconds: float = Field(default=900.0, gt=0, description="The longest wait between tries.")
    signin_window_seconds: float = Field(
        default=900.0, gt=0, description="Failed sign-ins older than this (seconds) are forgotten."
    )
    password_hash_concurrency: int = Field(
        default=2, ge=1, le=64, description="Most password hashes each server process computes at once; the rest wait."
    )
    header_timeout: float = Field(
        default=10.0, gt=0, description="Longest time (seconds) a client may take to send a request's headers."
    )
    body_timeout: float = Field(
        default=60.0, gt=0, description="Longest time (seconds) a client may take to send a request's body."
    )
    fast_read_connections: int = Field(
        default=16,
        ge=0,
        le=1000,
        description="Database connections each server process keeps for the API's fast reads (token check, "
        "GET /api/v1/incidents/{id}); 0 turns the fast reads off.",
    )

    @field_validator("slack_team_webhooks", mode="before")
    @classmethod
    def _check_team_webhooks(cls, value: object) -> object:
        """A JSON object of team name → webhook URL, each an http(s) URL with a host (the URL itself is never shown:
        it is a secret)."""
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValueError('not JSON: expected an object such as {"SRE": "https://hooks.slack.com/…"}') from None
        if not isinstance(value, dict):
            raise ValueError('expected a JSON object such as {"SRE": "https://hooks.slack.com/…"}')
        for team, url in value.items():
            text = url.get_secret_value() if isinstance(url, SecretStr) else url
            parts = urlsplit(text.strip()) if isinstance(text, str) else None
            if not str(team).strip() or parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"the webhook of team {team!r} is not an http(s) URL")
        return value

    # The web app: sign-in sessions live in signed cookies, so every server process must share this key.
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies (32+ characters); unset: one is made and kept in the database.",
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90, description="How long a web sign-in lasts (hours).")

    # Deadlines on the database (issue #15): a database that does not answer makes a request fail (503), not hang.
    db_connect_timeout: float = Field(
        default=5.0, gt=0, description="Longest time (seconds) opening a PostgreSQL connection may take."
    )
    db_statement_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Longest time (seconds) one PostgreSQL statement may run, or wait for an answer; 0: no limit.",
    )
    db_lock_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Longest time (seconds) a statement waits for a lock another connection holds (PostgreSQL's "
        "lock_timeout, SQLite's busy timeout).",
    )

    # Importing history (issue #15): an old document is imported as what it is, not as a new draft.
    import_published_after_days: int = Field(
        default=90,
        ge=0,
        description="An imported post-mortem whose front matter gives no status and whose incident started more "
        "than this many days ago is imported as published (else draft); 0: every dated document.",
    )
