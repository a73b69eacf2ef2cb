"""Typed settings read from the environment and a `.env` file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IdList = Annotated[list[int], NoDecode]
PatternList = Annotated[list[str], NoDecode]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


def _split_ids(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Everything the bot can be configured with; each field is one environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    discord_token: SecretStr | None = None
    database_path: Path = Path("data/briefs.db")
    dev_guild_id: int | None = None
    admin_user_ids: IdList = Field(default_factory=list)
    admin_role_ids: IdList = Field(default_factory=list)
    brief_strip_patterns: PatternList = Field(default_factory=list)
    brief_max_chars: int = Field(default=100_000, gt=0)
    upload_max_bytes: int = Field(default=256_000, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    autopost_interval_seconds: float = Field(default=60.0, ge=5)
    autopost_catchup_max: int = Field(default=5, ge=0)
    autopost_concurrency: int = Field(default=8, ge=1, le=40)

    @field_validator("admin_user_ids", "admin_role_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        return _split_ids(value)

    @field_validator("brief_strip_patterns", mode="before")
    @classmethod
    def _parse_patterns(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [line for line in value.splitlines() if line.strip()]
        return value

    @field_validator("brief_strip_patterns")
    @classmethod
    def _compile_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def token(self) -> str | None:
        """Return the bot token, or None when it is unset or blank."""
        if self.discord_token is None:
            return None
        return self.discord_token.get_secret_value().strip() or None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"setting {name}: {first['msg']}") from exc
