"""Staff accounts on SQLite and PostgreSQL: adding, signing in, lockout, sessions, audit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.accounts import AccountError, Accounts, SignInRefused, StaffUser
from civicdesk.casework.passwords import PasswordRejected
from civicdesk.casework.permissions import Role
from civicdesk.settings import Settings
from civicdesk.store.audit import AuditEvent, verify_chain
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.staff import SignInAttemptRow, StaffSessionRow, StaffUserRow

PASSWORD = "harbour lantern copper fig"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    """The real argon2id hasher, counting verifications."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        CountingHasher.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def sessions(migrated_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(migrated_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(db_settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> Accounts:
    return Accounts(db_settings, sessions, hasher=FAST, clock=clock)


@pytest.fixture
def ann(accounts: Accounts) -> StaffUser:
    return accounts.add_user(" Ann.Other@Example.gov.uk ", "Ann  Other", Role.CASEWORKER, PASSWORD)


def audit_events(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def actions(sessions: sessionmaker[Session]) -> list[str]:
    return [event.action for event in audit_events(sessions)]


# --- adding and changing accounts -----------------------------------------------------------


def test_a_new_account_is_normalised_hashed_and_audited(
    ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    assert (ann.email, ann.name, ann.role, ann.active) == (
        "ann.other@example.gov.uk",
        "Ann Other",
        Role.CASEWORKER,
        True,
    )
    with sessions() as session:
        row = session.get(StaffUserRow, ann.id)
        assert row is not None
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash
    (event,) = audit_events(sessions)
    assert (event.action, event.object_id, event.actor) == ("staff.user.added", str(ann.id), "cli")
    assert event.payload == '{"role":"caseworker"}'


def test_the_same_email_cannot_have_two_accounts(accounts: Accounts, ann: StaffUser) -> None:
    with pytest.raises(AccountError) as caught:
        accounts.add_user("ANN.OTHER@example.gov.uk", "Ann Again", Role.ADMIN, PASSWORD)
    assert caught.value.code == "E905"


@pytest.mark.parametrize(
    ("email", "name", "password", "code"),
    [
        ("not-an-email", "Ann", PASSWORD, "E903"),
        ("a@b", "Ann", PASSWORD, "E903"),
        ("ann@example.gov.uk", "   ", PASSWORD, "E904"),
        ("ann@example.gov.uk", "x" * 201, PASSWORD, "E904"),
        ("ann@example.gov.uk", "Ann", "password1234", "E901"),
        ("ann@example.gov.uk", "Ann", "ann-example-is-me", "E901"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_stored(
    accounts: Accounts, email: str, name: str, password: str, code: str
) -> None:
    with pytest.raises((AccountError, PasswordRejected)) as caught:
        accounts.add_user(email, name, Role.CASEWORKER, password)
    assert caught.value.code == code
    assert accounts.list_users() == []


def test_disable_enable_set_role_and_list(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    bob = accounts.add_user("bob@example.gov.uk", "Bob", Role.ANALYST, PASSWORD)
    assert accounts.set_role("BOB@example.gov.uk", Role.SUPERVISOR).role == Role.SUPERVISOR
    assert accounts.disable(ann.email).active is False
    assert accounts.disable(ann.email).active is False  # twice is harmless, audited once
    assert accounts.enable(ann.email).active is True
    assert [u.email for u in accounts.list_users()] == [ann.email, bob.email]
    assert accounts.get(bob.id) == accounts.find("bob@example.gov.uk")
    assert actions(sessions)[-3:] == [
        "staff.user.role_changed",
        "staff.user.disabled",
        "staff.user.enabled",
    ]
    with pytest.raises(AccountError) as caught:
        accounts.disable("nobody@example.gov.uk")
    assert caught.value.code == "E906"


# --- signing in -----------------------------------------------------------------------------


def test_the_right_password_signs_in(accounts: Accounts, ann: StaffUser) -> None:
    assert accounts.authenticate("ANN.OTHER@example.gov.uk ", PASSWORD, client="10.0.0.1") == ann


def test_wrong_password_and_unknown_email_get_the_same_refusal(
    db_settings: Settings, sessions: sessionmaker[Session], clock: Clock, ann: StaffUser
) -> None:
    counting = Accounts(db_settings, sessions, hasher=CountingHasher(), clock=clock)
    refusals = []
    for email in (ann.email, "nobody@example.gov.uk"):
        before = CountingHasher.verified
        with pytest.raises(SignInRefused) as caught:
            counting.authenticate(email, "not the password at all", client="10.0.0.1")
        assert CountingHasher.verified == before + 1  # a hash is checked even for nobody
        refusals.append((caught.value.message, caught.value.hint, caught.value.code))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == "The email address or password is not right."


def test_a_disabled_account_cannot_sign_in_even_with_its_password(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    accounts.disable(ann.email)
    with pytest.raises(SignInRefused) as caught:
        accounts.authenticate(ann.email, PASSWORD, client="10.0.0.1")
    assert caught.value.reason == "disabled"
    assert caught.value.message == "The email address or password is not right."
    assert audit_events(sessions)[-1].payload == '{"known_account":true,"reason":"disabled"}'


def test_repeated_failures_lock_the_account_for_a_while(
    accounts: Accounts, ann: StaffUser, clock: Clock, sessions: sessionmaker[Session]
) -> None:
    for attempt in range(5):
        with pytest.raises(SignInRefused) as caught:
            accounts.authenticate(ann.email, f"wrong guess {attempt}", client=f"10.0.0.{attempt}")
        assert caught.value.reason == "credentials"
    with pytest.raises(SignInRefused) as caught:
        accounts.authenticate(ann.email, PASSWORD, client="10.9.9.9")  # even the right one
    assert caught.value.reason == "locked"
    assert "Wait 15 minutes" in caught.value.hint
    assert "staff.sign_in.locked" in actions(sessions)
    clock.advance(minutes=15, seconds=1)
    assert accounts.authenticate(ann.email, PASSWORD, client="10.9.9.9") == ann


def test_unknown_emails_are_locked_the_same_way(accounts: Accounts) -> None:
    """Otherwise the lockout message would tell which emails have accounts."""
    for attempt in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate("nobody@example.gov.uk", "guess", client=f"10.0.1.{attempt}")
    with pytest.raises(SignInRefused) as caught:
        accounts.authenticate("nobody@example.gov.uk", "guess", client="10.0.2.1")
    assert caught.value.reason == "locked"


def test_one_address_trying_many_accounts_is_locked_out(
    db_settings: Settings, sessions: sessionmaker[Session], clock: Clock, ann: StaffUser
) -> None:
    strict = Accounts(
        db_settings.model_copy(update={"sign_in_client_max_failures": 3}),
        sessions,
        hasher=FAST,
        clock=clock,
    )
    for number in range(3):
        with pytest.raises(SignInRefused):
            strict.authenticate(f"person{number}@example.gov.uk", "guess", client="203.0.113.7")
    with pytest.raises(SignInRefused) as caught:
        strict.authenticate(ann.email, PASSWORD, client="203.0.113.7")
    assert caught.value.reason == "locked"
    assert strict.authenticate(ann.email, PASSWORD, client="198.51.100.1") == ann


def test_success_clears_the_account_count_and_old_failures_are_forgotten(
    accounts: Accounts, ann: StaffUser, clock: Clock
) -> None:
    for _ in range(4):
        with pytest.raises(SignInRefused):
            accounts.authenticate(ann.email, "wrong", client="10.0.0.1")
    accounts.authenticate(ann.email, PASSWORD, client="10.0.0.1")
    for _ in range(4):
        with pytest.raises(SignInRefused):
            accounts.authenticate(ann.email, "wrong", client="10.0.0.2")
    clock.advance(minutes=16)
    with pytest.raises(SignInRefused) as caught:
        accounts.authenticate(ann.email, "wrong", client="10.0.0.3")
    assert caught.value.reason == "credentials"  # the window restarted, not the 5th failure


class SlowCountingHasher(PasswordHasher):
    """The fast test hasher, counting verifications (thread-safely) and taking 50 ms over
    each, as real parameters do, so guesses sent together overlap."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        with self._lock:
            self.verified += 1
        time.sleep(0.05)
        return super().verify(hash, password)


def test_guesses_sent_in_parallel_check_no_more_passwords_than_the_limit(
    db_settings: Settings, sessions: sessionmaker[Session], clock: Clock, ann: StaffUser
) -> None:
    hasher = SlowCountingHasher()
    guarded = Accounts(db_settings, sessions, hasher=hasher, clock=clock)
    guesses = 12
    start = threading.Barrier(guesses)

    def guess(number: int) -> str:
        start.wait()
        try:
            guarded.authenticate(ann.email, f"wrong guess {number}", client=f"10.1.0.{number}")
        except SignInRefused as refused:
            return refused.reason
        return "signed in"

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        reasons = list(pool.map(guess, range(guesses)))

    limit = db_settings.sign_in_max_failures
    assert hasher.verified <= limit
    assert reasons.count("credentials") == limit
    assert reasons.count("locked") == guesses - limit
    with pytest.raises(SignInRefused) as caught:
        guarded.authenticate(ann.email, PASSWORD, client="10.9.9.9")
    assert caught.value.reason == "locked"
    assert hasher.verified <= limit  # a locked account's password is not checked at all


def test_a_success_at_the_limit_gives_the_address_its_try_back(
    db_settings: Settings, sessions: sessionmaker[Session], clock: Clock, ann: StaffUser
) -> None:
    strict = Accounts(
        db_settings.model_copy(update={"sign_in_client_max_failures": 3}),
        sessions,
        hasher=FAST,
        clock=clock,
    )
    for number in range(2):
        with pytest.raises(SignInRefused):
            strict.authenticate(f"person{number}@example.gov.uk", "guess", client="203.0.113.9")
    # The third try reaches the limit and locks before the password is checked; it was right,
    # so the lock is lifted and the try returned.
    assert strict.authenticate(ann.email, PASSWORD, client="203.0.113.9") == ann
    with pytest.raises(SignInRefused) as caught:
        strict.authenticate("person9@example.gov.uk", "guess", client="203.0.113.9")
    assert caught.value.reason == "credentials"  # the third failure, checked
    with pytest.raises(SignInRefused) as caught:
        strict.authenticate(ann.email, PASSWORD, client="203.0.113.9")
    assert caught.value.reason == "locked"


def test_throttle_rows_hold_no_email_or_address(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(SignInRefused):
        accounts.authenticate(ann.email, "wrong", client="192.0.2.44")
    with sessions() as session:
        rows = list(session.execute(select(SignInAttemptRow)).scalars())
    assert {row.scope for row in rows} == {"account", "client"}
    stored = " ".join(f"{row.scope} {row.key_hash}" for row in rows)
    assert "ann" not in stored and "192.0.2.44" not in stored


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(
    db_settings: Settings, sessions: sessionmaker[Session], clock: Clock, ann: StaffUser
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    upgraded = Accounts(db_settings, sessions, hasher=stronger, clock=clock)
    upgraded.authenticate(ann.email, PASSWORD, client="10.0.0.1")
    with sessions() as session:
        row = session.get(StaffUserRow, ann.id)
        assert row is not None
        assert "m=2048,t=2,p=1" in row.password_hash
        assert not stronger.check_needs_rehash(row.password_hash)
    assert audit_events(sessions)[-1].payload == '{"rehashed":true}'
    assert upgraded.authenticate(ann.email, PASSWORD, client="10.0.0.1") == ann


def test_audit_trail_names_ids_never_emails_or_passwords(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(SignInRefused):
        accounts.authenticate(ann.email, "a wrong password", client="10.0.0.1")
    with pytest.raises(SignInRefused):
        accounts.authenticate("nobody@example.gov.uk", "another wrong one", client="10.0.0.1")
    token = accounts.start_session(accounts.authenticate(ann.email, PASSWORD, client="10.0.0.1"))
    accounts.set_role(ann.email, Role.SUPERVISOR)
    accounts.end_all_sessions(ann.id)
    accounts.disable(ann.email)
    events = audit_events(sessions)
    everything = " ".join(f"{e.actor} {e.action} {e.object_id} {e.payload}".lower() for e in events)
    for secret in ("ann.other", "example.gov.uk", "nobody", PASSWORD, "wrong", "10.0.0.1", token):
        assert secret.lower() not in everything
    assert [e.action for e in events] == [
        "staff.user.added",
        "staff.sign_in.failed",
        "staff.sign_in.failed",
        "staff.sign_in.succeeded",
        "staff.user.role_changed",
        "staff.signed_out_everywhere",
        "staff.user.disabled",
    ]
    with sessions() as session:
        assert verify_chain(session).ok


# --- sessions -------------------------------------------------------------------------------


def test_a_session_token_is_random_and_only_its_hash_is_stored(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    first, second = accounts.start_session(ann), accounts.start_session(ann)
    assert first != second and len(first) >= 40
    with sessions() as session:
        stored = list(session.execute(select(StaffSessionRow.token_hash)).scalars())
    assert first not in stored and second not in stored and len(stored) == 2
    assert accounts.user_for_session(first) == ann
    assert accounts.user_for_session("made-up") is None
    assert accounts.user_for_session("") is None


def test_a_session_ends_after_the_idle_timeout(
    accounts: Accounts, ann: StaffUser, clock: Clock
) -> None:
    token = accounts.start_session(ann)
    for _ in range(4):  # active every 25 minutes: it stays alive past 30 minutes in total
        clock.advance(minutes=25)
        assert accounts.user_for_session(token) == ann
    clock.advance(minutes=30, seconds=1)
    assert accounts.user_for_session(token) is None
    clock.advance(seconds=-10)
    assert accounts.user_for_session(token) is None  # ended, not just hidden


def test_a_session_ends_after_its_absolute_lifetime(
    accounts: Accounts, ann: StaffUser, clock: Clock
) -> None:
    token = accounts.start_session(ann)
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        assert accounts.user_for_session(token) == ann
    clock.advance(minutes=20)
    assert accounts.user_for_session(token) is None


def test_disabling_ends_sessions_and_role_changes_apply_at_once(
    accounts: Accounts, ann: StaffUser
) -> None:
    token = accounts.start_session(ann)
    accounts.set_role(ann.email, Role.AUDITOR)
    live = accounts.user_for_session(token)
    assert live is not None and live.role == Role.AUDITOR
    accounts.disable(ann.email)
    assert accounts.user_for_session(token) is None
    accounts.enable(ann.email)
    assert accounts.user_for_session(token) is None  # it does not come back


def test_sign_out_ends_one_session_and_everywhere_ends_them_all(
    accounts: Accounts, ann: StaffUser, sessions: sessionmaker[Session]
) -> None:
    laptop, phone, desk = (accounts.start_session(ann) for _ in range(3))
    accounts.end_session(laptop)
    accounts.end_session(laptop)  # a second sign-out is harmless
    assert accounts.user_for_session(laptop) is None
    assert accounts.user_for_session(phone) == ann
    assert accounts.end_all_sessions(ann.id) == 2
    assert accounts.user_for_session(phone) is None and accounts.user_for_session(desk) is None
    assert actions(sessions)[-2:] == ["staff.signed_out", "staff.signed_out_everywhere"]


def test_a_new_password_ends_every_session(accounts: Accounts, ann: StaffUser) -> None:
    token = accounts.start_session(ann)
    accounts.set_password(ann.email, "a whole new passphrase")
    assert accounts.user_for_session(token) is None
    with pytest.raises(SignInRefused):
        accounts.authenticate(ann.email, PASSWORD, client="10.0.0.1")
    assert accounts.authenticate(ann.email, "a whole new passphrase", client="10.0.0.1") == ann


def test_expired_sessions_are_removed_when_others_start(
    accounts: Accounts, ann: StaffUser, clock: Clock, sessions: sessionmaker[Session]
) -> None:
    accounts.start_session(ann)
    clock.advance(hours=1)
    accounts.start_session(ann)
    with sessions() as session:
        assert session.execute(text("SELECT count(*) FROM staff_sessions")).scalar_one() == 1


@pytest.fixture
def many_sessions(accounts: Accounts, ann: StaffUser) -> Iterator[list[str]]:
    yield [accounts.start_session(ann) for _ in range(3)]


def test_sessions_are_independent(accounts: Accounts, many_sessions: list[str]) -> None:
    accounts.end_session(many_sessions[1])
    assert [accounts.user_for_session(t) is not None for t in many_sessions] == [
        True,
        False,
        True,
    ]
