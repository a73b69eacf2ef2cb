"""The layers hold: no import cycles, and no module imports from a layer above its own.

Every import counts, wherever it stands: at the top, inside a function (a lazy import still
runs), or under `if TYPE_CHECKING:` (the types are part of the design too). ruff's banned-api
(pyproject.toml and bot/**/ruff.toml) says the same per line while one edits; this test sees
the whole graph, so it also catches cycles that no single import shows.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage")

#: Lowest first; a module may import its own layer and those below it (docs/architecture.md).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("storage",),
    ("bot", "bot.errors", "bot.limits", "bot.logs", "bot.metrics"),
    ("bot.brief",),
    ("bot.config",),
    ("bot.feeds",),
    ("bot.ui",),
    ("bot.app", "bot.publishers"),
    ("bot.api",),
    ("bot.cogs",),
    ("bot.cli", "bot.__main__"),
)
#: Where discord.py may be imported: presentation, the bot, the features, the command line.
DISCORD_ALLOWED = ("bot.ui", "bot.app", "bot.publishers", "bot.cogs", "bot.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the bot and of storage, by dotted name."""
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


MODULES = modules()


def imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Yield (imported module, line) for every import in a module, nested ones included.

    `from package import name` counts as importing `package.name` when that is a module.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in MODULES else base), node.lineno


def graph() -> dict[str, set[str]]:
    """Imports between our own modules."""
    return {
        name: {target for target, _ in imports(name, path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle through each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges[node]:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer(name: str) -> int:
    """Return a module's layer: that of the longest prefix listed in LAYERS."""
    best, rank = "", -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, number
    assert rank >= 0, f"{name} is in no layer: add it to LAYERS"
    return rank


def feature(name: str) -> str | None:
    """Return the feature package a module belongs to (`bot.cogs.briefs`), if any."""
    parts = name.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["bot", "cogs"] and len(parts) > 2 else None


def violations() -> Iterator[str]:
    for name, path in sorted(MODULES.items()):
        where = f"{path.relative_to(ROOT)}"
        for target, line in imports(name, path):
            top = target.split(".")[0]
            if top == "discord" and not name.startswith(DISCORD_ALLOWED):
                yield f"{where}:{line}: {name} imports discord"
            if target not in MODULES:
                continue
            if layer(target) > layer(name):
                yield f"{where}:{line}: {name} imports {target}, a layer above it"
            if name.startswith("bot.cli") and target.startswith("bot.cogs"):
                yield f"{where}:{line}: the command line imports the feature {target}"
            mine, theirs = feature(name), feature(target)
            if mine and theirs and mine != theirs:
                yield f"{where}:{line}: feature {mine} imports another feature, {target}"


def test_every_module_is_in_a_layer() -> None:
    assert "bot.cogs.briefs._cog" in MODULES
    assert "storage.library" in MODULES
    for name in MODULES:
        layer(name)


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert list(violations()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
        ({"a": {"a"}}, [["a"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], expected: list[list[str]]):
    assert cycles(edges) == expected


def banned_modules() -> Iterator[tuple[str, str]]:
    """Yield (ruff config, banned name) for every banned-api entry of ours."""
    for config in [ROOT / "pyproject.toml", *sorted((ROOT / "bot").rglob("ruff.toml"))]:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
        lint = data.get("tool", {}).get("ruff", data).get("lint", {})
        for name in lint.get("flake8-tidy-imports", {}).get("banned-api", {}):
            yield str(config.relative_to(ROOT)), name


def test_every_banned_module_of_ours_exists() -> None:
    """A ban on a module that is gone guards nothing (storage.guilds was one)."""
    ours = {name for _, name in banned_modules() if name.split(".")[0] in PACKAGES}
    assert ours, "no bans found: the reader of ruff configs is broken"
    stale = [
        f"{config}: {name}"
        for config, name in banned_modules()
        if name.split(".")[0] in PACKAGES and name not in MODULES
    ]
    assert stale == []


def test_a_nested_import_counts(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from bot.app import create_bot\n", encoding="utf-8")
    assert list(imports("storage.mod", source)) == [("bot.app", 2)]
