"""Staff accounts, their sign-in sessions, one-time form tokens and sign-in throttling rows.

Only hashes of secrets are stored: the argon2id hash of a password, the SHA-256 of a session
token and of each used form (CSRF) token. Throttling rows are keyed by a keyed hash of the email or
client address, so the table holds no personal data even for addresses that never had an
account.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.store.base import Base


class StaffUserRow(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)  # lower case
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSessionRow(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class StaffFormTokenRow(Base):
    """A one-time form (CSRF) token that has been used, so a second use is refused.

    Tokens are issued without a write (they are signed, see civicdesk.web.staff_auth); the
    unique hash makes "use" atomic even when the same form is sent twice at once.
    """

    __tablename__ = "staff_form_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("staff_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SignInAttemptRow(Base):
    """Failed sign-ins counted per account ("account") or per client address ("client")."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (UniqueConstraint("scope", "key_hash", name="uq_sign_in_attempts_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(10), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
