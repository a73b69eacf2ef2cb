"""Regenerate the vendored, trimmed copy of Discord's OpenAPI spec.

Keeps only the operations the bot calls with a body (plus crosspost), their path parameters and
`application/json` request bodies, and every component schema those reach through `$ref`.
Schemas are copied unchanged; responses and security are dropped.

    python -m tests.contract.trim_spec path/to/discord-api-spec/specs/openapi.json \
        --commit <commit of that checkout>
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: discord/discord-api-spec commit the vendored copy was trimmed from.
SOURCE_COMMIT = "74fda0fad044407ea280043a03ffc9bc64c4e49e"
SOURCE_REPOSITORY = "https://github.com/discord/discord-api-spec"
SOURCE_PATH = "specs/openapi.json"

VENDORED = Path(__file__).resolve().parent / "discord_api_spec"

#: operationIds kept; a request to any other route with a body fails the contract check.
KEPT_OPERATIONS = (
    "create_interaction_response",
    "execute_webhook",
    "update_original_webhook_message",
    "update_webhook_message",
    "create_message",
    "update_message",
    "crosspost_message",
    "create_thread",
    "create_thread_from_message",
    "update_channel",
    "bulk_set_application_commands",
    "create_application_command",
    "update_application_command",
    "bulk_set_guild_application_commands",
    "create_guild_application_command",
    "update_guild_application_command",
    "create_dm",
)

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_REF = "#/components/schemas/"


def trim(spec: dict[str, Any], *, commit: str) -> dict[str, Any]:
    """Return the spec cut down to `KEPT_OPERATIONS` and the schemas they reference."""
    paths: dict[str, Any] = {}
    found: set[str] = set()
    for template, item in spec["paths"].items():
        kept = {
            method: _operation(operation)
            for method, operation in item.items()
            if method in _METHODS and operation.get("operationId") in KEPT_OPERATIONS
        }
        if kept:
            found.update(operation["operationId"] for operation in kept.values())
            parameters = {"parameters": item["parameters"]} if "parameters" in item else {}
            paths[template] = parameters | kept
    missing = sorted(set(KEPT_OPERATIONS) - found)
    if missing:
        raise SystemExit(f"operations not in this spec: {', '.join(missing)}")
    schemas = spec["components"]["schemas"]
    names = _reachable(paths, schemas)
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "externalDocs": spec["externalDocs"],
        "servers": spec["servers"],
        "x-trimmed-from": {
            "repository": SOURCE_REPOSITORY,
            "path": SOURCE_PATH,
            "commit": commit,
            "generator": "tests/contract/trim_spec.py",
        },
        "paths": paths,
        "components": {"schemas": {name: schemas[name] for name in sorted(names)}},
    }


def _operation(operation: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {
        key: operation[key] for key in ("operationId", "parameters") if key in operation
    }
    body = operation.get("requestBody")
    if body is not None:
        json_body = body["content"]["application/json"]
        kept["requestBody"] = {
            "content": {"application/json": json_body},
            "required": body.get("required", False),
        }
    return kept


def _reachable(root: Any, schemas: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    pending = list(_refs(root))
    while pending:
        name = pending.pop()
        if name not in names:
            names.add(name)
            pending.extend(_refs(schemas[name]))
    return names


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith(_SCHEMA_REF):
                raise SystemExit(f"unexpected $ref {ref!r}: only component schemas are kept")
            yield ref.removeprefix(_SCHEMA_REF)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the full openapi.json")
    parser.add_argument("--commit", default=SOURCE_COMMIT, help="commit of the source checkout")
    parser.add_argument("--license", type=Path, help="LICENSE to copy (default: beside source)")
    args = parser.parse_args()
    spec = json.loads(args.source.read_text(encoding="utf-8"))
    trimmed = trim(spec, commit=args.commit)
    VENDORED.mkdir(exist_ok=True)
    text = json.dumps(trimmed, indent=1, ensure_ascii=False) + "\n"
    (VENDORED / "openapi.json").write_text(text, encoding="utf-8")
    licence = args.license or args.source.parent / "LICENSE"
    if not licence.exists():
        licence = args.source.parent.parent / "LICENSE"
    shutil.copyfile(licence, VENDORED / "LICENSE")
    print(
        f"{len(trimmed['paths'])} paths, {len(trimmed['components']['schemas'])} schemas "
        f"-> {VENDORED / 'openapi.json'} ({len(text):,} bytes)"
    )


if __name__ == "__main__":
    main()
