"""A case desk and an assistant over the sample council, with staff accounts, for casework tests.

    from desks import Desk, desk  # noqa: F401  (the fixture)

The sample council is ingested once per test session into a template folder; each test gets a
copy (SQLite file, index and key files), so tests never see each other's cases. The
``desk_on`` fixture does the same on SQLite and then on PostgreSQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from civicdesk.assistant.service import Assistant
from civicdesk.casework.cases import CaseDesk
from civicdesk.casework.permissions import Role
from civicdesk.casework.staff_user import StaffUser, user_from_row
from civicdesk.domain.inquiry import AssistantReply, Channel
from civicdesk.knowledge import ingest_paths, load_retriever, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.base import utcnow
from civicdesk.store.engine import make_engine, make_sessionmaker, session_scope
from civicdesk.store.staff import StaffUserRow

HANDOVER = "I want to make a formal complaint about how my missed bin was handled"
CRISIS = "I want to kill myself, I cannot cope with my council tax debt"
VULNERABLE = (
    "Has my council tax reduction application been approved yet? I am disabled and have no "
    "money for heating"
)
ANSWERABLE = "How do I apply for a blue badge?"

STAFF = {
    "alice": Role.CASEWORKER,
    "bob": Role.CASEWORKER,
    "sam": Role.SUPERVISOR,
    "ann": Role.ANALYST,
    "ada": Role.ADMIN,
    "aud": Role.AUDITOR,
}


def add_staff_rows(engine: Engine) -> dict[str, StaffUser]:
    """Staff rows written directly (no password is ever checked in these tests)."""
    users = {}
    with session_scope(make_sessionmaker(engine)) as session:
        for name, role in STAFF.items():
            row = StaffUserRow(
                email=f"{name}@example.gov.uk",
                name=name.title(),
                role=role.value,
                password_hash="not-used",
                active=True,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            users[name] = user_from_row(row)
    return users


@dataclass
class Desk:
    settings: Settings
    engine: Engine
    desk: CaseDesk
    assistant: Assistant
    staff: dict[str, StaffUser]

    def ask(self, text: str, **kwargs: Any) -> AssistantReply:
        return self.assistant.ask(text, channel=kwargs.pop("channel", Channel.WEB), **kwargs)

    def handed_over(self, text: str = HANDOVER) -> str:
        reply = self.ask(text)
        assert reply.outcome.value in ("handed_over", "signposted"), reply.outcome
        return reply.reference

    def rows(self, model: Any, **where: Any) -> list[Any]:
        with make_sessionmaker(self.engine)() as session:
            query = select(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return list(session.execute(query).scalars())


def build_desk(settings: Settings, engine: Engine, staff: dict[str, StaffUser]) -> Desk:
    desk = CaseDesk.from_settings(settings, engine)
    assistant = Assistant.from_settings(settings, engine, on_handover=[desk.on_handover])
    desk.knowledge.share(assistant.retriever)
    return Desk(settings, engine, desk, assistant, staff)


@pytest.fixture(scope="session")
def council_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the sample council ingested and staff added, to copy per test."""
    folder = tmp_path_factory.mktemp("council-template")
    settings = Settings(data_dir=folder, environment="test", organisation_name="Aberwen")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    load_retriever(settings, engine)  # the index files are copied too
    add_staff_rows(engine)
    engine.dispose()
    return folder


def _copy(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


@pytest.fixture
def desk_settings(council_template: Path, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=_copy(council_template, tmp_path / "data"),
        environment="test",
        organisation_name="Aberwen",
    )


@pytest.fixture
def desk(desk_settings: Settings) -> Iterator[Desk]:
    """A desk on a fresh copy of the council (SQLite)."""
    engine = make_engine(desk_settings)
    with make_sessionmaker(engine)() as session:
        staff = {
            row.email.split("@")[0]: user_from_row(row)
            for row in session.execute(select(StaffUserRow)).scalars()
        }
    yield build_desk(desk_settings, engine, staff)
    engine.dispose()


@pytest.fixture
def desk_on(db_settings: Settings, migrated_engine: Engine) -> Desk:
    """A desk on each database in turn (SQLite, then PostgreSQL), the council ingested."""
    settings = db_settings.model_copy(update={"organisation_name": "Aberwen"})
    ingest_paths(settings, migrated_engine, [sample_council_path()])
    return build_desk(settings, migrated_engine, add_staff_rows(migrated_engine))
