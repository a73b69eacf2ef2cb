"""The command line (`python -m bot`, the `briefbot` script): a thin layer over the library."""

from bot.cli.main import main

__all__ = ["main"]
