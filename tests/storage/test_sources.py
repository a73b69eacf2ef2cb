"""Sources and their tokens, on both backends: names checked, tokens kept as a hash and
acting for their own source only, revocation at once; idempotency keys remembered a day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.errors import SourceExistsError, SourceNameError, UnknownSourceError
from storage.library import Storage
from storage.tokens import PREFIX, USE_NOTED, token_hash


async def test_a_source_is_added_listed_found_and_removed(store: Storage) -> None:
    cms = await store.sources.add("cms", label="Newsroom CMS")
    await store.sources.add("wire")

    assert cms.label == "Newsroom CMS"
    assert not cms.signed
    assert [s.name for s in await store.sources.list()] == ["cms", "wire"]
    wire = await store.sources.get("wire")
    assert wire is not None
    assert wire.shown == "wire"
    assert await store.sources.remove("wire")
    assert not await store.sources.remove("wire")
    assert await store.sources.get("wire") is None


@pytest.mark.parametrize("name", ["", "CMS", "-cms", "a b", "x" * 33, "cli", "wire/1"])
async def test_a_bad_or_reserved_name_is_refused(store: Storage, name: str) -> None:
    with pytest.raises(SourceNameError):
        await store.sources.add(name)
    assert await store.sources.list() == []


async def test_a_taken_name_is_refused(store: Storage) -> None:
    await store.sources.add("cms")
    with pytest.raises(SourceExistsError):
        await store.sources.add("cms", label="Another")


async def test_a_token_is_stored_as_its_hash_never_the_secret(store: Storage) -> None:
    await store.sources.add("cms")
    token, secret = await store.tokens.create("cms", "staging")

    assert secret.startswith(PREFIX)
    assert len(secret) > 40
    async with store.db.read() as conn:
        rows = await conn.fetch("SELECT * FROM tokens")
    assert [row["token_hash"] for row in rows] == [token_hash(secret)]
    assert all(secret not in str(value) for row in rows for value in row.values())
    assert (token.source, token.label, token.revoked_at) == ("cms", "staging", None)


async def test_a_token_verifies_as_its_own_source_and_notes_its_use(store: Storage) -> None:
    await store.sources.add("cms")
    await store.sources.add("wire")
    cms, cms_secret = await store.tokens.create("cms", "cms token")
    wire, wire_secret = await store.tokens.create("wire")

    found = await store.tokens.verify(cms_secret)
    assert found is not None
    assert (found.id, found.source) == (cms.id, "cms")
    assert found.last_used_at is not None
    other = await store.tokens.verify(wire_secret)
    assert other is not None
    assert (other.id, other.source) == (wire.id, "wire")
    assert await store.tokens.verify(cms_secret + "x") is None
    assert await store.tokens.verify("") is None
    listed = await store.tokens.list("cms")
    assert [t.id for t in listed] == [cms.id]
    assert listed[0].last_used_at is not None


async def test_a_revoked_token_verifies_as_none_at_once(store: Storage) -> None:
    await store.sources.add("cms")
    token, secret = await store.tokens.create("cms")

    assert await store.tokens.revoke(token.id)
    assert await store.tokens.verify(secret) is None
    assert not await store.tokens.revoke(token.id)
    assert not await store.tokens.revoke(token.id + 1)
    [listed] = await store.tokens.list()
    assert listed.revoked_at is not None


async def test_a_token_needs_a_source_and_goes_with_it(store: Storage) -> None:
    with pytest.raises(UnknownSourceError):
        await store.tokens.create("nobody")
    await store.sources.add("cms")
    _, secret = await store.tokens.create("cms")

    assert await store.sources.remove("cms")
    assert await store.tokens.verify(secret) is None
    assert await store.tokens.list() == []


async def test_a_webhook_secret_is_shown_once_and_kept_to_check_signatures(
    store: Storage,
) -> None:
    await store.sources.add("cms")
    secret = await store.sources.set_webhook_secret("cms")

    assert secret.startswith("whsec_")
    assert await store.sources.webhook_secret("cms") == secret
    source = await store.sources.get("cms")
    assert source is not None
    assert source.signed
    assert await store.sources.set_webhook_secret("cms") != secret  # a new one replaces it
    with pytest.raises(UnknownSourceError):
        await store.sources.set_webhook_secret("nobody")


async def test_an_idempotency_key_keeps_the_first_answer(store: Storage) -> None:
    first = await store.idempotency.remember(1, "key-1", "hash-a", 201, '{"id": 1}')
    again = await store.idempotency.remember(1, "key-1", "hash-b", 500, "{}")

    assert (again.request_hash, again.status, again.body) == ("hash-a", 201, '{"id": 1}')
    assert again == first
    recalled = await store.idempotency.recall(1, "key-1")
    assert recalled == first
    assert await store.idempotency.recall(2, "key-1") is None  # keys are each token's own
    assert await store.idempotency.recall(1, "key-2") is None


async def test_an_expired_idempotency_key_is_forgotten(store: Storage) -> None:
    kept = await store.idempotency.remember(1, "old", "hash-a", 201, "{}")
    async with store.db.transaction() as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET expires_at = ?", kept.stored_at - timedelta(seconds=1)
        )

    assert await store.idempotency.recall(1, "old") is None
    fresh = await store.idempotency.remember(1, "old", "hash-b", 200, "[]")
    assert fresh.request_hash == "hash-b"
    assert await store.idempotency.forget_expired() == 0


async def test_a_tokens_use_is_noted_once_a_minute_not_on_every_request(store: Storage) -> None:
    await store.sources.add("cms")
    token, secret = await store.tokens.create("cms")

    first = await store.tokens.verify(secret)
    second = await store.tokens.verify(secret)

    assert first is not None
    assert second is not None
    assert first.last_used_at is not None
    assert second.last_used_at == first.last_used_at
    async with store.db.transaction() as conn:  # as if that use were long ago
        await conn.execute("UPDATE tokens SET last_used_at = ?", first.last_used_at - 2 * USE_NOTED)
    third = await store.tokens.verify(secret)
    assert third is not None
    assert third.last_used_at is not None
    assert third.last_used_at > first.last_used_at
    [listed] = await store.tokens.list()
    assert listed.last_used_at == third.last_used_at
    assert listed.id == token.id


async def test_a_webhook_secret_is_a_32_byte_key_in_standard_base64(store: Storage) -> None:
    """Standard Webhooks' libraries read the key after whsec_ as standard base64; a URL-safe
    one (- and _) would be misread, or refused, by them."""
    import base64

    await store.sources.add("cms")
    for _ in range(20):
        secret = await store.sources.set_webhook_secret("cms")
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        assert len(key) == 32


async def test_a_token_is_found_with_its_source_and_secret_in_one_query(store: Storage) -> None:
    await store.sources.add("cms", label="Newsroom CMS")
    await store.sources.add("wire")
    token, secret = await store.tokens.create("cms", "newsdesk")
    _, wire_secret = await store.tokens.create("wire")

    found = await store.tokens.authenticate(secret)
    assert found is not None
    assert (found.token.id, found.token.source, found.token.label) == (token.id, "cms", "newsdesk")
    assert found.token.last_used_at is not None  # its use noted, as verify notes it
    assert found.source == await store.sources.get("cms")
    assert found.webhook_secret is None
    assert not found.source.signed

    webhook_secret = await store.sources.set_webhook_secret("wire")
    wire = await store.tokens.authenticate(wire_secret)
    assert wire is not None
    assert (wire.source.name, wire.source.label, wire.source.signed) == ("wire", None, True)
    assert wire.webhook_secret == webhook_secret
    assert webhook_secret not in repr(wire)

    again = await store.tokens.authenticate(secret)
    assert again is not None
    assert again.token.last_used_at == found.token.last_used_at  # once a minute, not each time
    assert await store.tokens.authenticate(secret + "x") is None
    await store.tokens.revoke(token.id)
    assert await store.tokens.authenticate(secret) is None
