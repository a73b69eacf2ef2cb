"""The contract check: each request the bot sent, against Discord's spec and documented rules.

A request is matched to its operation in the vendored spec by method and path template (the
most literal template wins, so `messages/@original` beats `messages/{message_id}`). Its JSON
body (for a multipart upload simcord records the `payload_json` part) is validated against the
operation's request body schema, then against the documented limits the schema lacks
(`rules`) and the mention policy (`mentions`). A body sent to a route the spec does not know
is a violation, so nothing slips through; a bodyless request to an unknown route is not.
Query parameters are discord.py's business and are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tests.contract import rules
from tests.contract.finding import ROOT, Finding, at
from tests.contract.mentions import mention_findings
from tests.contract.spec import Operation, Spec, vendored_spec

#: Operations whose whole body is a message to create or edit.
MESSAGE_OPERATIONS = frozenset(
    {
        "create_message",
        "update_message",
        "execute_webhook",
        "update_original_webhook_message",
        "update_webhook_message",
    }
)
BULK_COMMAND_OPERATIONS = frozenset(
    {"bulk_set_application_commands", "bulk_set_guild_application_commands"}
)
COMMAND_OPERATIONS = frozenset(
    {
        "create_application_command",
        "update_application_command",
        "create_guild_application_command",
        "update_guild_application_command",
    }
)
INTERACTION_CALLBACK = "create_interaction_response"
#: Interaction callback types whose `data` is a message: reply, deferred reply, deferred
#: update, update (receiving-and-responding#interaction-response-object-interaction-callback-type).
MESSAGE_CALLBACKS = frozenset({4, 5, 6, 7})
AUTOCOMPLETE_CALLBACK = 8
MODAL_CALLBACK = 9


class Request(Protocol):
    """What the check reads of a recorded request (simcord's `HttpLogEntry` fits)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def json(self) -> Any: ...


@dataclass(frozen=True)
class Violation:
    """One way one request broke the contract."""

    route: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.route} {self.where}: {self.reason}"


def check_request(
    method: str, path: str, body: Any, *, spec: Spec | None = None
) -> list[Violation]:
    """Every way one request breaks Discord's contract; empty if it keeps it."""
    spec = spec or vendored_spec()
    operation = spec.find(method, path)
    if operation is None:
        if body is None:
            return []
        reason = (
            f"no operation of the vendored spec (discord-api-spec@{spec.commit[:7]}) matches "
            "this route; if Discord documents it, add its operationId to KEPT_OPERATIONS in "
            "tests/contract/trim_spec.py and regenerate"
        )
        return [Violation(f"{method} {path}", ROOT, reason)]
    if body is None:
        if operation.body_required:
            return [Violation(operation.route, ROOT, "this operation requires a body")]
        return []
    schema = spec.body_errors(operation, body)
    flagged = {finding.where for finding in schema}
    documented = [f for f in _documented_findings(operation, body) if f.where not in flagged]
    return [Violation(operation.route, f.where, f.reason) for f in schema + documented]


def check_requests(requests: Iterable[Request]) -> list[tuple[int, Violation]]:
    """Each violation with the position (from 0) of its request in the log."""
    return [
        (index, violation)
        for index, request in enumerate(requests)
        for violation in check_request(request.method, request.path, request.json)
    ]


def report(violations: Iterable[tuple[int, Violation]]) -> str:
    """Violations grouped by route, place and reason, naming the requests that had each."""
    requests: dict[Violation, list[int]] = {}
    for index, violation in violations:
        requests.setdefault(violation, []).append(index)
    lines = [
        f"  {violation}  [request{'s' if len(indices) > 1 else ''} "
        f"{', '.join(f'#{index}' for index in indices)}]"
        for violation, indices in requests.items()
    ]
    count = sum(len(indices) for indices in requests.values())
    heading = (
        f"{count} violation(s) of Discord's API contract in the bot's requests "
        "(#n is the position in env.http_requests):"
    )
    return "\n".join([heading, *lines])


def _documented_findings(operation: Operation, body: Any) -> Iterator[Finding]:
    name = operation.operation_id
    if name in MESSAGE_OPERATIONS and isinstance(body, Mapping):
        yield from _message_findings(body, ROOT)
    elif name == INTERACTION_CALLBACK and isinstance(body, Mapping):
        data = body.get("data")
        if not isinstance(data, Mapping):
            return
        kind, where = body.get("type"), at(ROOT, "data")
        if kind in MESSAGE_CALLBACKS:
            yield from _message_findings(data, where)
        elif kind == AUTOCOMPLETE_CALLBACK:
            yield from rules.autocomplete_findings(data, where)
        elif kind == MODAL_CALLBACK:
            yield from rules.modal_findings(data, where)
    elif name in BULK_COMMAND_OPERATIONS and isinstance(body, list):
        yield from rules.command_findings(body, ROOT)
    elif name in COMMAND_OPERATIONS and isinstance(body, Mapping):
        yield from rules.single_command_findings(body, ROOT)


def _message_findings(message: Mapping[str, Any], path: str) -> Iterator[Finding]:
    yield from rules.message_findings(message, path)
    yield from mention_findings(message, path)
