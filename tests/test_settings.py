"""Settings: where values come from, URL normalisation, masking and the production secret rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from civicdesk.errors import ConfigError
from civicdesk.settings import (
    DEV_SECRET,
    Settings,
    config_path,
    get_settings,
    load_settings,
)

STRONG_SECRET = "k" * 32


@pytest.fixture
def toml_file() -> Path:
    """The settings file the autouse fixture points CIVICDESK_CONFIG at."""
    return Path(os.environ["CIVICDESK_CONFIG"])


def test_defaults_without_file_or_environment(toml_file: Path) -> None:
    assert not toml_file.exists()
    current = load_settings()
    assert current.environment == "development"
    assert current.data_dir == Path("civicdesk-data")
    assert current.database_url is None
    assert current.secret_key.get_secret_value() == DEV_SECRET
    assert current.port == 8000
    assert current.is_sqlite
    assert current.effective_database_url == (
        f"sqlite:///{(Path('civicdesk-data') / 'civicdesk.db').resolve()}"
    )


def test_config_path_follows_civicdesk_config(
    toml_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_path() == toml_file
    monkeypatch.delenv("CIVICDESK_CONFIG")
    assert config_path() == Path("civicdesk.toml")


@pytest.mark.parametrize(
    ("toml", "env", "init", "expected"),
    [
        ("", None, None, 8000),
        ("port = 8100\n", None, None, 8100),
        ("port = 8100\n", "8200", None, 8200),
        ("port = 8100\n", "8200", 8300, 8300),
        ("", "8200", None, 8200),
        ("", None, 8300, 8300),
    ],
    ids=["default", "toml", "env-over-toml", "init-over-all", "env-only", "init-only"],
)
def test_precedence_init_env_toml_default(
    toml_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    toml: str,
    env: str | None,
    init: int | None,
    expected: int,
) -> None:
    toml_file.write_text(toml)
    if env is not None:
        monkeypatch.setenv("CIVICDESK_PORT", env)
    overrides = {"port": init} if init is not None else {}
    assert load_settings(**overrides).port == expected


def test_fields_from_different_sources_combine(
    toml_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml_file.write_text('service_name = "Ask Anytown"\nheader_style = "govuk"\n')
    monkeypatch.setenv("CIVICDESK_HEADER_STYLE", "generic")
    current = load_settings(default_language="cy")
    assert (current.service_name, current.header_style, current.default_language) == (
        "Ask Anytown",
        "generic",
        "cy",
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("postgres://u:p@db/civic", "postgresql+psycopg://u:p@db/civic"),
        ("postgresql://u@db:5433/civic", "postgresql+psycopg://u@db:5433/civic"),
        ("postgresql+psycopg://u@db/civic", "postgresql+psycopg://u@db/civic"),
        ("sqlite:////srv/civic.db", "sqlite:////srv/civic.db"),
        ("", None),
    ],
)
def test_database_url_normalisation(given: str, stored: str | None) -> None:
    current = Settings(database_url=given)
    assert current.database_url == stored
    assert current.is_sqlite == (stored is None or stored.startswith("sqlite"))


def test_public_view_masks_secrets_and_passwords() -> None:
    current = Settings(
        secret_key=SecretStr("a-very-secret-value-of-some-length"),
        pseudonym_key=SecretStr(""),
        database_url="postgres://civic:hunter2@db.internal:5432/civic",
    )
    view = current.public_view()
    assert view["secret_key"] == "********"
    assert view["pseudonym_key"] == ""  # empty stays visibly empty, so operators see it is unset
    assert view["database_url"] == "postgresql+psycopg://civic:********@db.internal:5432/civic"
    assert view["effective_database_url"] == view["database_url"]
    assert "hunter2" not in repr(view)
    assert "a-very-secret" not in repr(view)
    assert set(Settings.model_fields) <= set(view)


def test_public_view_leaves_passwordless_url_alone() -> None:
    view = Settings(database_url="postgresql://civic@db/civic").public_view()
    assert view["database_url"] == "postgresql+psycopg://civic@db/civic"


@pytest.mark.parametrize(
    ("environment", "secret", "refused"),
    [
        ("development", DEV_SECRET, False),
        ("development", "short", False),
        ("test", DEV_SECRET, True),
        ("production", DEV_SECRET, True),
        ("production", "k" * 31, True),
        ("production", STRONG_SECRET, False),
        ("test", STRONG_SECRET, False),
    ],
)
def test_production_secret_rule(environment: str, secret: str, refused: bool) -> None:
    current = Settings(environment=environment, secret_key=SecretStr(secret))
    if refused:
        with pytest.raises(ConfigError) as caught:
            current.check_safe_to_run()
        assert caught.value.code == "E101"
        assert "CIVICDESK_SECRET_KEY" in str(caught.value)
    else:
        current.check_safe_to_run()


@pytest.mark.parametrize(
    ("environment", "keys", "refused"),
    [
        ("production", {"cases_api_key": "k" * 31}, "cases_api_key"),
        ("test", {"cases_api_key": "  Kp4-tiny  "}, "cases_api_key"),
        ("production", {"chat_api_keys": f"{'a' * 40},{'b' * 31}"}, "chat_api_keys"),
        ("production", {"chat_api_keys": "zQ9"}, "chat_api_keys"),
        ("production", {"cases_api_key": "k" * 32, "chat_api_keys": f"{'a' * 32}, {'b' * 48}"}, ""),
        ("production", {"cases_api_key": "", "chat_api_keys": ""}, ""),  # unset: APIs closed
        ("production", {"chat_api_keys": f"{'a' * 32}, ,"}, ""),  # blanks between commas
        ("development", {"cases_api_key": "dev", "chat_api_keys": "dev"}, ""),
    ],
)
def test_short_api_keys_are_refused_outside_development(
    environment: str, keys: dict[str, str], refused: str
) -> None:
    values = {name: SecretStr(value) for name, value in keys.items()}
    current = Settings(environment=environment, secret_key=SecretStr(STRONG_SECRET), **values)
    if not refused:
        current.check_safe_to_run()
        return
    with pytest.raises(ConfigError) as caught:
        current.check_safe_to_run()
    assert caught.value.code == "E107"
    assert refused in caught.value.message and "32 characters" in caught.value.message
    assert f"CIVICDESK_{refused.upper()}" in caught.value.hint
    for value in keys.values():
        assert value.strip() not in str(caught.value)  # the key itself is never shown


@pytest.mark.parametrize(
    ("toml", "env", "code", "names"),
    [
        ('secret_key = "unterminated\n', {}, "E102", "not valid TOML"),
        ("colour = 'blue'\n", {}, "E103", "colour"),
        ("", {"CIVICDESK_PORT": "abc"}, "E103", "port"),
        ("", {"CIVICDESK_PORT": "70000"}, "E103", "port"),
        ("", {"CIVICDESK_DEFAULT_LANGUAGE": "fr"}, "E103", "default_language"),
        ("", {"CIVICDESK_ENVIRONMENT": "staging"}, "E103", "environment"),
        ("max_body_bytes = 10\n", {}, "E103", "max_body_bytes"),
    ],
    ids=["malformed", "unknown-key", "port-abc", "port-range", "language", "env", "body-size"],
)
def test_bad_settings_are_one_coded_line(
    toml_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    toml: str,
    env: dict[str, str],
    code: str,
    names: str,
) -> None:
    toml_file.write_text(toml)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert caught.value.code == code
    assert message.startswith(f"{code}: ")
    assert names in message
    assert "\n" not in message


def test_get_settings_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("CIVICDESK_SERVICE_NAME", "First")
        first = get_settings()
        monkeypatch.setenv("CIVICDESK_SERVICE_NAME", "Second")
        assert get_settings() is first
        assert first.service_name == "First"
    finally:
        get_settings.cache_clear()


def test_a_mistyped_environment_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk.errors import ConfigError
    from civicdesk.settings import load_settings

    monkeypatch.setenv("CIVICDESK_DATABSE_URL", "postgresql://x@localhost/db")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert raised.value.code == "E106"
    assert "CIVICDESK_DATABSE_URL" in str(raised.value)
    assert "Did you mean CIVICDESK_DATABASE_URL?" in str(raised.value)


def test_config_and_test_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk.settings import load_settings

    monkeypatch.setenv("CIVICDESK_TEST_SOMETHING", "1")
    assert load_settings().environment == "development"
