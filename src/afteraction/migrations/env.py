"""Alembic environment: runs migrations on the engine that afteraction passes in (batch mode on SQLite)."""

from __future__ import annotations

from alembic import context

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
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
