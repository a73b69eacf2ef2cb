"""Standard Webhooks: a signed push verifies on its raw body; a bad, stale or replayed one not."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from bot.api._problems import ApiProblem
from bot.api._webhooks import ReplayGuard, verify_signed

SECRET = "whsec_" + base64.b64encode(b"a very secret key of 32 bytes!!!").decode()
BODY = b'{"title": "Comet"}'


def signed(body: bytes, *, webhook_id: str = "msg_1", age: timedelta = timedelta()) -> dict:
    when = datetime.now(UTC) - age
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(webhook_id, when, body),
    }


def test_a_signed_push_verifies_once():
    replays = ReplayGuard()
    verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    with pytest.raises(ApiProblem) as refused:
        verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    assert refused.value.status == 409
    assert "already delivered" in refused.value.detail


def test_the_same_id_from_another_source_is_not_a_replay():
    replays = ReplayGuard()
    verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    verify_signed(SECRET, "wire", signed(BODY), BODY, replays)


@pytest.mark.parametrize(
    ("age", "body", "why"),
    [
        (timedelta(), BODY + b" ", "No matching signature"),
        (timedelta(minutes=6), BODY, "too old"),
        (-timedelta(minutes=6), BODY, "too new"),
        (None, BODY, "Missing required headers"),
    ],
)
def test_a_wrong_stale_or_unsigned_push_is_refused(age: timedelta | None, body: bytes, why: str):
    headers = {} if age is None else signed(BODY, age=age)  # signed now, not at collection
    with pytest.raises(ApiProblem) as refused:
        verify_signed(SECRET, "cms", headers, body, ReplayGuard())
    assert refused.value.status == 401
    assert why in refused.value.detail


def test_an_id_is_forgotten_after_the_window():
    now = [0.0]
    replays = ReplayGuard(window=600.0, clock=lambda: now[0])
    assert replays.first_time("cms", "msg_1")
    assert not replays.first_time("cms", "msg_1")
    now[0] = 600.0
    assert replays.first_time("cms", "msg_1")
