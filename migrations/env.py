"""Alembic environment: the URL comes from the caller's config or from Extender's settings."""

from __future__ import annotations

from alembic import context

from extender.config import get_settings
from extender.db import make_engine
from extender.schema import include_name, metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()


def run_offline() -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
