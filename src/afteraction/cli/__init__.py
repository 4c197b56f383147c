"""The `afteraction` command line: a root group that builds settings and maps errors to one line and an exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from afteraction.core.config import Settings
from afteraction.core.errors import AfteractionError, ConfigurationError

if TYPE_CHECKING:
    from afteraction.core.db import Database
    from afteraction.domain.policy import Policy


@dataclass
class CliState:
    """What every command needs: the settings, and the database and the policy built from them on first use."""

    settings: Settings
    _database: Database | None = field(default=None, repr=False)
    _policy: Policy | None = field(default=None, repr=False)

    def database(self, *, check: bool = True) -> Database:
        """The database of the settings; by default it must answer and be initialised."""
        if self._database is None:
            import afteraction.models  # noqa: F401  every table, so foreign keys between areas resolve
            from afteraction.core.db import Database, DatabaseTimeouts  # SQLAlchemy: only commands that use it pay

            timeouts = DatabaseTimeouts.from_settings(self.settings)
            self._database = Database(self.settings.database_url, echo=self.settings.echo_sql, timeouts=timeouts)
        if check:
            self._database.check()
        return self._database

    def policy(self) -> Policy:
        """The policy, read once per command: $AFTERACTION_POLICY_FILE, else afteraction.toml, .afteraction.toml or
        pyproject.toml found from the cwd, else the defaults; a bad file is one line naming it (and the line)."""
        if self._policy is None:
            from afteraction.domain.policy import load_policy

            self._policy = load_policy(self.settings.policy_file)
        return self._policy

    def close(self) -> None:
        """Release the database connections."""
        if self._database is not None:
            self._database.dispose()


class AfteractionGroup(TyperGroup):
    """The root group: users see one line and an exit code for their mistakes, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, which Typer vendors
        try:
            return super().invoke(ctx)
        except AfteractionError as exc:
            # Plain text, not rich markup: a message quoting a title or a file prints as it is. A message that
            # quotes data across lines (a tracker's answer, a pasted title) is still one line.
            typer.echo(f"error: {one_line(exc.message)}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            # A value the database refuses that no check caught before it: one line, without the SQL or the values.
            # (Looked up, not imported: `--help` and `lint` never load the database library.)
            data_error = getattr(sys.modules.get("sqlalchemy.exc"), "DataError", None)
            if data_error is None or not isinstance(exc, data_error):
                raise
            reason = str(getattr(exc, "orig", None) or "a value is out of range").splitlines()[0]
            typer.echo(f"error: the database refused a value: {reason}; nothing was written", err=True)
            raise typer.Exit(2) from None
        finally:
            state = ctx.obj
            if isinstance(state, CliState):
                state.close()


def one_line(message: str) -> str:
    """An error message on one line: its lines joined with spaces."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def state_of(ctx: typer.Context) -> CliState:
    """The CliState the root command put on the context."""
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state


app = typer.Typer(
    cls=AfteractionGroup,
    name="afteraction",
    help="Blameless post-mortems: timelines, causes, lessons and action items that get done.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Database URL (overrides AFTERACTION_DATABASE_URL).", show_default=False),
    ] = None,
) -> None:
    """Blameless post-mortems: timelines, causes, lessons and action items that get done."""
    try:
        settings = Settings() if database_url is None else Settings(database_url=database_url)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "AFTERACTION_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigurationError(f"invalid setting {name}: {first['msg']}") from None
    ctx.obj = CliState(settings=settings)


def _register() -> None:
    """Attach every command group to the root app."""
    # Every run imports these modules, so they import their services inside the commands: `--help` and a
    # pre-commit `lint` must not pay for SQLAlchemy and the models (tests/cli/test_startup.py checks it).
    from afteraction.cli import (
        actions,
        admin,
        comments,
        documents,
        incidents,
        insights,
        lint,
        metrics,
        notify,
        people,
        policy,
        remind,
        review,
        server,
        timeline,
        users,
    )

    app.add_typer(incidents.app, name="incident")
    app.add_typer(timeline.app, name="timeline")
    app.add_typer(actions.app, name="actions")
    app.command("init")(admin.init)
    app.command("demo")(admin.demo)
    app.command("import")(documents.import_command)
    app.command("export")(documents.export_command)
    app.command("metrics")(metrics.metrics_command)
    app.command("lint")(lint.lint_command)
    app.add_typer(review.app, name="review")
    app.add_typer(comments.app, name="comment")
    app.add_typer(policy.app, name="policy")
    app.command("remind")(remind.remind_command)
    app.command("notify")(notify.notify_command)
    app.command("serve")(server.serve)
    app.add_typer(users.user_app, name="user")
    app.add_typer(people.app, name="people")
    app.command("inbox")(people.inbox_command)
    app.add_typer(users.token_app, name="token")
    app.command("insights")(insights.insights_command)
    app.command("similar")(insights.similar_command)
    app.command("themes")(insights.themes_command)
    app.add_typer(insights.duplicates_app, name="duplicates")
    app.add_typer(insights.categories_app, name="categories")


_register()


def main() -> None:
    """Entry point of the `afteraction` script."""
    app()
