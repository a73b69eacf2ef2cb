"""One problem found in a request body: where (a JSONPath such as `$.embeds[0].url`) and why."""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "$"


@dataclass(frozen=True)
class Finding:
    """Where a body breaks the contract, and how."""

    where: str
    reason: str


def at(path: str, key: str | int) -> str:
    """The JSONPath of `key` inside the value at `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"
