"""Migrations on SQLite and PostgreSQL: idempotent, reversible, and matching the ORM tables.

The metadata comparison keeps every later part honest: a table or column added to a model
without a migration (or the other way round) fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect

from civicdesk import store
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine
from civicdesk.store.tables import metadata


def import_every_store_module() -> MetaData:
    """Import each module of civicdesk.store, so every model any part defines is in the metadata.

    Without this, what the metadata holds would depend on which tests ran first.
    """
    for module in pkgutil.walk_packages(store.__path__, prefix="civicdesk.store."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    return metadata


def schema_differences(engine: Engine, target: MetaData | None = None) -> list[Any]:
    target = target if target is not None else import_every_store_module()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True},
        )
        return list(compare_metadata(context, target))


def test_upgrade_reaches_head(migrated_engine: Engine) -> None:
    head = migrate.head_revision()
    assert head is not None
    assert migrate.current_revision(migrated_engine) == head


def test_upgrade_twice_is_a_no_op(migrated_engine: Engine) -> None:
    tables_before = set(inspect(migrated_engine).get_table_names())
    assert migrate.upgrade(migrated_engine) == migrate.head_revision()
    assert migrate.upgrade(migrated_engine) == migrate.head_revision()
    assert set(inspect(migrated_engine).get_table_names()) == tables_before


def test_migrated_schema_matches_the_orm_metadata(migrated_engine: Engine) -> None:
    assert schema_differences(migrated_engine) == []


def test_the_comparison_notices_a_model_without_a_migration(migrated_engine: Engine) -> None:
    widened = MetaData()
    for table in import_every_store_module().tables.values():
        table.to_metadata(widened)
    Table("not_migrated", widened, Column("id", Integer, primary_key=True))
    baseline = len(schema_differences(migrated_engine))
    differences = schema_differences(migrated_engine, widened)
    added = [d[1].name for d in differences if d[0] == "add_table"]
    assert "not_migrated" in added
    assert len(differences) == baseline + 1


@pytest.mark.slow
def test_tables_module_names_every_table() -> None:
    """Alembic's env.py reads civicdesk.store.tables; it must see every model on its own."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from civicdesk.store.tables import metadata; print(' '.join(sorted(metadata.tables)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == sorted(import_every_store_module().tables)


def test_every_orm_table_is_created(migrated_engine: Engine) -> None:
    created = set(inspect(migrated_engine).get_table_names())
    assert set(import_every_store_module().tables) <= created
    assert "alembic_version" in created


def test_fresh_database_is_at_no_revision(db_settings: Settings) -> None:
    engine = make_engine(db_settings)
    try:
        assert migrate.current_revision(engine) is None
        assert migrate.upgrade(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(migrated_engine: Engine) -> None:
    config = migrate.alembic_config()
    with migrated_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert migrate.current_revision(migrated_engine) is None
    remaining = set(inspect(migrated_engine).get_table_names())
    assert not set(import_every_store_module().tables) & remaining
    assert migrate.upgrade(migrated_engine) == migrate.head_revision()
    assert schema_differences(migrated_engine) == []
