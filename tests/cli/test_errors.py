"""What a user sees when something goes wrong below the checks: one line, no traceback, no SQL, no values."""

from __future__ import annotations

import typer
from sqlalchemy.exc import DataError
from typer.testing import CliRunner

from afteraction.cli import AfteractionGroup


def test_a_value_the_database_refuses_is_one_line_without_sql_or_values():
    app = typer.Typer(cls=AfteractionGroup)

    @app.command()
    def save() -> None:
        """Stands for any command whose value no check caught."""
        raise DataError(
            "INSERT INTO people (name) VALUES (%(name)s)",
            {"name": "secret value"},
            Exception("value too long for type character varying(200)\nDETAIL: more"),
        )

    @app.command()
    def other() -> None:
        """A second command, so that Typer keeps the names."""

    result = CliRunner().invoke(app, ["save"])
    assert result.exit_code == 2
    assert result.output == (
        "error: the database refused a value: value too long for type character varying(200); nothing was written\n"
    )
