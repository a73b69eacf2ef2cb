"""Shared fixtures: the real bot, built by the public factory, on a SQLite file in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import BriefBot, create_bot
from bot.config import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Copies of the product owner's sample briefs (../shared/examples), so a clone tests on its own.
EXAMPLES = FIXTURES / "examples"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: a fresh database file, no .env, nobody an admin yet.

    The bot keeps this very object, so a test may add admin ids after creating its users.
    """
    return Settings(_env_file=None, database_path=tmp_path / "briefs.db")  # type: ignore[call-arg]


@pytest.fixture
def simcord_bot(settings: Settings) -> BriefBot:
    """The real bot for simcord's `simcord_env` fixture."""
    return create_bot(settings)
