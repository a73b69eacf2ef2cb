"""Settings: the database URL and the shard layout are checked before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from storage.backends import redact


def settings(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def test_database_defaults_to_the_sqlite_file() -> None:
    assert settings().database == "sqlite:///data/briefs.db"
    assert settings(database_path=Path("/srv/b.db")).database == "sqlite:////srv/b.db"


def test_database_url_wins_over_the_path() -> None:
    url = "postgresql://bot:secret@db.internal:5432/briefs"
    chosen = settings(database_url=url, database_path=Path("ignored.db"))
    assert chosen.database == url
    assert redact(chosen.database) == "postgresql://bot:***@db.internal:5432/briefs"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://db/briefs", "must start with sqlite:/// or postgresql://"),
        ("sqlite://", "names no file"),
        ("briefs.db", "must start with"),
    ],
)
def test_unusable_database_url_is_named(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL") as caught:
        settings(database_url=url)
    assert problem in str(caught.value)


def test_shards_default_to_every_shard_discord_recommends() -> None:
    assert (settings().shard_count, settings().shard_ids) == (None, None)


def test_shard_ids_are_read_like_other_id_lists() -> None:
    chosen = settings(shard_count="4", shard_ids="2, 3")
    assert (chosen.shard_count, chosen.shard_ids) == (4, [2, 3])


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"shard_ids": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"shard_count": "2", "shard_ids": "0,2"}, "SHARD_IDS [2] outside 0..1"),
        ({"shard_count": "2", "shard_ids": "1,1"}, "lists a shard twice"),
        ({"shard_count": "0"}, "SHARD_COUNT"),
    ],
)
def test_impossible_shard_layouts_are_refused(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    assert problem in str(caught.value)


def test_the_api_is_off_unless_api_listen_is_set() -> None:
    assert settings().api_address is None


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("8080", ("127.0.0.1", 8080)),
        (":9000", ("127.0.0.1", 9000)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:8080", ("::1", 8080)),
    ],
)
def test_api_listen_takes_host_and_port_or_a_bare_port_on_loopback(
    value: str, address: tuple[str, int]
) -> None:
    assert settings(api_listen=value).api_address == address


@pytest.mark.parametrize("value", ["localhost", "host:http", "70000"])
def test_an_api_listen_that_is_no_address_is_named(value: str) -> None:
    with pytest.raises(ConfigError, match=r"setting API_LISTEN: .* is not HOST:PORT"):
        settings(api_listen=value)
