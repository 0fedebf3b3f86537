"""Reply emails through a real local SMTP server (STARTTLS, login) and a local Notify API.

The servers are real implementations started by the test: aiosmtpd speaking SMTP with a
self-signed certificate the client is told to trust (SSL_CERT_FILE), and an HTTP server that
checks GOV.UK Notify's JSON Web Token the way Notify does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from desks import Desk, build_desk
from pydantic import SecretStr
from sqlalchemy import select

from civicdesk.casework.cases import CaseDetail, citizen_token
from civicdesk.casework.senders import notify_token
from civicdesk.errors import ConfigError
from civicdesk.privacy.operators import SEALED
from civicdesk.settings import Settings
from civicdesk.store.audit import AuditEvent
from civicdesk.store.cases import CaseRow, OutboxRow
from civicdesk.store.engine import make_sessionmaker, session_scope

ADDRESS = "resident@example.com"
SMTP_USER, SMTP_PASSWORD = "civicdesk", "relay-password-123"
SERVICE_ID, SECRET = str(uuid.uuid4()), str(uuid.uuid4())
NOTIFY_KEY = f"civicdesk_test-{SERVICE_ID}-{SECRET}"


# --- a real SMTP server -----------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Mailbox:
    """aiosmtpd handler: keeps what it receives; ``refuse`` answers RCPT with an error."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: str | None = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_string(envelope.content.decode(), policy=policy.default))
        return "250 Message accepted for delivery"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture
def smtp(
    tmp_path: Path, free_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Mailbox, Controller]]:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this server only
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_tcp_port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield mailbox, controller
    controller.stop()


def with_email(desk: Desk, **overrides: Any) -> Desk:
    settings = desk.settings.model_copy(
        update={"email_enabled": True, "email_retry_seconds": 1, **overrides}
    )
    return build_desk(settings, desk.engine, desk.staff)


def smtp_desk(desk: Desk, port: int, **overrides: Any) -> Desk:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_username": SMTP_USER,
        "smtp_password": SecretStr(SMTP_PASSWORD),
        "smtp_from": "council@aberwen.gov.uk",
        "smtp_timeout_seconds": 5.0,
    }
    return with_email(desk, **(values | overrides))


def reply_to_citizen(env: Desk, text: str = "We have booked a collection for Tuesday.") -> str:
    reference = env.handed_over()
    assert env.desk.set_contact(reference, citizen_token(env.settings, reference), ADDRESS)
    alice = env.staff["alice"]
    case = env.desk.claim(reference, alice)
    env.desk.send_reply(reference, alice, text, case.version)
    return reference


def case_of(env: Desk, reference: str) -> CaseDetail:
    case = env.desk.find(reference)
    assert case is not None
    return case


def test_a_reply_is_emailed_over_starttls_with_login(desk: Desk, smtp: Any) -> None:
    mailbox, controller = smtp
    env = smtp_desk(desk, controller.port)
    reference = reply_to_citizen(env)
    [message] = mailbox.messages
    assert message["To"] == ADDRESS and message["From"] == "council@aberwen.gov.uk"
    assert message["Subject"] == f"A reply to your question {reference}"
    body = message.get_content()
    assert "We have booked a collection for Tuesday." in body
    token = citizen_token(env.settings, reference)
    assert f"http://127.0.0.1:8000/inquiries/{reference}?token={token}" in body
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_sent"
    assert case.replies[0].delivery.startswith("On the citizen's page; email sent at ")
    assert case.history[-1].action == "email_sent"
    events = env.rows(AuditEvent, action="case.email_sent")
    assert events and ADDRESS not in events[0].payload


def test_a_temporary_failure_is_retried_and_shown_on_the_case(desk: Desk, smtp: Any) -> None:
    mailbox, controller = smtp
    env = smtp_desk(desk, controller.port)
    mailbox.refuse = "451 4.3.0 Mailbox busy, try again later"
    reference = reply_to_citizen(env)
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_retrying"
    assert "SMTP 451 recipient refused" in case.replies[0].delivery
    assert "tried 1 of 6 times" in case.replies[0].delivery
    view = env.desk.citizen_view(reference, citizen_token(env.settings, reference))
    assert view is not None and len(view.replies) == 1  # the reply is never dropped
    mailbox.refuse = None
    assert env.desk.deliver().sent == 0  # not due yet: the first retry waits a second
    time.sleep(1.1)
    assert env.desk.deliver().sent == 1
    assert len(mailbox.messages) == 1
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_sent"
    assert [h.action for h in case.history][-2:] == ["email_retry", "email_sent"]


def test_a_permanent_failure_fails_at_once_and_can_be_retried(desk: Desk, smtp: Any) -> None:
    mailbox, controller = smtp
    env = smtp_desk(desk, controller.port)
    mailbox.refuse = "550 5.1.1 No such user here"
    reference = reply_to_citizen(env)
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_failed"
    assert "email failed after 1 try (SMTP 550 recipient refused)" in case.replies[0].delivery
    assert env.desk.deliver().sent == 0
    mailbox.refuse = None
    assert env.desk.deliver(retry_failed=True).sent == 1
    assert case_of(env, reference).replies[0].delivery_state == "email_sent"


def test_giving_up_after_the_last_attempt(desk: Desk, smtp: Any) -> None:
    mailbox, controller = smtp
    env = smtp_desk(desk, controller.port, email_max_attempts=2)
    mailbox.refuse = "421 4.7.0 Too busy"
    reference = reply_to_citizen(env)
    time.sleep(1.1)
    report = env.desk.deliver()
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    [outbox] = env.rows(OutboxRow)
    assert (outbox.status, outbox.attempts) == ("failed", 2)
    assert "after 2 tries" in case_of(env, reference).replies[0].delivery


def test_wrong_smtp_password_and_no_starttls(desk: Desk, smtp: Any, free_tcp_port: int) -> None:
    mailbox, controller = smtp
    env = smtp_desk(
        desk, controller.port, smtp_password=SecretStr("wrong-password"), smtp_timeout_seconds=1.0
    )
    reference = reply_to_citizen(env)
    refused = case_of(env, reference).replies[0]
    assert refused.delivery_state in ("email_retrying", "email_failed")
    assert "(SMTP " in refused.delivery and "wrong-password" not in refused.delivery
    assert mailbox.messages == []
    plain = Controller(Mailbox(), hostname="127.0.0.1", port=free_tcp_port + 1)
    plain.start()
    try:
        env = smtp_desk(desk, plain.port)
        reference = reply_to_citizen(env)
    finally:
        plain.stop()
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_failed"
    assert "SMTP server offers no STARTTLS" in case.replies[0].delivery


def test_an_unreachable_server_is_retried(desk: Desk, free_tcp_port: int) -> None:
    env = smtp_desk(desk, free_tcp_port)  # nothing listens there
    reference = reply_to_citizen(env)
    case = case_of(env, reference)
    assert case.replies[0].delivery_state == "email_retrying"
    assert "SMTP ConnectionRefusedError" in case.replies[0].delivery


def test_no_email_without_an_address_or_with_email_off(desk: Desk) -> None:
    env = with_email(desk)
    reference = env.handed_over()
    alice = env.staff["alice"]
    case = env.desk.claim(reference, alice)
    sent = env.desk.send_reply(reference, alice, "Thank you.", case.version)
    assert sent.replies[0].delivery_state == "page"
    off = reply_to_citizen(desk)  # the plain desk: email_enabled is false
    assert case_of(desk, off).replies[0].delivery_state == "page"
    assert env.rows(OutboxRow) == []


def spoil_address(env: Desk, reference: str) -> None:
    """Alter the sealed address, as a changed encryption key or a damaged row would."""
    with session_scope(make_sessionmaker(env.engine)) as session:
        case = session.execute(select(CaseRow).where(CaseRow.reference == reference)).scalar_one()
        sealed = SEALED.fullmatch(case.contact or "")
        assert sealed is not None
        token = sealed.group(2)
        flipped = ("A" if token[-8] != "A" else "B").join((token[:-8], token[-7:]))
        case.contact = f"<{sealed.group(1)}:{flipped}>"


def test_an_address_that_cannot_be_opened_fails_its_row_only(desk: Desk, smtp: Any) -> None:
    mailbox, controller = smtp
    env = smtp_desk(desk, controller.port)
    mailbox.refuse = "451 4.3.0 Mailbox busy, try again later"
    spoiled, good = reply_to_citizen(env), reply_to_citizen(env)  # both waiting to retry
    spoil_address(env, spoiled)
    mailbox.refuse = None
    time.sleep(1.1)

    report = env.desk.deliver()  # the spoiled row comes first and does not stop the batch
    assert (report.sent, report.retrying, report.failed) == (1, 0, 1)
    assert [m["To"] for m in mailbox.messages] == [ADDRESS]
    failed = case_of(env, spoiled).replies[0]
    assert failed.delivery_state == "email_failed"
    assert "address cannot be opened with this key, E821" in failed.delivery
    assert case_of(env, good).replies[0].delivery_state == "email_sent"

    # Replying again on the spoiled case: the reply is kept and shown, the email fails.
    alice = env.staff["alice"]
    case = case_of(env, spoiled)
    sent = env.desk.send_reply(spoiled, alice, "A second reply.", case.version)
    assert [r.delivery_state for r in sent.replies] == ["email_failed", "email_failed"]
    assert len(mailbox.messages) == 1


# --- a local GOV.UK Notify ---------------------------------------------------------------------


class NotifyApi(BaseHTTPRequestHandler):
    """POST /v2/notifications/email, with Notify's checks of the bearer token."""

    received: list[dict[str, Any]] = []
    answer: tuple[int, dict[str, Any]] = (201, {})
    raw: bytes | None = None  # a body to send as it is, instead of JSON

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/v2/notifications/email":
            return self._send(404, {"errors": [{"error": "NotFound"}]})
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not self._valid(token):
            return self._send(403, {"errors": [{"error": "AuthError"}]})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        NotifyApi.received.append(body)
        status, answer = NotifyApi.answer
        if NotifyApi.raw is not None:
            return self._send_raw(status, NotifyApi.raw)
        self._send(status, answer or {"id": str(uuid.uuid4()), "reference": body["reference"]})

    @staticmethod
    def _valid(token: str) -> bool:
        header, claims, signature = token.split(".")
        expected = hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256)
        padded = signature + "=" * (-len(signature) % 4)
        if not hmac.compare_digest(base64.urlsafe_b64decode(padded), expected.digest()):
            return False
        payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        return bool(payload["iss"] == SERVICE_ID and abs(payload["iat"] - time.time()) < 30)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._send_raw(status, json.dumps(body).encode())

    def _send_raw(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def notify() -> Iterator[str]:
    NotifyApi.received = []
    NotifyApi.answer = (201, {})
    NotifyApi.raw = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotifyApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def notify_desk(desk: Desk, base_url: str, **overrides: Any) -> Desk:
    values: dict[str, Any] = {
        "email_provider": "notify",
        "notify_api_key": SecretStr(NOTIFY_KEY),
        "notify_template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
        "notify_base_url": base_url,
    }
    return with_email(desk, **(values | overrides))


def test_a_reply_is_sent_through_notify(desk: Desk, notify: str) -> None:
    env = notify_desk(desk, notify)
    reference = reply_to_citizen(env)
    [sent] = NotifyApi.received
    assert sent["email_address"] == ADDRESS
    assert sent["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
    assert sent["reference"] == reference
    personalisation = sent["personalisation"]
    assert personalisation["body"] == "We have booked a collection for Tuesday."
    assert personalisation["link"].endswith(f"?token={citizen_token(env.settings, reference)}")
    [outbox] = env.rows(OutboxRow)
    assert (outbox.provider, outbox.status) == ("notify", "sent") and outbox.provider_id


def test_notify_errors(desk: Desk, notify: str) -> None:
    env = notify_desk(desk, notify)
    NotifyApi.answer = (500, {"errors": [{"error": "Exception", "message": "Internal"}]})
    temporary = reply_to_citizen(env)
    assert "Notify 500 Exception" in case_of(env, temporary).replies[0].delivery
    assert case_of(env, temporary).replies[0].delivery_state == "email_retrying"
    NotifyApi.answer = (
        400,
        {"errors": [{"error": "BadRequestError", "message": f"Can't send to {ADDRESS}"}]},
    )
    permanent = reply_to_citizen(env)
    reply = case_of(env, permanent).replies[0]
    assert reply.delivery_state == "email_failed"
    assert "Notify 400 BadRequestError" in reply.delivery and ADDRESS not in reply.delivery


def test_an_accepted_email_with_a_garbled_answer_counts_as_sent(desk: Desk, notify: str) -> None:
    env = notify_desk(desk, notify)
    NotifyApi.raw = b"<html>Created</html>"  # a proxy's page instead of Notify's JSON
    reference = reply_to_citizen(env)
    assert len(NotifyApi.received) == 1
    assert case_of(env, reference).replies[0].delivery_state == "email_sent"
    [outbox] = env.rows(OutboxRow)
    assert (outbox.status, outbox.attempts, outbox.provider_id) == ("sent", 1, "")


def test_a_wrongly_signed_request_is_refused_by_notify(desk: Desk, notify: str) -> None:
    other = f"civicdesk_test-{SERVICE_ID}-{uuid.uuid4()}"
    env = notify_desk(desk, notify, notify_api_key=SecretStr(other))
    reference = reply_to_citizen(env)
    assert "Notify 403 AuthError" in case_of(env, reference).replies[0].delivery
    assert NotifyApi.received == []


def test_the_token_is_the_documented_jwt() -> None:
    token = notify_token(SERVICE_ID, SECRET, 1_700_000_000)
    header, claims, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"typ": "JWT", "alg": "HS256"}
    assert json.loads(base64.urlsafe_b64decode(claims + "==")) == {
        "iss": SERVICE_ID,
        "iat": 1_700_000_000,
    }
    assert NotifyApi._valid(notify_token(SERVICE_ID, SECRET, int(time.time())))


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email_provider": "notify", "notify_template_id": "t"}, "E721"),  # no key
        ({"email_provider": "notify", "notify_api_key": SecretStr(NOTIFY_KEY)}, "E722"),
        ({"contact_email": "nobody", "smtp_from": ""}, "E720"),
    ],
)
def test_half_configured_email_is_one_clear_error(
    desk: Desk, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(ConfigError) as error:
        with_email(desk, **overrides)
    assert error.value.code == code


def test_email_settings_default_off() -> None:
    settings = Settings()
    assert settings.email_enabled is False
    assert "relay-password" not in str(settings.public_view())
    view = Settings(smtp_password=SecretStr(SMTP_PASSWORD)).public_view()
    assert view["smtp_password"] == "********"
