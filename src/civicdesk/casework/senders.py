"""Senders of reply emails: SMTP (smtplib, verified STARTTLS) and GOV.UK Notify (its REST API).

Each sends one email or raises :class:`DeliveryFailed` with a reason safe to store and show (a
code, never an address or the server's words) and whether retrying could help. The outbox in
:mod:`civicdesk.casework.delivery` decides what to do about it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import httpx

from civicdesk.errors import ConfigError
from civicdesk.settings import Settings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str  # the reply and the footer, for SMTP
    reply: str  # the reply alone, for a Notify template
    reference: str
    link: str


class DeliveryFailed(Exception):
    """A send that did not work; ``reason`` is a code safe to store and show."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


class Sender(Protocol):
    name: str

    def send(self, email: Email) -> str:
        """Send one email; return the provider's id for it. Raises DeliveryFailed."""
        ...


class SmtpSender:
    """Plain smtplib: STARTTLS (verified against the system's CAs) and login when configured."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = True,
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, email: Email) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(email.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPNotSupportedError:
            raise DeliveryFailed("SMTP server offers no STARTTLS", permanent=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryFailed(
                f"SMTP {','.join(map(str, codes))} recipient refused",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(
                f"SMTP {exc.smtp_code} {type(exc).__name__}", permanent=exc.smtp_code >= 500
            ) from None
        except ssl.SSLCertVerificationError:
            raise DeliveryFailed("SMTP certificate not trusted", permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {type(exc).__name__}") from None
        return str(message["Message-ID"])


_NOTIFY_KEY = re.compile(
    r"^(?P<name>.+)-(?P<service>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"-(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def notify_token(service_id: str, secret: str, issued_at: int) -> str:
    """The JSON Web Token GOV.UK Notify expects: HS256, issuer the service id, issued now."""
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    claims = _b64(json.dumps({"iss": service_id, "iat": issued_at}, separators=(",", ":")).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


class NotifySender:
    """GOV.UK Notify's REST API (``POST /v2/notifications/email``) over httpx."""

    name = "notify"

    def __init__(
        self, *, api_key: str, template_id: str, base_url: str, timeout: float = 10.0
    ) -> None:
        match = _NOTIFY_KEY.match(api_key.strip())
        if match is None:
            raise ConfigError(
                "notify_api_key is not a GOV.UK Notify API key.",
                hint="Paste the whole key Notify showed you: its name, the service id and the "
                "secret, joined by hyphens.",
                code="E721",
            )
        self.service_id = match.group("service")
        self._secret = match.group("secret")
        self.template_id = template_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, email: Email) -> str:
        token = notify_token(self.service_id, self._secret, int(time.time()))
        try:
            response = httpx.post(
                f"{self.base_url}/v2/notifications/email",
                json={
                    "email_address": email.to,
                    "template_id": self.template_id,
                    "reference": email.reference,
                    "personalisation": {
                        "subject": email.subject,
                        "reference": email.reference,
                        "body": email.reply,
                        "link": email.link,
                    },
                },
                headers={"Authorization": f"Bearer {token}", "User-Agent": "civicdesk"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Notify {type(exc).__name__}") from None
        if response.status_code == 201:
            # Notify has accepted the email: a body it garbled must not fail (and so resend) it.
            try:
                body = response.json()
            except ValueError:
                return ""
            return str(body.get("id", "")) if isinstance(body, dict) else ""
        raise DeliveryFailed(
            f"Notify {response.status_code} {_notify_error(response)}".strip(),
            permanent=response.status_code in (400, 403),
        )


def _notify_error(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors", [])
        return str(errors[0].get("error", "")) if errors else ""
    except (ValueError, AttributeError, IndexError):
        return ""


def sender_from_settings(settings: Settings) -> Sender | None:
    """The configured sender, None when email is off; a half-configured one is a ConfigError."""
    if not settings.email_enabled:
        return None
    if settings.email_provider == "notify":
        if not settings.notify_template_id.strip():
            raise ConfigError(
                "email_provider is notify but notify_template_id is empty.",
                hint="Set CIVICDESK_NOTIFY_TEMPLATE_ID to the reply template's id.",
                code="E722",
            )
        return NotifySender(
            api_key=settings.notify_api_key.get_secret_value(),
            template_id=settings.notify_template_id.strip(),
            base_url=settings.notify_base_url,
            timeout=settings.smtp_timeout_seconds,
        )
    sender = settings.smtp_from or settings.contact_email
    if "@" not in sender:
        raise ConfigError(
            "reply emails need a From address.",
            hint="Set CIVICDESK_SMTP_FROM (or contact_email) to an email address.",
            code="E720",
        )
    return SmtpSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        timeout=settings.smtp_timeout_seconds,
    )
