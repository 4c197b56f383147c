"""`afteraction policy check|show`: what the team's policy says is missing or late."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of, policy_of
from afteraction.cli.output import console, print_json, table
from afteraction.cli.params import parse_date

if TYPE_CHECKING:
    from afteraction.reviews.workflow import FindingKind

app = typer.Typer(
    help="Check incidents, post-mortems and action items against the team's policy.", no_args_is_help=True
)


@app.command("check")
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    today: Annotated[str | None, typer.Option("--today", help="Check as of this date (YYYY-MM-DD).")] = None,
) -> None:
    """List incidents missing a post-mortem, late post-mortems and overdue action items; exit 1 if any."""
    from afteraction.reviews import workflow as service

    db = state_of(ctx).database()
    # A cron job runs this: it is also where post-mortems whose items were all finished by hand get closed.
    closed = service.close_finished(db, actor=actor_of(ctx))
    report = service.policy_check(
        db, actor=actor_of(ctx), policy=policy_of(ctx), today=parse_date(today, "--today") if today else None
    )
    kinds: tuple[FindingKind, ...] = ("missing-postmortem", "late-postmortem", "overdue-action")
    if as_json:
        print_json({"today": report.today, "policy_file": report.policy_file,
                    "counts": {kind: report.count(kind) for kind in kinds}, "findings": report.findings,
                    "closed": closed})  # fmt: skip
    else:
        out = console()
        for line in closed:
            out.print(f"Post-mortem {line}: every action item is finished.")
        if not report.findings:
            out.print(f"Nothing missing or late on {report.today.isoformat()}.")
        else:
            rows = [
                (f.kind, f.action_id or f.incident_id, f.title, f.owner or "", f.due.isoformat() if f.due else "—",
                 f"{f.days_late}d" if f.days_late else "", f.status)
                for f in report.findings
            ]  # fmt: skip
            out.print(table(f"{len(report.findings)} findings on {report.today.isoformat()}",
                            ["Finding", "ID", "Title", "Owner", "Due", "Late", "Status"], rows))  # fmt: skip
    if report.findings:
        raise typer.Exit(1)


@app.command("show")
def show(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False
) -> None:
    """The policy in force (from the policy file, or the defaults) and where it comes from."""
    policy = policy_of(ctx)
    data = {
        "source": str(policy.source) if policy.source else None,
        "require_severities": list(policy.require_severities),
        "require_kinds": list(policy.require_kinds),
        "postmortem_due": {key: str(value) for key, value in policy.postmortem_due.items()},
        "action_due": {key: str(value) for key, value in policy.action_due.items()},
        "required_sections": {key: list(value) for key, value in policy.required_sections.items()},
        "require_owner": policy.require_owner,
        "require_due_date": policy.require_due_date,
        "require_approval": policy.require_approval,
        "approvals": policy.approvals,
        "holidays": sorted(day.isoformat() for day in policy.holidays),
        "people": sorted(policy.people),
    }
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(f"Policy from {data['source'] or 'the built-in defaults'}")
    for key, value in data.items():
        if key != "source":
            out.print(f"  {key}: {value}")
