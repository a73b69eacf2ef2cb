"""Discord's OpenAPI spec (the vendored, trimmed copy): find a request's operation, check its body.

OpenAPI 3.1 schemas are JSON Schema 2020-12; every `$ref` resolves through one
`referencing.Registry` holding the whole document, so a body schema is checked with all the
component schemas it reaches.
"""

from __future__ import annotations

import copy
import json
import re
import reprlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.contract.finding import ROOT, Finding

SPEC_FILE = Path(__file__).resolve().parent / "discord_api_spec" / "openapi.json"
SPEC_URI = "urn:briefbot:discord-api-spec"

#: Discord reads snowflakes sent as JSON integers too (discord.py sends role ids and attachment
#: ids that way); the spec only describes the string form it returns.
_SNOWFLAKE_AS_INTEGER = {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}
#: Schemes Discord accepts in a `format: uri` field; `attachment://` names an uploaded file.
URI_SCHEMES = frozenset({"http", "https", "attachment"})
#: Anything but RFC 3986's unreserved and reserved characters and "%" of an escape.
_NOT_URI_CHAR = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2}).{0,2}")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri", raises=ValueError)
def is_uri(value: object) -> bool:
    """An absolute http(s) URL with a host (or attachment://name), with no whitespace."""
    if not isinstance(value, str):
        return True
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError("contains whitespace or a control character")
    stray = _NOT_URI_CHAR.search(value) or _BAD_ESCAPE.search(value)
    if stray:
        raise ValueError(f"{stray.group()!r} may not appear in a URI (RFC 3986) unescaped")
    parts = urlsplit(value)
    if parts.scheme not in URI_SCHEMES:
        raise ValueError(f"scheme {parts.scheme!r} is not one of {sorted(URI_SCHEMES)}")
    if parts.scheme == "attachment":
        if not parts.netloc and not parts.path:
            raise ValueError("attachment:// names no file")
        return True
    if not parts.hostname:
        raise ValueError("has no host")
    _ = parts.port  # raises ValueError on a malformed port
    return True


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    """An ISO 8601 timestamp with a time zone, as RFC 3339 requires."""
    if not isinstance(value, str):
        return True
    if datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("has no time zone")
    return True


@dataclass(frozen=True)
class Operation:
    """One method on one path template of the spec."""

    method: str
    template: str
    operation_id: str
    #: JSON pointer to the `application/json` request body schema, if the operation takes one.
    body_pointer: str | None
    body_required: bool

    @property
    def route(self) -> str:
        return f"{self.method} {self.template}"

    def literals_matched(self, segments: list[str]) -> int | None:
        """How many literal segments of the template match `segments`; None if it does not fit."""
        template = self.template.strip("/").split("/")
        if len(template) != len(segments):
            return None
        literals = 0
        for expected, actual in zip(template, segments, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                if not actual or actual.startswith("@"):
                    return None
            elif expected == actual:
                literals += 1
            else:
                return None
        return literals


class Spec:
    """The operations of a spec document and validators for their request bodies."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = _with_known_deviations(document)
        self.commit: str = self.document.get("x-trimmed-from", {}).get("commit", "unknown")
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.operations = list(_operations(self.document))
        self._validators: dict[str, Draft202012Validator] = {}

    def find(self, method: str, path: str) -> Operation | None:
        """The operation for a concrete request path; the most literal template wins."""
        segments = path.split("?", 1)[0].strip("/").split("/")
        best: tuple[int, Operation] | None = None
        for operation in self.operations:
            if operation.method != method.upper():
                continue
            literals = operation.literals_matched(segments)
            if literals is not None and (best is None or literals > best[0]):
                best = (literals, operation)
        return best[1] if best else None

    def body_errors(self, operation: Operation, body: Any) -> list[Finding]:
        """Every way `body` breaks the operation's request body schema."""
        if operation.body_pointer is None:
            return [Finding(ROOT, "this operation takes no request body")]
        validator = self._validator(operation.body_pointer)
        return [
            Finding(error.json_path, _describe(error))
            for top in validator.iter_errors(body)
            for error in _specific(top)
        ]

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            self._validators[pointer] = Draft202012Validator(
                schema, registry=self._registry, format_checker=FORMATS
            )
        return self._validators[pointer]


@cache
def vendored_spec() -> Spec:
    """The trimmed copy of Discord's spec kept in this package."""
    return Spec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


def _with_known_deviations(document: Mapping[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(dict(document))
    schemas = patched["components"]["schemas"]
    schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], _SNOWFLAKE_AS_INTEGER]}
    return patched


def _operations(document: Mapping[str, Any]) -> Iterator[Operation]:
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            body = operation.get("requestBody", {})
            pointer = None
            if "application/json" in body.get("content", {}):
                escaped = template.replace("~", "~0").replace("/", "~1")
                pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
            required = bool(body.get("required", False))
            yield Operation(method.upper(), template, operation["operationId"], pointer, required)


def _specific(error: ValidationError) -> list[ValidationError]:
    """Replace an anyOf/oneOf failure by the errors of the alternative the body was aiming at.

    An alternative is ruled out when the value has the wrong JSON type for it or its `type`
    discriminator does not match (a button is not a select); of those left, the one with the
    fewest errors is reported. Without a candidate the union failure itself is reported.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[int(sub.relative_schema_path[0])].append(sub)
    candidates = [
        errors for errors in branches.values() if not any(_rules_out(sub) for sub in errors)
    ]
    if not candidates:
        return [error]
    closest = min(candidates, key=len)
    return [specific for sub in closest for specific in _specific(sub)]


def _rules_out(error: ValidationError) -> bool:
    path = list(error.relative_path)
    if not path and error.validator == "type":
        return True
    return path == ["type"] and error.validator in ("enum", "const")


_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


def _describe(error: ValidationError) -> str:
    limit = error.validator_value
    instance = error.instance
    match error.validator:
        case "maxLength":
            return f"{len(instance)} characters; the limit is {limit}"
        case "minLength":
            return f"{len(instance)} characters; at least {limit} required"
        case "maxItems":
            return f"{len(instance)} items; the limit is {limit}"
        case "minItems":
            return f"{len(instance)} items; at least {limit} required"
        case "format":
            cause = f" ({error.cause})" if error.cause else ""
            return f"{_short.repr(instance)} is not a valid {limit}{cause}"
        case "type":
            return f"{_short.repr(instance)} is not of type {limit}"
        case "enum":
            return f"{_short.repr(instance)} is not one of {limit}"
        case "anyOf" | "oneOf":
            what = _short.repr(instance)
            if isinstance(instance, Mapping) and "type" in instance:
                what = f"type {_short.repr(instance['type'])}"
            fits = "none" if error.context else "more than one"
            return f"{what} fits {fits} of the {len(limit)} alternatives the spec allows here"
        case "maximum" | "minimum" | "pattern" | "const":
            return f"{_short.repr(instance)} breaks {error.validator} {limit!r}"
        case _:
            message = str(error.message)
            return message if len(message) <= 200 else message[:197] + "..."
