"""Alembic environment: runs on the connection civicdesk hands it."""

from __future__ import annotations

from alembic import context

from civicdesk.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via civicdesk.store.migrate
    raise RuntimeError("run migrations through `civicdesk db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
