"""`afteraction insights`, `similar`, `themes`, `duplicates …` and `categories …`: what the whole history of
post-mortems shows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, fmt_duration, markup, print_json, table, write_file
from afteraction.cli.params import parse_date
from afteraction.core.errors import InvalidInput
from afteraction.domain.metrics import share_text

if TYPE_CHECKING:
    from afteraction.insights.schemas import InsightsReport

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
Since = Annotated[str | None, typer.Option("--since", help="Only incidents that started on or after DATE.")]
Until = Annotated[str | None, typer.Option("--until", help="Only incidents that started on or before DATE.")]
Team = Annotated[str | None, typer.Option("--team", help="Only incidents of this team.")]
Service = Annotated[str | None, typer.Option("--service", help="Only incidents of this service.")]

categories_app = typer.Typer(help="The factor taxonomy: list, edit, suggest.", no_args_is_help=True)


def _date(value: str | None, option: str) -> date | None:
    return parse_date(value, option) if value else None


def _print_report(report: InsightsReport) -> None:
    out = console()
    inc = report.incidents
    out.print(markup("[bold]{} incidents[/bold]", inc.total))
    for title, counts in (
        ("By severity", inc.by_severity),
        ("By kind", inc.by_kind),
        ("By service", inc.by_service[:10]),
        ("By team", inc.by_team[:10]),
    ):
        if counts:
            out.print(f"{title}: " + ", ".join(f"{c.key} {c.count}" for c in counts))
    if inc.by_month:
        out.print("By month: " + ", ".join(f"{c.key} {c.count}" for c in inc.by_month[-12:]))
    if inc.date_unknown:
        out.print(f"Date unknown: {inc.date_unknown} (documents that give no date; in no month)")
    rows = []
    for metric, figures in report.durations.items():
        rows.append((metric.replace("_", " "), figures.overall.n, fmt_duration(figures.overall.median),
                     fmt_duration(figures.overall.p90)))  # fmt: skip
        for spread in figures.by_severity:
            rows.append((f"  {spread.key}", spread.n, fmt_duration(spread.median), fmt_duration(spread.p90)))
    out.print(table("Time to … (effective key moments)", ["Metric", "n", "Median", "p90"], rows))
    pm = report.postmortems
    out.print(
        f"Post-mortems needed by policy: {pm.needed}; done {share_text(pm.done, pm.needed)}; "
        f"late {share_text(pm.late, pm.with_due_date)} of those with a due date; "
        f"median days to publish {pm.days_to_publish.median if pm.days_to_publish.median is not None else '—'}"
    )
    ai = report.actions
    out.print(
        f"Action items: {ai.total}; done {share_text(ai.done, ai.total)}, open {ai.open}, "
        f"overdue {ai.overdue}; median days to close "
        f"{ai.days_to_close.median if ai.days_to_close.median is not None else '—'}"
    )
    if ai.by_owner:
        out.print(
            table(
                "Action items by owner",
                ["Owner", "Total", "Done", "Open", "Overdue", "Completion"],
                [(o.key, o.total, o.done, o.open, o.overdue, share_text(o.done, o.total)) for o in ai.by_owner[:10]],
            )
        )
    if report.categories:
        out.print(
            table(
                "Recurring factor categories",
                ["Category", "Incidents", "Services most in them"],
                [
                    (c.name, c.incidents, ", ".join(f"{s.key} ({s.count})" for s in c.services))
                    for c in report.categories
                ],
            )
        )
    if report.recurrences:
        out.print(markup("[bold]Recurrences[/bold]"))
        for r in report.recurrences:
            out.print(f"{r.incident_id} {r.title}: {r.message}")


Quarter = Annotated[str | None, typer.Option("--quarter", help="Only incidents of this quarter, e.g. 2026-Q3.")]
Severity = Annotated[str | None, typer.Option("--severity", help="Only incidents of this severity.")]
Kind = Annotated[str | None, typer.Option("--kind", help="Only incidents of this kind (incident, near-miss, …).")]
CategoryOption = Annotated[
    str | None, typer.Option("--category", help="Only incidents with a factor of this category.")
]


def insights_command(
    ctx: typer.Context,
    quarter: Quarter = None,
    since: Since = None,
    until: Until = None,
    team: Team = None,
    service: Service = None,
    severity: Severity = None,
    kind: Kind = None,
    category: CategoryOption = None,
    recurrences: Annotated[int, typer.Option("--recurrences", help="List at most N recurrences.", min=0)] = 10,
    as_json: JsonFlag = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report to FILE.")
    ] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write the report as a PDF to FILE.")] = None,
) -> None:
    """Figures across post-mortems: incidents, time to detect/acknowledge/mitigate/resolve, completion, categories,
    recurrences; the same as the web app's Insights page and GET /api/v1/insights for the same filter."""
    from afteraction.insights.schemas import InsightsFilter
    from afteraction.insights.service import compute_insights, upkeep

    state = state_of(ctx)
    upkeep(state.database())  # the search index and planner statistics caught up first (the server does it by itself)
    within = InsightsFilter(
        quarter=quarter, since=_date(since, "--since"), until=_date(until, "--until"), team=team, service=service,
        severity=severity, kind=kind, category=category,
    )  # fmt: skip
    report = compute_insights(
        state.database(),
        actor=actor_of(ctx),
        policy=state.policy(),
        severities=state.settings.severities,
        within=within,
        recurrences=recurrences,
    )
    if html is not None or pdf is not None:
        from afteraction.web.report import report_html, report_pdf

        if html is not None:
            write_file(html, report_html(report, settings=state.settings))
        if pdf is not None:
            write_file(pdf, report_pdf(report, settings=state.settings))
    if as_json:
        print_json(report)
    else:
        _print_report(report)
        for label, path in (("HTML report", html), ("PDF report", pdf)):
            if path is not None:
                console().print(f"{label}: {path.resolve()}")


def similar_command(
    ctx: typer.Context,
    incident_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The incident, e.g. INC-12.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Describe an incident in words instead of an ID.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many to list.", min=1)] = 5,
    semantic: Annotated[
        bool, typer.Option("--semantic", help="Blend in sentence embeddings (needs afteraction[semantic]).")
    ] = False,
    reindex: Annotated[bool, typer.Option("--reindex", help="Rebuild the search index first.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Past post-mortems ranked by relevance of title, summary, factors and timeline (BM25 full-text search)."""
    from afteraction.insights import similar as similar_service
    from afteraction.insights.service import upkeep

    db = state_of(ctx).database()
    upkeep(db)  # the search index caught up first (the server does it by itself)
    if reindex:
        count = similar_service.reindex(db, actor=actor_of(ctx))
        if incident_id is None and not text:
            console().print(f"Indexed {count} post-mortems.")
            return
    if incident_id is None and not text:
        raise InvalidInput('give an incident id (afteraction similar INC-12) or --text "…"')
    hits = similar_service.similar_incidents(
        db, actor=actor_of(ctx), incident_id=incident_id, text=text, top=top, semantic=semantic
    )
    if as_json:
        print_json(hits)
        return
    if not hits:
        console().print("No similar post-mortems found.")
        return
    rows = [(h.id, f"{h.score:.3f}", h.severity or "", h.title, h.postmortem_status or "") for h in hits]
    console().print(table("Similar post-mortems", ["ID", "Score", "Sev", "Title", "Post-mortem"], rows))


def themes_command(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    team: Team = None,
    service: Service = None,
    limit: Annotated[int, typer.Option("--limit", help="Group the incidents of at most N recent post-mortems.")] = 2000,
    as_json: JsonFlag = False,
) -> None:
    """Themes: incidents grouped by the phrase their factors share, with services, categories and action items."""
    from afteraction.insights.themes import compute_themes

    themes = compute_themes(
        state_of(ctx).database(),
        actor=actor_of(ctx),
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        team=team,
        service=service,
        limit=limit,
    )
    if as_json:
        print_json(themes)
        return
    if not themes:
        console().print("No themes yet: no phrase is shared by the factors of two incidents.")
        return
    rows = [
        (
            t.title,
            t.category_name or "",
            f"{len(t.incidents)}" + (f" (+{len(t.duplicates)} dup.)" if t.duplicates else ""),
            ", ".join(s.key for s in t.services[:3]),
            f"{t.actions_done} done, {t.actions_open} open, {t.actions_overdue} overdue",
        )
        for t in themes
    ]
    headers = ["Theme", "Category", "Incidents", "Services", "Action items"]
    console().print(table(f"{len(themes)} themes", headers, rows))


duplicates_app = typer.Typer(
    help="Duplicate incidents (the same event recorded twice): suspected and linked ones; link and unlink them.",
    invoke_without_command=True,
)


@duplicates_app.callback()
def duplicates_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List linked duplicates, then suspected ones (same or nearly the same title and summary) with their score."""
    if ctx.invoked_subcommand is not None:
        return
    from afteraction.insights.duplicates import list_duplicates

    pairs = list_duplicates(state_of(ctx).database(), actor=actor_of(ctx))
    if as_json:
        print_json(pairs)
        return
    if not pairs:
        console().print("No duplicate incidents, linked or suspected.")
        return
    rows = [
        (
            p.incident.id,
            p.of.id,
            "" if p.score is None else f"{p.score:.2f}",
            f"linked by {p.linked_by}" if p.linked else "suspected",
            p.incident.title,
            p.of.title,
        )
        for p in pairs
    ]
    headers = ["Incident", "Duplicate of", "Score", "State", "Title", "Title of the original"]
    console().print(table(f"{len(pairs)} duplicate pairs", headers, rows))


@duplicates_app.command("link")
def duplicates_link(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT", help="The duplicate, e.g. INC-2.")],
    of: Annotated[str, typer.Argument(metavar="ORIGINAL", help="The incident it repeats, e.g. INC-1.")],
    as_json: JsonFlag = False,
) -> None:
    """Mark INCIDENT as the same event as ORIGINAL: themes show it as ORIGINAL and count it once."""
    from afteraction.insights.duplicates import link_duplicate

    pair = link_duplicate(state_of(ctx).database(), incident_id=incident_id, of=of, actor=actor_of(ctx))
    if as_json:
        print_json(pair)
        return
    console().print(f"{pair.incident.id} is now a duplicate of {pair.of.id}.")


@duplicates_app.command("unlink")
def duplicates_unlink(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT", help="The incident marked as a duplicate.")],
    of: Annotated[str | None, typer.Argument(metavar="[ORIGINAL]", help="Only its link to this incident.")] = None,
) -> None:
    """Say INCIDENT is not a duplicate (of ORIGINAL, or of any incident) after all."""
    from afteraction.insights.duplicates import unlink_duplicate

    unlink_duplicate(state_of(ctx).database(), incident_id=incident_id, of=of, actor=actor_of(ctx))
    console().print(f"{incident_id.upper()} is no longer marked as a duplicate" + (f" of {of.upper()}." if of else "."))


@categories_app.command("list")
def categories_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The categories of the factor taxonomy with their keywords."""
    from afteraction.insights import taxonomy as taxonomy_service

    cats = taxonomy_service.list_categories(state_of(ctx).database())
    if as_json:
        print_json(cats)
        return
    rows = [(c.slug, c.name, ", ".join(c.keywords[:8]) + (" …" if len(c.keywords) > 8 else "")) for c in cats]
    console().print(table("Factor taxonomy", ["Slug", "Name", "Keywords"], rows))


@categories_app.command("set")
def categories_set(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The category, e.g. config-change (a new slug adds one).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What it covers.")] = None,
    keyword: Annotated[
        list[str] | None, typer.Option("--keyword", help="A word or phrase that suggests it (repeatable; adds).")
    ] = None,
    replace_keywords: Annotated[
        bool, typer.Option("--replace-keywords", help="Replace the keywords instead of adding to them.")
    ] = False,
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Another name stored factors use (repeatable; replaces).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a category to the taxonomy or change one."""
    from afteraction.insights import taxonomy as taxonomy_service

    view = taxonomy_service.set_category(
        state_of(ctx).database(),
        slug=slug,
        name=name,
        description=description,
        keywords=(keyword or []) if replace_keywords else None,
        add_keywords=() if replace_keywords else (keyword or []),
        aliases=alias,
    )
    if as_json:
        print_json(view)
    else:
        console().print(markup("Category [bold]{}[/bold] ({}): {} keywords.", view.slug, view.name, len(view.keywords)))


@categories_app.command("remove")
def categories_remove(ctx: typer.Context, slug: Annotated[str, typer.Argument(help="The category.")]) -> None:
    """Take a category out of the taxonomy."""
    from afteraction.insights import taxonomy as taxonomy_service

    taxonomy_service.remove_category(state_of(ctx).database(), slug=slug)
    console().print(f"Removed category {slug}.")


@categories_app.command("reset")
def categories_reset(ctx: typer.Context) -> None:
    """Go back to the built-in taxonomy."""
    from afteraction.insights import taxonomy as taxonomy_service

    taxonomy_service.reset_taxonomy(state_of(ctx).database())
    console().print("The taxonomy is the built-in one again.")


@categories_app.command("suggest")
def categories_suggest(
    ctx: typer.Context,
    incident_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The incident, e.g. INC-12.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="A description to categorise instead.")] = None,
    learn: Annotated[
        bool, typer.Option("--learn", help="Also learn from the incidents that already carry categories.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Propose factor categories for an incident from its text."""
    from afteraction.insights import taxonomy as taxonomy_service

    found = taxonomy_service.suggest_for(
        state_of(ctx).database(), actor=actor_of(ctx), incident_id=incident_id, text=text, learn=learn
    )
    if as_json:
        print_json(found)
        return
    if not found:
        console().print("No category suggested.")
        return
    rows = [(s.slug, f"{s.score:.2f}", ", ".join(s.evidence)) for s in found]
    console().print(table("Suggested categories", ["Category", "Score", "Because of"], rows))


@categories_app.command("suggestions")
def categories_suggestions(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """How authors answered the categories suggested for their factors in the editor: accepted and rejected, per
    category."""
    from afteraction.insights.suggestions import suggestion_counts

    counts = suggestion_counts(state_of(ctx).database(), actor=actor_of(ctx))
    if as_json:
        print_json(counts)
        return
    if not counts.categories:
        console().print("No suggestion answered yet.")
        return
    rows = [
        (c.category, str(c.accepted), str(c.rejected), "—" if c.rate is None else f"{c.rate:.0%}")
        for c in [*counts.categories, counts.total]
    ]
    console().print(table("Category suggestions", ["Category", "Accepted", "Rejected", "Accepted share"], rows))
