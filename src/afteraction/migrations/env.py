"""Alembic environment: runs migrations on the engine that afteraction passes in (batch mode on SQLite)."""

from __future__ import annotations

from alembic import context

# Full-text search objects are created per database by migration 0003_insights and described by no model:
# include_object keeps autogenerate from taking them for tables or columns to drop.
from afteraction.insights.models import include_object
from afteraction.models import metadata

config = context.config


def run_migrations_online() -> None:
    """Run every pending migration inside one transaction on the given engine."""
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
