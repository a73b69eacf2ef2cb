"""Typed settings read from the environment and a `.env` file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.brief.parsing import DEFAULT_MAX_CHARS
from bot.brief.when import zone_named
from storage.backends import backend_of, sqlite_url
from storage.errors import DatabaseUrlError

IdList = Annotated[list[int], NoDecode]
OptionalIdList = Annotated[list[int] | None, NoDecode]
PatternList = Annotated[list[str], NoDecode]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


#: Where the HTTP API listens when given a bare port: this machine only (TLS is a proxy's job).
LOOPBACK = "127.0.0.1"


def parse_listen(value: str) -> tuple[str, int]:
    """Read `HOST:PORT`, `[IPv6]:PORT` or a bare `PORT` (on loopback) into (host, port)."""
    host, _, port = value.strip().rpartition(":")
    host = host.strip("[]") or LOOPBACK
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT or a port (0-65535), e.g. 127.0.0.1:8080")
    return host, int(port)


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
    database_url: str | None = None
    dev_guild_id: int | None = None
    admin_user_ids: IdList = Field(default_factory=list)
    admin_role_ids: IdList = Field(default_factory=list)
    #: Who may write briefs for review, not publish them (docs/review.md).
    contributor_user_ids: IdList = Field(default_factory=list)
    contributor_role_ids: IdList = Field(default_factory=list)
    #: Where drafts' review cards go (unset: the newsroom channel).
    review_channel_id: int | None = Field(default=None, ge=1)
    #: Nobody approves a draft they wrote (the four-eyes rule).
    review_four_eyes: bool = False
    brief_strip_patterns: PatternList = Field(default_factory=list)
    brief_max_chars: int = Field(default=DEFAULT_MAX_CHARS, gt=0)
    upload_max_bytes: int = Field(default=256_000, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    autopost_interval_seconds: float = Field(default=60.0, ge=5)
    autopost_catchup_max: int = Field(default=5, ge=0)
    autopost_concurrency: int = Field(default=8, ge=1, le=40)
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: OptionalIdList = None
    api_listen: str | None = None
    #: Where the newsroom is told about feeds (failing, paused, recovered) and, later, reviews.
    newsroom_channel_id: int | None = Field(default=None, ge=1)
    #: Fetch feeds at loopback and private addresses too (tests, the demo; never in production).
    feeds_allow_private: bool = False
    #: How a feed's publisher can reach whoever runs this bot (a URL or an email address),
    #: sent in the User-Agent of every feed fetch.
    feeds_contact: str | None = None
    #: The newsroom's time zone (an IANA name): how publishers' release times are read.
    timezone: str = "UTC"

    @field_validator(
        "admin_user_ids",
        "admin_role_ids",
        "contributor_user_ids",
        "contributor_role_ids",
        "shard_ids",
        mode="before",
    )
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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return zone_named(value).key

    @property
    def zone(self) -> ZoneInfo:
        """Return the newsroom's time zone."""
        return zone_named(self.timezone)

    @field_validator("api_listen")
    @classmethod
    def _listen_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                backend_of(value.strip())
            except DatabaseUrlError as exc:
                raise ValueError(str(exc)) from None
            return value.strip()
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
        if not self.shard_ids:
            raise ValueError("SHARD_IDS is empty; leave it unset to run every shard")
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("SHARD_IDS lists a shard twice")
        outside = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if outside:
            raise ValueError(
                f"SHARD_IDS {outside} outside 0..{self.shard_count - 1} (SHARD_COUNT - 1)"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def database(self) -> str:
        """Return the database URL: DATABASE_URL, else the SQLite file at DATABASE_PATH."""
        return self.database_url or sqlite_url(self.database_path)

    @property
    def api_address(self) -> tuple[str, int] | None:
        """Return where `run` serves the HTTP API (API_LISTEN), or None: not at all."""
        return parse_listen(self.api_listen) if self.api_listen else None

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
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            raise ConfigError(f"settings: {message}") from exc
        raise ConfigError(f"setting {str(first['loc'][0]).upper()}: {message}") from exc
