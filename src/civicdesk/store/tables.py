"""Every table, imported in one place so migrations and metadata see them all."""

from __future__ import annotations

from civicdesk.store.audit import AuditEvent, AuditHead
from civicdesk.store.base import Base
from civicdesk.store.cases import (  # noqa: F401
    CaseHistoryRow,
    CaseNoteRow,
    CaseReplyRow,
    CaseRow,
    OutboxRow,
)
from civicdesk.store.inquiries import InquiryRow
from civicdesk.store.knowledge import ChunkRow, KnowledgeStateRow, PageRow  # noqa: F401
from civicdesk.store.staff import (  # noqa: F401
    SignInAttemptRow,
    StaffFormTokenRow,
    StaffSessionRow,
    StaffUserRow,
)

metadata = Base.metadata

__all__ = ["AuditEvent", "AuditHead", "Base", "InquiryRow", "metadata"]
