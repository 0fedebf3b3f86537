"""The knowledge repository on SQLite and PostgreSQL: add, replace, skip, remove, fingerprint."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select

from civicdesk.domain.knowledge import GuidancePage, Section
from civicdesk.knowledge.chunking import chunk_page
from civicdesk.store.engine import make_sessionmaker, session_scope
from civicdesk.store.knowledge import EMPTY_FINGERPRINT, ChunkRow, KnowledgeRepository, PageRow


def _page(text: str, *, title: str = "Garden waste") -> GuidancePage:
    return GuidancePage(
        url="https://council.example.gov.uk/garden-waste",
        title=title,
        locale="cy",
        sections=(Section(("Prisiau",), text, "prisiau"), Section(("Cofrestru",), "Ar-lein.")),
        updated=date(2026, 1, 5),
        description="Casgliadau gwastraff gardd",
        source="garden.md",
    )


def test_save_replace_skip_and_remove(migrated_engine: Engine) -> None:
    sessions = make_sessionmaker(migrated_engine)
    first = _page("£40 y flwyddyn.")
    with session_scope(sessions) as session:
        repository = KnowledgeRepository(session)
        assert repository.state().fingerprint == EMPTY_FINGERPRINT
        assert repository.save_page(first, chunk_page(first)) == "added"
        state_one = repository.refresh_state()
        assert state_one.version == 1
    with session_scope(sessions) as session:
        repository = KnowledgeRepository(session)
        assert repository.save_page(first, chunk_page(first)) == "unchanged"
        assert repository.refresh_state() == state_one
        [stored, _] = list(repository.chunks())
        assert (stored.heading_path, stored.anchor) == (("Prisiau",), "prisiau")
        assert stored.locale == "cy"
        assert stored.text == "£40 y flwyddyn."
    changed = _page("£45 y flwyddyn.", title="Gwastraff gardd")
    with session_scope(sessions) as session:
        repository = KnowledgeRepository(session)
        assert repository.save_page(changed, chunk_page(changed)) == "updated"
        state_two = repository.refresh_state()
        assert state_two.version == 2 and state_two.fingerprint != state_one.fingerprint
    with session_scope(sessions) as session:
        repository = KnowledgeRepository(session)
        texts = [c.text for c in repository.chunks()]
        assert texts == ["£45 y flwyddyn.", "Ar-lein."]
        assert {c.page_title for c in repository.chunks()} == {"Gwastraff gardd"}
        assert repository.counts() == (1, 2)
        row = session.execute(select(PageRow)).scalar_one()
        assert (row.updated, row.description, row.source) == (
            date(2026, 1, 5), "Casgliadau gwastraff gardd", "garden.md"
        )
        assert repository.remove_page(changed.url) is True
        assert repository.remove_page(changed.url) is False
        assert session.execute(select(func.count()).select_from(ChunkRow)).scalar_one() == 0
        assert repository.refresh_state().fingerprint == EMPTY_FINGERPRINT
