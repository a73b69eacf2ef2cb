"""Publishers add, edit and delete briefs from Discord, as they would in the client."""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest

from bot.app import BriefBot
from bot.brief.drafts import DRAFT_TTL_SECONDS
from bot.brief.parsing import format_brief, parse_brief
from bot.cogs.briefs._form import FIELD_IDS
from bot.config import Settings
from storage.models import BriefContent
from tests.conftest import EXAMPLES, Restart

SECTIONS = (
    "❓ WHAT HAPPENED: The harbour ferry will run every ten minutes from Monday.\n"
    "👤 WHO WAS INVOLVED: The city transport office and the ferry operators' union.\n"
    "🎯 IMPACT: Waiting times at rush hour should halve."
)
ARTICLE = "The new timetable was agreed on Friday.\n\nExtra boats come from the river line."


@pytest.fixture
def world(simcord_env, settings: Settings):
    """A server with a publisher (alice), a plain member (bob) and a server manager (carol)."""
    guild = simcord_env.create_guild(name="Newsroom")
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob = guild.add_member(simcord_env.create_user("bob"))
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    carol = guild.add_member(simcord_env.create_user("carol"), roles=[managers])
    settings.admin_user_ids.append(alice.id)
    return simcord_env, channel, alice, bob, carol


def form(**values: str) -> dict[str, str]:
    """Modal values keyed by the form's custom_ids (sections defaults to a valid summary)."""
    values.setdefault("sections", SECTIONS)
    return {FIELD_IDS[name]: value for name, value in values.items()}


def last(result: Any) -> Any:
    """The message a (possibly deferred) interaction ended with."""
    return result.followups[-1] if result.followups else result.response


def buttons(message: Any) -> dict[str, str]:
    """Map each button's label to its custom_id."""
    return {
        c["label"]: c.get("custom_id", "")
        for row in message.components
        for c in row["components"]
        if c.get("type") == 2
    }


def bot_of(env: Any) -> BriefBot:
    return env.bot  # type: ignore[no-any-return]


async def count(env: Any) -> int:
    return await bot_of(env).briefs.count()


async def preview_by_form(actor: Any, channel: Any, **values: str) -> Any:
    shown = await actor.slash(channel, "brief add")
    assert shown.modal is not None
    return await actor.submit_modal(shown, form(**values))


async def publish_by_form(actor: Any, channel: Any, **values: str) -> Any:
    preview = await preview_by_form(actor, channel, **values)
    return await actor.click(preview.response.message, label="Publish")


def example_bytes(name: str = "comet-weekend.txt") -> bytes:
    return (EXAMPLES / name).read_bytes()


# --- adding ---------------------------------------------------------------------------------


async def test_add_by_form_previews_then_publishes(world):
    env, channel, alice, bob, _ = world
    published: list[Any] = []

    async def on_brief_published(brief: Any) -> None:
        published.append(brief)

    bot_of(env).add_listener(on_brief_published)

    shown = await alice.slash(channel, "brief add")
    inputs = [c for row in shown.modal["components"] for c in row["components"]]
    assert len(inputs) == 5
    article_input = next(c for c in inputs if c["custom_id"] == FIELD_IDS["article"])
    assert "/brief add file" in article_input["placeholder"]

    preview = await alice.submit_modal(shown, form(article=ARTICLE, source_url="https://x.test/a"))

    assert preview.ephemeral
    (embed,) = preview.response.embeds
    assert embed.title == "The harbour ferry will run every ten minutes from Monday."
    assert "Preview" in embed.footer.text
    assert embed.url == "https://x.test/a"
    assert set(buttons(preview.response)) == {"Publish", "Edit", "Cancel"}
    assert buttons(preview.response)["Publish"].startswith("brief:draft:publish:")
    assert await count(env) == 0

    done = await alice.click(preview.response.message, label="Publish")

    assert "Published as brief #1" in done.response.content
    assert done.response.components == []
    stored = await bot_of(env).briefs.get(1)
    assert stored is not None
    assert stored.created_by == alice.id
    assert stored.body == ARTICLE
    assert stored.source_url == "https://x.test/a"
    assert [b.id for b in published] == [1]

    latest = await bob.slash(channel, "brief latest")
    assert latest.response.embeds[0].title == embed.title
    assert "Brief #1" in latest.response.embeds[0].footer.text


async def test_form_title_overrides_and_pasted_title_is_read(world):
    _env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel, title="Ferry every ten minutes")
    assert preview.response.embeds[0].title == "Ferry every ten minutes"

    pasted = await preview_by_form(alice, channel, sections="# Pasted title\n" + SECTIONS)
    assert pasted.response.embeds[0].title == "Pasted title"


async def test_edit_button_reopens_form_and_updates_preview_in_place(world):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel, article=ARTICLE)

    reopened = await alice.click(preview.response.message, label="Edit")
    defaults = {
        c["custom_id"]: c.get("value")
        for row in reopened.modal["components"]
        for c in row["components"]
    }
    assert "WHAT HAPPENED: The harbour ferry" in defaults[FIELD_IDS["sections"]]
    assert defaults[FIELD_IDS["article"]] == ARTICLE

    changed = SECTIONS.replace("ten minutes", "five minutes")
    revised = await alice.submit_modal(reopened, form(sections=changed, article=ARTICLE))
    assert "five minutes" in revised.response.embeds[0].description

    await alice.click(revised.response.message, label="Publish")
    stored = await bot_of(env).briefs.get(1)
    assert stored is not None
    assert "five minutes" in stored.what_happened
    assert await count(env) == 1


async def test_cancel_stores_nothing(world):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)

    cancelled = await alice.click(preview.response.message, label="Cancel")

    assert "nothing was stored" in cancelled.response.content
    assert await count(env) == 0


async def test_add_by_file_previews_then_publishes(world):
    env, channel, alice, _, _ = world
    data = example_bytes()

    result = await alice.slash(channel, "brief add", file=("comet.md", data))

    message = last(result)
    assert message.ephemeral
    assert message.embeds[0].title == "A bright comet returns this weekend"
    assert "Preview" in message.embeds[0].footer.text
    assert await count(env) == 0

    await alice.click(message.message, label="Publish")
    stored = await bot_of(env).briefs.get(1)
    assert stored is not None
    assert stored.content() == parse_brief(data.decode())
    assert stored.created_by == alice.id


async def test_add_by_json_file_keeps_links_and_long_article(world):
    env, channel, alice, _, _ = world
    body = "\n\n".join(f"Paragraph {n}. " + "More words here. " * 40 for n in range(20))
    brief = {
        "title": "Long read",
        "what_happened": "A long article arrived.",
        "body": body,
        "source_url": "https://example.com/long",
        "tags": ["long"],
    }

    result = await alice.slash(channel, "brief add", file=("long.json", json.dumps(brief).encode()))

    message = last(result)
    assert "pages" in message.content
    await alice.click(message.message, label="Publish")
    stored = await bot_of(env).briefs.get(1)
    assert stored is not None
    assert stored.body == body
    assert stored.source_url == "https://example.com/long"
    assert stored.tags == ["long"]


async def test_draft_too_long_for_the_form_points_to_the_file(world):
    env, channel, alice, _, _ = world
    brief = {"what_happened": "A long article arrived.", "body": "Word " * 1_000}
    result = await alice.slash(channel, "brief add", file=("long.json", json.dumps(brief).encode()))

    refused = await alice.click(last(result).message, label="Edit")

    assert refused.modal is None
    assert "too long for the form" in refused.response.content
    assert "/brief add file:" in refused.response.content
    assert await count(env) == 0


async def test_exported_brief_file_is_added_as_a_new_brief(world):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel)
    exported = (await bot_of(env).briefs.get(1)).model_dump(mode="json")
    exported["title"] = "Another story"

    result = await alice.slash(
        channel, "brief add", file=("one.json", json.dumps(exported).encode())
    )
    await alice.click(last(result).message, label="Publish")

    stored = await bot_of(env).briefs.get(2)
    assert stored is not None
    assert stored.title == "Another story"
    assert stored.created_by == alice.id


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "not a brief file"),
        ("brief.pdf", b"%PDF-1.4", "not a brief file"),
        ("brief.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("brief.txt", "❓ WHAT HAPPENED: café".encode("latin-1", "replace") + b"\xe9\xff", "UTF-8"),
        ("brief.txt", b"Just some notes about the ferry.\nNo labels here.", "WHAT HAPPENED"),
        ("brief.md", "👤 WHO WAS INVOLVED: Someone.\n---\nText.".encode(), "WHAT HAPPENED"),
        ("brief.txt", "❓ WHAT HAPPENED:\n👤 WHO WAS INVOLVED: x".encode(), "empty"),
        ("brief.json", b'{"title": "x", ', "not valid JSON"),
        ("brief.json", b'[{"what_happened": "a"}, {"what_happened": "b"}]', "one brief at a time"),
        ("brief.txt", b"", "empty"),
    ],
)
async def test_bad_files_are_refused_clearly(world, filename: str, data: bytes, expected: str):
    env, channel, alice, _, _ = world

    result = await alice.slash(channel, "brief add", file=(filename, data))

    message = last(result)
    assert message.ephemeral
    assert expected in message.content
    assert filename.split(".")[0] in message.content
    assert message.components == []
    assert await count(env) == 0
    assert len(bot_of(env).get_cog("Briefs").drafts) == 0


async def test_oversized_file_is_refused(world, settings: Settings):
    env, channel, alice, _, _ = world
    settings.upload_max_bytes = 1_000

    result = await alice.slash(channel, "brief add", file=("big.txt", b"x" * 1_001))

    message = last(result)
    assert message.ephemeral
    assert "1,001 bytes" in message.content
    assert "1,000" in message.content
    assert await count(env) == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"sections": "Some text without any labels."}, "WHAT HAPPENED"),
        ({"sections": "👤 WHO WAS INVOLVED: only this"}, "WHAT HAPPENED"),
        ({"sections": "❓ WHAT HAPPENED: x\n❓ WHAT HAPPENED: y"}, "appears twice"),
        ({"source_url": "not a link"}, "source URL"),
        ({"image_url": "ftp://x.test/a.png"}, "image URL"),
        ({"source_url": "https://x.test/a story"}, "spaces"),
        ({"source_url": "https://x.test/" + "é" * 100}, "at most 512"),
    ],
)
async def test_bad_form_input_is_refused_clearly(world, values: dict[str, str], expected: str):
    env, channel, alice, _, _ = world

    result = await preview_by_form(alice, channel, **values)

    assert result.ephemeral
    assert expected in result.response.content
    assert result.response.components == []
    assert await count(env) == 0


# --- duplicates and expiry ------------------------------------------------------------------


async def test_duplicate_warns_and_needs_publish_anyway(world):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel)

    preview = await preview_by_form(alice, channel, sections=SECTIONS.upper())

    assert "Possible duplicate" in preview.response.content
    assert "brief #1" in preview.response.content
    assert set(buttons(preview.response)) == {"Publish anyway", "Edit", "Cancel"}
    await alice.click(preview.response.message, label="Publish anyway")
    assert await count(env) == 2


async def test_duplicate_published_meanwhile_is_caught_at_publish(world):
    env, channel, alice, _, _ = world
    first = await preview_by_form(alice, channel)
    second = await preview_by_form(alice, channel)
    await alice.click(first.response.message, label="Publish")

    again = await alice.click(second.response.message, label="Publish")

    assert "Possible duplicate" in again.response.content
    assert await count(env) == 1
    await alice.click(again.response.message, label="Publish anyway")
    assert await count(env) == 2


async def test_preview_expires(world):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)

    await env.advance_time(DRAFT_TTL_SECONDS + 1)
    late = await alice.click(preview.response.message, label="Publish")

    assert late.ephemeral
    assert "expired" in late.response.content
    assert "/brief add" in late.response.content
    assert await count(env) == 0


async def test_publish_after_restart_says_expired(world, restart: Restart):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)

    await restart()
    late = await alice.click(preview.response.message, label="Publish")

    assert late.ephemeral
    assert "expired" in late.response.content
    assert await count(env) == 0


async def test_publishing_twice_stores_once(world):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)
    custom_id = buttons(preview.response)["Publish"]
    await alice.click(preview.response.message, label="Publish")

    forged = await click_crafted(env, alice, channel, custom_id)

    assert "expired" in forged.response.content
    assert await count(env) == 1


# --- editing --------------------------------------------------------------------------------


async def test_edit_by_form_saves_new_version_and_history_shows_it(world):
    env, channel, alice, bob, _ = world
    await publish_by_form(alice, channel, article=ARTICLE, source_url="https://x.test/a")

    choices = await alice.autocomplete(channel, "brief edit", "brief", "ferry")
    assert choices[0]["value"] == "1"

    shown = await alice.slash(channel, "brief edit", brief="1")
    defaults = {
        c["custom_id"]: c.get("value")
        for row in shown.modal["components"]
        for c in row["components"]
    }
    assert defaults[FIELD_IDS["article"]] == ARTICLE
    assert defaults[FIELD_IDS["source_url"]] == "https://x.test/a"

    changed = defaults[FIELD_IDS["sections"]].replace("ten minutes", "five minutes")
    preview = await alice.submit_modal(
        shown,
        form(
            title=defaults[FIELD_IDS["title"]],
            sections=changed,
            article=ARTICLE + "\n\nUpdated.",
            source_url="https://x.test/a",
        ),
    )
    assert "changes to brief #1" in preview.response.content
    assert set(buttons(preview.response)) == {"Save", "Edit", "Cancel"}
    assert (await bot_of(env).briefs.get(1)).body == ARTICLE

    saved = await alice.click(preview.response.message, label="Save")

    assert "new version of brief #1" in saved.response.content
    stored = await bot_of(env).briefs.get(1)
    assert stored is not None
    assert "five minutes" in stored.what_happened
    assert stored.body.endswith("Updated.")
    assert await count(env) == 1

    history = await alice.slash(channel, "brief history", brief="1")
    assert history.ephemeral
    lines = history.response.embeds[0].description.split("\n")
    assert [line.split("**")[1] for line in lines] == ["Added", "Edited"]
    assert all(f"<@{alice.id}>" in line and "<t:" in line for line in lines)

    refused = await bob.slash(channel, "brief history", brief="1")
    assert "Only publishers" in refused.response.content


async def test_edit_keeps_publication_date_and_tags(world):
    env, channel, alice, _, _ = world
    content = parse_brief(example_bytes().decode()).model_copy(
        update={"tags": ["space"], "published_at": discord.utils.utcnow().replace(microsecond=0)}
    )
    stored = await bot_of(env).briefs.add(content)

    shown = await alice.slash(channel, "brief edit", brief=str(stored.id))
    values = {
        c["custom_id"]: c.get("value") or ""
        for row in shown.modal["components"]
        for c in row["components"]
    }
    preview = await alice.submit_modal(shown, values)
    await alice.click(preview.response.message, label="Save")

    after = await bot_of(env).briefs.get(stored.id)
    assert after is not None
    assert after.tags == ["space"]
    assert after.published_at == content.published_at
    assert after.content() == content


async def test_long_article_is_edited_by_file(world):
    env, channel, alice, _, _ = world
    body = "\n\n".join(f"Paragraph {n}. " + ("Many words. " * 50).strip() for n in range(12))
    stored = await bot_of(env).briefs.add(
        BriefContent(title="Long one", what_happened="It is long.", body=body)
    )

    told = await alice.slash(channel, "brief edit", brief=str(stored.id))

    assert told.modal is None
    assert told.ephemeral
    assert "edit it by file" in told.response.content.lower()
    (attached,) = told.response.attachments
    text = (await attached.read()).decode()
    assert parse_brief(text) == stored.content()

    new_text = text.replace("It is long.", "It is long and edited.")
    result = await alice.slash(
        channel, "brief edit", brief=str(stored.id), file=("long.md", new_text.encode())
    )
    message = last(result)
    assert "changes to brief" in message.content
    await alice.click(message.message, label="Save")
    after = await bot_of(env).briefs.get(stored.id)
    assert after is not None
    assert after.what_happened == "It is long and edited."
    assert after.body == body


async def test_edit_of_missing_brief_is_not_found(world):
    _env, channel, alice, _, _ = world
    result = await alice.slash(channel, "brief edit", brief="42")
    assert result.ephemeral
    assert "couldn't find" in result.response.content


# --- deleting -------------------------------------------------------------------------------


async def test_delete_confirms_then_removes_everywhere(world):
    env, channel, alice, bob, _ = world
    await publish_by_form(alice, channel, article=ARTICLE)
    post = await bob.slash(channel, "brief latest")

    asked = await alice.slash(channel, "brief delete", brief="1")

    assert asked.ephemeral
    assert "Delete brief #1?" in asked.response.content
    assert buttons(asked.response)["Delete"] == "brief:delete:confirm:1"
    assert await count(env) == 1

    done = await alice.click(asked.response.message, label="Delete")

    assert "Deleted brief #1" in done.response.content
    assert await count(env) == 0
    missing = await bob.slash(channel, "brief show", brief="1")
    assert "couldn't find" in missing.response.content
    more = await bob.click(post.response.message, label="More")
    assert "removed" in more.response.content

    history = await alice.slash(channel, "brief history", brief="1")
    description = history.response.embeds[0].description
    assert "**Deleted** by" in description
    assert "Removed" in history.response.embeds[0].footer.text


async def test_delete_cancel_keeps_the_brief(world):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel)
    asked = await alice.slash(channel, "brief delete", brief="1")

    kept = await alice.click(asked.response.message, label="Cancel")

    assert "Kept brief #1" in kept.response.content
    assert await count(env) == 1


async def test_delete_survives_restart(world, restart: Restart):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel)
    asked = await alice.slash(channel, "brief delete", brief="1")

    await restart()
    done = await alice.click(asked.response.message, label="Delete")

    assert "Deleted brief #1" in done.response.content
    assert await count(env) == 0


# --- refusals -------------------------------------------------------------------------------


async def click_crafted(env: Any, actor: Any, channel: Any, custom_id: str) -> Any:
    """Click a button carrying a custom_id the clicker chose, on a message they can see."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Crafted", custom_id=custom_id))
    message = await env.bot.get_channel(channel.id).send("crafted", view=view)
    view.stop()
    await env.settle()
    return await actor.click(message, custom_id=custom_id)


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("brief add", {}),
        ("brief add", {"file": ("comet.txt", example_bytes())}),
        ("brief edit", {"brief": "1"}),
        ("brief delete", {"brief": "1"}),
        ("brief history", {"brief": "1"}),
    ],
)
@pytest.mark.parametrize("who", ["bob", "carol"])
async def test_non_publishers_are_refused(world, command: str, options: dict[str, Any], who: str):
    env, channel, alice, bob, carol = world
    await publish_by_form(alice, channel)
    actor = {"bob": bob, "carol": carol}[who]

    result = await actor.slash(channel, command, **options)

    assert result.modal is None
    assert result.ephemeral
    assert "Only publishers" in result.response.content
    assert await count(env) == 1
    assert len(await bot_of(env).briefs.history(1)) == 1


async def test_crafted_publish_button_is_refused(world):
    env, channel, alice, bob, carol = world
    preview = await preview_by_form(alice, channel)
    custom_id = buttons(preview.response)["Publish"]

    for outsider in (bob, carol):
        refused = await click_crafted(env, outsider, channel, custom_id)
        assert refused.ephemeral
        assert "Only publishers" in refused.response.content
        forced = await click_crafted(env, outsider, channel, custom_id.replace("publish", "force"))
        assert "Only publishers" in forced.response.content
    assert await count(env) == 0

    await alice.click(preview.response.message, label="Publish")
    assert await count(env) == 1


async def test_another_publishers_draft_is_refused(world):
    env, channel, alice, _, _ = world
    dave = env.guild.add_member(env.create_user("dave"))
    bot_of(env).settings.admin_user_ids.append(dave.id)
    preview = await preview_by_form(alice, channel)

    refused = await click_crafted(env, dave, channel, buttons(preview.response)["Publish"])

    assert "another publisher" in refused.response.content
    assert await count(env) == 0


async def test_crafted_delete_button_is_refused(world):
    env, channel, alice, bob, carol = world
    await publish_by_form(alice, channel)

    for outsider in (bob, carol):
        refused = await click_crafted(env, outsider, channel, "brief:delete:confirm:1")
        assert refused.ephemeral
        assert "Only publishers" in refused.response.content
    assert await count(env) == 1
    assert [e.action for e in await bot_of(env).briefs.history(1)] == ["add"]


async def test_publisher_rights_are_rechecked_on_click(world, settings: Settings):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)
    settings.admin_user_ids.remove(alice.id)

    refused = await alice.click(preview.response.message, label="Publish")

    assert "Only publishers" in refused.response.content
    assert await count(env) == 0


# --- no lost work ---------------------------------------------------------------------------


async def open_edit(actor: Any, channel: Any, brief: str = "1") -> tuple[Any, dict[str, str]]:
    """Open the edit form; return it with its prefilled values."""
    shown = await actor.slash(channel, "brief edit", brief=brief)
    assert shown.modal is not None
    defaults = {
        c["custom_id"]: c.get("value") or ""
        for row in shown.modal["components"]
        for c in row["components"]
    }
    return shown, defaults


def edited(defaults: dict[str, str], old: str, new: str) -> dict[str, str]:
    """The edit form's values with one phrase of the sections changed."""
    values = {name: defaults[custom_id] for name, custom_id in FIELD_IDS.items()}
    values["sections"] = values["sections"].replace(old, new)
    return form(**values)


async def test_a_save_based_on_an_older_version_is_refused_with_a_way_to_reload(world):
    env, channel, alice, _, _ = world
    dave = env.guild.add_member(env.create_user("dave"))
    bot_of(env).settings.admin_user_ids.append(dave.id)
    await publish_by_form(alice, channel, article=ARTICLE)

    alice_form, alice_values = await open_edit(alice, channel)
    dave_form, dave_values = await open_edit(dave, channel)
    dave_preview = await dave.submit_modal(dave_form, edited(dave_values, "ten", "twelve"))
    await dave.click(dave_preview.response.message, label="Save")
    alice_preview = await alice.submit_modal(alice_form, edited(alice_values, "ten", "five"))

    refused = await alice.click(alice_preview.response.message, label="Save")

    assert "Not saved" in refused.response.content
    assert f"changed by <@{dave.id}>" in refused.response.content
    assert "<t:" in refused.response.content
    assert set(buttons(refused.response)) == {"Reload", "Cancel"}
    (attachment,) = refused.response.attachments
    assert "five minutes" in (await attachment.read()).decode()
    stored = await bot_of(env).briefs.get(1)
    assert "twelve minutes" in stored.what_happened
    assert [e.actor_id for e in await bot_of(env).briefs.history(1)] == [alice.id, dave.id]

    reloaded = await alice.click(refused.response.message, label="Reload")
    current = {
        c["custom_id"]: c.get("value") or ""
        for r in reloaded.modal["components"]
        for c in r["components"]
    }
    assert "twelve minutes" in current[FIELD_IDS["sections"]]
    preview = await alice.submit_modal(reloaded, edited(current, "Monday", "Tuesday"))
    assert "changes to brief #1" in preview.response.content
    await alice.click(preview.response.message, label="Save")
    stored = await bot_of(env).briefs.get(1)
    assert "twelve minutes" in stored.what_happened
    assert "Tuesday" in stored.what_happened


async def test_an_edit_by_file_is_refused_too_when_the_brief_changed_meanwhile(world):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel, article=ARTICLE)
    upload = format_brief((await bot_of(env).briefs.get(1)).content()).replace("ten", "nine")
    result = await alice.slash(channel, "brief edit", brief="1", file=("b.md", upload.encode()))
    await bot_of(env).briefs.update(1, parse_brief(SECTIONS), actor_id=None)

    refused = await alice.click(last(result).message, label="Save")

    assert "changed by the command line" in refused.response.content
    assert "nine minutes" in (await refused.response.attachments[0].read()).decode()
    assert "nine" not in (await bot_of(env).briefs.get(1)).what_happened


@pytest.mark.parametrize("when", ["after its 15 minutes", "after a restart"])
async def test_a_form_that_no_longer_lives_is_answered_with_the_text_typed(
    world, restart: Restart, when: str
):
    env, channel, alice, _, _ = world
    shown = await alice.slash(channel, "brief add")
    if when == "after a restart":
        await restart()
    else:
        await env.advance_time(DRAFT_TTL_SECONDS + 1)

    late = await alice.submit_modal(
        shown, form(title="Ferry news", article=ARTICLE, source_url="https://x.test/a")
    )

    assert late.acknowledged
    assert late.ephemeral
    assert "expired" in late.response.content
    assert "nothing was stored" in late.response.content
    assert "/brief add file:" in late.response.content
    assert "https://x.test/a" in late.response.content
    (attachment,) = late.response.attachments
    text = (await attachment.read()).decode()
    assert text.startswith("# Ferry news\n")
    assert ARTICLE in text
    assert parse_brief(text).what_happened.startswith("The harbour ferry")
    assert await count(env) == 0


async def test_an_expired_edit_form_points_to_editing_that_brief(world, restart: Restart):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel, article=ARTICLE)
    shown, values = await open_edit(alice, channel)
    await restart()

    late = await alice.submit_modal(shown, edited(values, "ten", "six"))

    assert "/brief edit brief:1 file:" in late.response.content
    assert "six minutes" in (await late.response.attachments[0].read()).decode()
    assert "six" not in (await bot_of(env).briefs.get(1)).what_happened


async def test_a_live_form_is_answered_once(world):
    env, channel, alice, _, _ = world
    preview = await preview_by_form(alice, channel)
    assert preview.response.embeds
    assert preview.followups == []


@pytest.mark.parametrize(
    ("field", "link", "expected"),
    [
        ("source_url", "https://x.test/" + "a" * 600, 'field "source_url"'),
        ("image_url", "https://x.test/" + "a" * 2100, 'field "image_url"'),
        ("source_url", "https://x.test/a b", "spaces"),
    ],
)
async def test_a_file_with_a_link_discord_refuses_is_refused(world, field, link, expected):
    env, channel, alice, _, _ = world
    brief = {"what_happened": "A thing happened.", field: link}

    result = await alice.slash(channel, "brief add", file=("b.json", json.dumps(brief).encode()))

    assert expected in last(result).content
    assert last(result).components == []
    assert await count(env) == 0


async def test_the_preview_says_which_stored_link_members_will_not_see(world):
    env, channel, alice, _, _ = world
    await publish_by_form(alice, channel, article=ARTICLE)
    long_link = "https://x.test/" + "a" * 600  # stored before the link rule existed
    async with bot_of(env).db.db.transaction() as conn:  # type: ignore[attr-defined]
        await conn.execute("UPDATE briefs SET source_url = ? WHERE id = 1", long_link)
    upload = format_brief((await bot_of(env).briefs.get(1)).content()).replace("ten", "nine")

    result = await alice.slash(channel, "brief edit", brief="1", file=("b.md", upload.encode()))

    message = last(result)
    assert "Left out of what members see" in message.content
    assert "Source button" in message.content
    assert "512" in message.content
    assert message.embeds[0].url == long_link  # an embed's link may be longer than a button's
    await alice.click(message.message, label="Save")
    stored = await bot_of(env).briefs.get(1)
    assert stored.source_url == long_link
    assert "nine minutes" in stored.what_happened
