"""One logger name per feature, each listed in README's Logs section.

An operator filters the logs by `logger=`; a feature that logs under two names (or a name
nobody wrote down) hides half its lines from that filter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The logger each feature logs under, by package (a module takes its longest prefix's).
FEATURE_LOGGERS = {
    "bot": "bot.app",
    "bot.ui": "bot.replies",
    "bot.brief": "bot.briefs",
    "bot.cogs.briefs": "bot.briefs",
    "bot.cogs.autopost": "bot.autopost",
    "bot.feeds": "bot.feeds",
    "bot.cogs.feeds": "bot.feeds",
    "bot.cli": "bot.cli",
    "storage": "storage",
    "storage.postgres": "storage.postgres",
    "storage.sqlite": "storage.sqlite",
}
#: Modules known to log under another name, each to be fixed by its owner (strict: a fixed
#: one must leave this list).
KNOWN: dict[str, str] = {}
#: Loggers of libraries we only tune (their level), never log to.
THEIRS = ("discord",)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def logger_names(path: Path) -> list[str]:
    """The names a module asks `logging.getLogger` for (a non-literal name is reported)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "getLogger"
            and node.args
        ):
            arg = node.args[0]
            names.append(arg.value if isinstance(arg, ast.Constant) else ast.unparse(arg))
    return [name for name in names if name.split(".")[0] not in THEIRS]


def feature_logger(module: str) -> str:
    """The logger name of the feature a module belongs to."""
    prefix = max((p for p in FEATURE_LOGGERS if module == p or module.startswith(p + ".")), key=len)
    return FEATURE_LOGGERS[prefix]


LOGGING_MODULES = sorted(
    path
    for package in ("bot", "storage")
    for path in (ROOT / package).rglob("*.py")
    if logger_names(path)
)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            path,
            id=key,
            marks=[pytest.mark.xfail(reason=KNOWN[key], strict=True)] if key in KNOWN else [],
        )
        for path in LOGGING_MODULES
        for key in [path.relative_to(ROOT).as_posix()]
    ],
)
def test_a_module_logs_under_its_features_name(path: Path) -> None:
    expected = feature_logger(module_name(path))
    assert set(logger_names(path)) == {expected}


def test_every_features_logger_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    logs = readme.split("\n## Logs\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([\w.]+)` \|", logs, re.MULTILINE))
    assert listed <= set(FEATURE_LOGGERS.values())
    used = {feature_logger(module_name(path)) for path in LOGGING_MODULES}
    assert used <= listed


def test_a_getlogger_of_dunder_name_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "mod.py"
    module.write_text("import logging\nlog = logging.getLogger(__name__)\n", encoding="utf-8")
    assert logger_names(module) == ["__name__"]
