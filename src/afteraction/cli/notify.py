"""`afteraction notify`: send the pending notifications once (after writing the due-soon notices) and exit."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.cli import one_line, state_of
from afteraction.cli.output import console, error_console, print_json


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def notify_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Send the pending notifications (e-mail and Slack) once; those that fail are retried by a later run."""
    from afteraction.notifications.sender import missing_settings
    from afteraction.usecases.notify import notify_once

    state = state_of(ctx)
    missing = missing_settings(state.settings)
    if len(missing) == 2:  # nothing could be sent: exit 1, saying what to set
        error_console().print(
            "error: no notification channel is configured: set AFTERACTION_SMTP_HOST and AFTERACTION_SMTP_FROM "
            "(e-mail), or AFTERACTION_SLACK_WEBHOOK_URL, AFTERACTION_SLACK_TEAM_WEBHOOKS or "
            "AFTERACTION_SLACK_BOT_TOKEN (Slack)"
        )
        raise typer.Exit(1)
    report = notify_once(state.database(), state.settings)
    if as_json:
        print_json(report)
    else:
        parts = [_plural(report.emails, "e-mail", "e-mails"), _plural(report.slack_messages, "Slack message",
                                                                        "Slack messages")]  # fmt: skip
        line = f"Sent {_plural(report.sent, 'notification', 'notifications')} ({', '.join(parts)})"
        if report.retrying and report.next_retry_at is not None:
            line += f"; {report.retrying} will be retried at {report.next_retry_at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
        else:
            line += "; 0 will be retried"
        console().print(f"{line}; {report.failed} failed.")
    for problem in report.problems:
        error_console().print(f"warning: {one_line(problem)}")
    if report.waiting:
        error_console().print(
            f"warning: {_plural(report.waiting, 'notification waits', 'notifications wait')} for a channel that is "
            f"not configured: set {' and '.join(report.missing)}"
        )
