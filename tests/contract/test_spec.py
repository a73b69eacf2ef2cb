"""The vendored spec: where it came from, that it is whole, and how requests find operations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.contract import trim_spec
from tests.contract.spec import SPEC_FILE, vendored_spec

#: The full spec beside a checkout of the project, when there is one (../shared).
SOURCE = Path(__file__).resolve().parents[3] / "shared" / "discord-api-spec" / "openapi.json"


def test_vendored_copy_names_its_commit_and_keeps_the_licence() -> None:
    document = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    licence = (SPEC_FILE.parent / "LICENSE").read_text(encoding="utf-8")

    assert document["x-trimmed-from"]["commit"] == trim_spec.SOURCE_COMMIT
    assert vendored_spec().commit == trim_spec.SOURCE_COMMIT
    assert trim_spec.SOURCE_COMMIT in (SPEC_FILE.parent / "README.md").read_text()
    assert licence.startswith("MIT License")
    assert "Discord" in licence


def test_every_kept_operation_is_there() -> None:
    kept = {operation.operation_id for operation in vendored_spec().operations}

    assert kept == set(trim_spec.KEPT_OPERATIONS)


def test_every_schema_is_valid_json_schema_2020_12() -> None:
    document = vendored_spec().document
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_ref_resolves_within_the_copy() -> None:
    document = vendored_spec().document
    names = set(trim_spec._refs(document))

    assert names <= set(document["components"]["schemas"])


@pytest.mark.skipif(not SOURCE.exists(), reason="the full spec (../shared) is not here")
def test_trimming_the_source_again_gives_the_vendored_copy() -> None:
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    vendored = json.loads(SPEC_FILE.read_text(encoding="utf-8"))

    assert trim_spec.trim(source, commit=trim_spec.SOURCE_COMMIT) == vendored


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        (
            "PATCH",
            "/webhooks/1/tok/messages/@original",
            "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        ),
        (
            "PATCH",
            "/webhooks/1/tok/messages/2",
            "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        ),
        ("POST", "/webhooks/1/tok?wait=1", "POST /webhooks/{webhook_id}/{webhook_token}"),
        ("post", "/channels/1/messages", "POST /channels/{channel_id}/messages"),
        (
            "POST",
            "/channels/1/messages/2/crosspost",
            "POST /channels/{channel_id}/messages/{message_id}/crosspost",
        ),
        (
            "PUT",
            "/applications/1/guilds/2/commands",
            "PUT /applications/{application_id}/guilds/{guild_id}/commands",
        ),
    ],
)
def test_a_request_finds_the_most_literal_template(method: str, path: str, route: str) -> None:
    operation = vendored_spec().find(method, path)

    assert operation is not None
    assert operation.route == route


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/channels/1/messages"),
        ("POST", "/channels/1/messages/2"),
        ("POST", "/channels/1/messages/@me/crosspost"),
        ("POST", "/channels/1"),
    ],
)
def test_a_route_the_copy_does_not_keep_finds_nothing(method: str, path: str) -> None:
    assert vendored_spec().find(method, path) is None
