"""Publishers add and edit briefs from Discord, as they would in the client."""

from __future__ import annotations

import json
from typing import Any

import discord

from bot.brief.drafts import DRAFT_TTL_SECONDS
from bot.brief.parsing import format_brief, parse_brief
from bot.cogs.briefs._form import FIELD_IDS
from storage.models import BriefContent
from storage.publishing import CLI, Announcement, Change, Source, User
from tests.helpers import (
    ARTICLE,
    ROOT,
    SECTIONS,
    Restart,
    Server,
    brief_count,
    buttons,
    click_crafted,
    edited,
    example_bytes,
    form,
    last,
    open_edit,
    posts,
    preview_by_form,
    publish_by_form,
)


async def test_add_by_form_previews_then_publishes(world):
    published: list[Announcement] = []
    await world.env.bot.storage.announcements.subscribe(published.append)

    shown = await world.alice.slash(world.channel, "brief add")
    inputs = [c for row in shown.modal["components"] for c in row["components"]]
    assert len(inputs) == 5
    article_input = next(c for c in inputs if c["custom_id"] == FIELD_IDS["article"])
    assert "/brief add file" in article_input["placeholder"]

    preview = await world.alice.submit_modal(
        shown, form(article=ARTICLE, source_url="https://x.test/a")
    )

    assert preview.ephemeral
    (embed,) = preview.response.embeds
    assert embed.title == "The harbour ferry will run every ten minutes from Monday."
    assert "Preview" in embed.footer.text
    assert embed.url == "https://x.test/a"
    assert set(buttons(preview.response)) == {"Publish", "Edit", "Cancel"}
    assert buttons(preview.response)["Publish"].startswith("brief:draft:publish:")
    assert await brief_count(world.env) == 0

    done = await world.alice.click(preview.response.message, label="Publish")

    assert "Published as brief #1" in done.response.content
    assert done.response.components == []
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.created_by == world.alice.id
    assert stored.body == ARTICLE
    assert stored.source_url == "https://x.test/a"
    assert published == [Announcement(Change.PUBLISHED, 1)]

    latest = await world.bob.slash(world.channel, "brief latest")
    assert latest.response.embeds[0].title == embed.title
    assert "Brief #1" in latest.response.embeds[0].footer.text


async def test_form_title_overrides_and_pasted_title_is_read(world):
    preview = await preview_by_form(world.alice, world.channel, title="Ferry every ten minutes")
    assert preview.response.embeds[0].title == "Ferry every ten minutes"

    pasted = await preview_by_form(
        world.alice, world.channel, sections="# Pasted title\n" + SECTIONS
    )
    assert pasted.response.embeds[0].title == "Pasted title"


async def test_edit_button_reopens_form_and_updates_preview_in_place(world):
    preview = await preview_by_form(world.alice, world.channel, article=ARTICLE)

    reopened = await world.alice.click(preview.response.message, label="Edit")
    defaults = {
        c["custom_id"]: c.get("value")
        for row in reopened.modal["components"]
        for c in row["components"]
    }
    assert "WHAT HAPPENED: The harbour ferry" in defaults[FIELD_IDS["sections"]]
    assert defaults[FIELD_IDS["article"]] == ARTICLE

    changed = SECTIONS.replace("ten minutes", "five minutes")
    revised = await world.alice.submit_modal(reopened, form(sections=changed, article=ARTICLE))
    assert "five minutes" in revised.response.embeds[0].title  # untitled: its first sentence

    await world.alice.click(revised.response.message, label="Publish")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert "five minutes" in stored.what_happened
    assert await brief_count(world.env) == 1


async def test_cancel_stores_nothing(world):
    preview = await preview_by_form(world.alice, world.channel)

    cancelled = await world.alice.click(preview.response.message, label="Cancel")

    assert "nothing was stored" in cancelled.response.content
    assert await brief_count(world.env) == 0


async def test_add_by_file_previews_then_publishes(world):
    data = example_bytes()

    result = await world.alice.slash(world.channel, "brief add", file=("comet.md", data))

    message = last(result)
    assert message.ephemeral
    assert message.embeds[0].title == "A bright comet returns this weekend"
    assert "Preview" in message.embeds[0].footer.text
    assert await brief_count(world.env) == 0

    await world.alice.click(message.message, label="Publish")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.content() == parse_brief(data.decode())
    assert stored.created_by == world.alice.id


async def test_add_by_json_file_keeps_links_and_long_article(world):
    body = "\n\n".join(f"Paragraph {n}. " + "More words here. " * 40 for n in range(20))
    brief = {
        "title": "Long read",
        "what_happened": "A long article arrived.",
        "body": body,
        "source_url": "https://example.com/long",
        "topics": ["long"],
    }

    result = await world.alice.slash(
        world.channel, "brief add", file=("long.json", json.dumps(brief).encode())
    )

    message = last(result)
    assert "pages" in message.content
    await world.alice.click(message.message, label="Publish")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.body == body
    assert stored.source_url == "https://example.com/long"
    assert stored.topics == ["long"]


async def test_draft_too_long_for_the_form_points_to_the_file(world):
    brief = {"what_happened": "A long article arrived.", "body": "Word " * 1_000}
    result = await world.alice.slash(
        world.channel, "brief add", file=("long.json", json.dumps(brief).encode())
    )

    refused = await world.alice.click(last(result).message, label="Edit")

    assert refused.modal is None
    assert "too long for the form" in refused.response.content
    assert "/brief add file:" in refused.response.content
    assert await brief_count(world.env) == 0


async def test_exported_brief_file_is_added_as_a_new_brief(world):
    await publish_by_form(world.alice, world.channel)
    exported = (await world.env.bot.storage.briefs.get(1)).model_dump(mode="json")
    exported["title"] = "Another story"

    result = await world.alice.slash(
        world.channel, "brief add", file=("one.json", json.dumps(exported).encode())
    )
    await world.alice.click(last(result).message, label="Publish")

    stored = await world.env.bot.storage.briefs.get(2)
    assert stored is not None
    assert stored.title == "Another story"
    assert stored.created_by == world.alice.id


async def test_duplicate_warns_and_needs_publish_anyway(world):
    await publish_by_form(world.alice, world.channel)

    preview = await preview_by_form(world.alice, world.channel, sections=SECTIONS.upper())

    assert "Possible duplicate" in preview.response.content
    assert "brief #1" in preview.response.content
    assert set(buttons(preview.response)) == {"Publish anyway", "Edit", "Cancel"}
    await world.alice.click(preview.response.message, label="Publish anyway")
    assert await brief_count(world.env) == 2


async def test_duplicate_published_meanwhile_is_caught_at_publish(world):
    first = await preview_by_form(world.alice, world.channel)
    second = await preview_by_form(world.alice, world.channel)
    await world.alice.click(first.response.message, label="Publish")

    again = await world.alice.click(second.response.message, label="Publish")

    assert "Possible duplicate" in again.response.content
    assert await brief_count(world.env) == 1
    await world.alice.click(again.response.message, label="Publish anyway")
    assert await brief_count(world.env) == 2


async def test_preview_expires(world):
    preview = await preview_by_form(world.alice, world.channel)

    await world.env.advance_time(DRAFT_TTL_SECONDS + 1)
    late = await world.alice.click(preview.response.message, label="Publish")

    assert late.ephemeral
    assert "expired" in late.response.content
    assert "/brief add" in late.response.content
    assert await brief_count(world.env) == 0


async def test_publish_after_restart_says_expired(world, restart: Restart):
    preview = await preview_by_form(world.alice, world.channel)

    await restart()
    late = await world.alice.click(preview.response.message, label="Publish")

    assert late.ephemeral
    assert "expired" in late.response.content
    assert await brief_count(world.env) == 0


async def test_publishing_twice_stores_once(world):
    preview = await preview_by_form(world.alice, world.channel)
    custom_id = buttons(preview.response)["Publish"]
    await world.alice.click(preview.response.message, label="Publish")

    forged = await click_crafted(world.env, world.alice, world.channel, custom_id)

    assert "expired" in forged.response.content
    assert await brief_count(world.env) == 1


async def test_edit_by_form_saves_new_version_and_history_shows_it(world):
    await publish_by_form(
        world.alice, world.channel, article=ARTICLE, source_url="https://x.test/a"
    )

    choices = await world.alice.autocomplete(world.channel, "brief edit", "brief", "ferry")
    assert choices[0]["value"] == "1"

    shown = await world.alice.slash(world.channel, "brief edit", brief="1")
    defaults = {
        c["custom_id"]: c.get("value")
        for row in shown.modal["components"]
        for c in row["components"]
    }
    assert defaults[FIELD_IDS["article"]] == ARTICLE
    assert defaults[FIELD_IDS["source_url"]] == "https://x.test/a"
    assert FIELD_IDS["title"] not in defaults  # a title of its own would lead the sections
    assert defaults[FIELD_IDS["sections"]].startswith("❓WHAT HAPPENED: The harbour ferry")
    assert defaults[FIELD_IDS["note"]] is None

    changed = defaults[FIELD_IDS["sections"]].replace("ten minutes", "five minutes")
    preview = await world.alice.submit_modal(
        shown,
        form(
            sections=changed,
            article=ARTICLE + "\n\nUpdated.",
            source_url="https://x.test/a",
        ),
    )
    assert "changes to brief #1" in preview.response.content
    assert set(buttons(preview.response)) == {"Save", "Edit", "Cancel"}
    assert (await world.env.bot.storage.briefs.get(1)).body == ARTICLE

    saved = await world.alice.click(preview.response.message, label="Save")

    assert "new version of brief #1" in saved.response.content
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert "five minutes" in stored.what_happened
    assert stored.body.endswith("Updated.")
    assert await brief_count(world.env) == 1

    history = await world.alice.slash(world.channel, "brief history", brief="1")
    assert history.ephemeral
    lines = history.response.embeds[0].description.split("\n")
    assert [line.split("**")[1] for line in lines] == ["Added", "Edited"]
    assert all(f"<@{world.alice.id}>" in line and "<t:" in line for line in lines)

    refused = await world.bob.slash(world.channel, "brief history", brief="1")
    assert "Only publishers" in refused.response.content


async def test_edit_keeps_publication_date_and_tags(world):
    content = parse_brief(example_bytes().decode()).model_copy(
        update={"topics": ["space"], "published_at": discord.utils.utcnow().replace(microsecond=0)}
    )
    stored = await world.env.bot.storage.briefs.add(content)

    shown = await world.alice.slash(world.channel, "brief edit", brief=str(stored.id))
    values = {
        c["custom_id"]: c.get("value") or ""
        for row in shown.modal["components"]
        for c in row["components"]
    }
    preview = await world.alice.submit_modal(shown, values)
    await world.alice.click(preview.response.message, label="Save")

    after = await world.env.bot.storage.briefs.get(stored.id)
    assert after is not None
    assert after.topics == ["space"]
    assert after.published_at == content.published_at
    assert after.content() == content


async def test_long_article_is_edited_by_file(world):
    body = "\n\n".join(f"Paragraph {n}. " + ("Many words. " * 50).strip() for n in range(12))
    stored = await world.env.bot.storage.briefs.add(
        BriefContent(title="Long one", what_happened="It is long.", body=body)
    )

    told = await world.alice.slash(world.channel, "brief edit", brief=str(stored.id))

    assert told.modal is None
    assert told.ephemeral
    assert "edit it by file" in told.response.content.lower()
    (attached,) = told.response.attachments
    text = (await attached.read()).decode()
    assert parse_brief(text) == stored.content()

    new_text = text.replace("It is long.", "It is long and edited.")
    result = await world.alice.slash(
        world.channel, "brief edit", brief=str(stored.id), file=("long.md", new_text.encode())
    )
    message = last(result)
    assert "changes to brief" in message.content
    await world.alice.click(message.message, label="Save")
    after = await world.env.bot.storage.briefs.get(stored.id)
    assert after is not None
    assert after.what_happened == "It is long and edited."
    assert after.body == body


async def test_edit_of_missing_brief_is_not_found(world):
    result = await world.alice.slash(world.channel, "brief edit", brief="42")
    assert result.ephemeral
    assert "couldn't find" in result.response.content


async def test_a_save_based_on_an_older_version_is_refused_with_a_way_to_reload(world):
    dave = world.env.guild.add_member(world.env.create_user("dave"))
    world.env.bot.settings.admin_user_ids.append(dave.id)
    await publish_by_form(world.alice, world.channel, article=ARTICLE)

    alice_form, alice_values = await open_edit(world.alice, world.channel)
    dave_form, dave_values = await open_edit(dave, world.channel)
    dave_preview = await dave.submit_modal(dave_form, edited(dave_values, "ten", "twelve"))
    await dave.click(dave_preview.response.message, label="Save")
    alice_preview = await world.alice.submit_modal(alice_form, edited(alice_values, "ten", "five"))

    refused = await world.alice.click(alice_preview.response.message, label="Save")

    assert "Not saved" in refused.response.content
    assert f"changed by <@{dave.id}>" in refused.response.content
    assert "<t:" in refused.response.content
    assert set(buttons(refused.response)) == {"Reload", "Cancel"}
    (attachment,) = refused.response.attachments
    assert "five minutes" in (await attachment.read()).decode()
    stored = await world.env.bot.storage.briefs.get(1)
    assert "twelve minutes" in stored.what_happened
    assert [e.actor_id for e in await world.env.bot.storage.briefs.history(1)] == [
        world.alice.id,
        dave.id,
    ]

    reloaded = await world.alice.click(refused.response.message, label="Reload")
    current = {
        c["custom_id"]: c.get("value") or ""
        for r in reloaded.modal["components"]
        for c in r["components"]
    }
    assert "twelve minutes" in current[FIELD_IDS["sections"]]
    preview = await world.alice.submit_modal(reloaded, edited(current, "Monday", "Tuesday"))
    assert "changes to brief #1" in preview.response.content
    await world.alice.click(preview.response.message, label="Save")
    stored = await world.env.bot.storage.briefs.get(1)
    assert "twelve minutes" in stored.what_happened
    assert "Tuesday" in stored.what_happened


async def test_an_edit_by_file_is_refused_too_when_the_brief_changed_meanwhile(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    upload = format_brief((await world.env.bot.storage.briefs.get(1)).content()).replace(
        "ten", "nine"
    )
    result = await world.alice.slash(
        world.channel, "brief edit", brief="1", file=("b.md", upload.encode())
    )
    await world.env.bot.storage.briefs.update(1, parse_brief(SECTIONS), actor_id=None)

    refused = await world.alice.click(last(result).message, label="Save")

    assert "changed by the command line" in refused.response.content
    assert "nine minutes" in (await refused.response.attachments[0].read()).decode()
    assert "nine" not in (await world.env.bot.storage.briefs.get(1)).what_happened


async def test_the_preview_says_which_stored_link_members_will_not_see(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    long_link = "https://x.test/" + "a" * 600  # stored before the link rule existed
    async with world.env.bot.storage.db.transaction() as conn:  # type: ignore[attr-defined]
        await conn.execute("UPDATE briefs SET source_url = ? WHERE id = 1", long_link)
    upload = format_brief((await world.env.bot.storage.briefs.get(1)).content()).replace(
        "ten", "nine"
    )

    result = await world.alice.slash(
        world.channel, "brief edit", brief="1", file=("b.md", upload.encode())
    )

    message = last(result)
    assert "Left out of what members see" in message.content
    assert "Source button" in message.content
    assert "512" in message.content
    assert message.embeds[0].url == long_link  # an embed's link may be longer than a button's
    await world.alice.click(message.message, label="Save")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored.source_url == long_link
    assert "nine minutes" in stored.what_happened


def correction_field(embed: Any) -> str | None:
    return next((f.value for f in embed.fields if "Correction" in f.name), None)


async def test_a_correction_note_shows_on_the_brief_and_in_history(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    shown, defaults = await open_edit(world.alice, world.channel)
    note = "An earlier version gave the wrong interval."
    values = edited(defaults, "ten minutes", "five minutes")
    values[FIELD_IDS["note"]] = note

    preview = await world.alice.submit_modal(shown, values)
    assert correction_field(preview.response.embeds[0]) == note
    await world.alice.click(preview.response.message, label="Save")

    (embed,) = (await world.bob.slash(world.channel, "brief show", brief="1")).response.embeds
    assert correction_field(embed) == note
    assert "Updated" in embed.footer.text
    history = await world.alice.slash(world.channel, "brief history", brief="1")
    edited_line = history.response.embeds[0].description.split("\n")[-1]
    assert "Edited" in edited_line
    assert note in edited_line


async def test_a_correction_note_comes_with_a_replacement_file(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    text = format_brief(await world.env.bot.storage.briefs.get(1)).replace("ten", "five")
    note = "Corrected the interval."

    preview = await world.alice.slash(
        world.channel, "brief edit", brief="1", file=("b.txt", text.encode()), note=note
    )
    assert correction_field(preview.response.embeds[0]) == note
    await world.alice.click(preview.response.message, label="Save")

    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.correction == note


# --- untitled briefs ------------------------------------------------------------------------


async def test_an_untitled_briefs_correction_corrects_its_title_and_its_posted_copies(world):
    server = Server(world.env)
    await server.subscribe()
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.title == "The harbour ferry will run every ten minutes from Monday."
    assert server.posted_titles() == [stored.title]

    shown, defaults = await open_edit(world.alice, world.channel)
    assert not defaults[FIELD_IDS["sections"]].startswith("#")  # no title line to go stale
    preview = await world.alice.submit_modal(
        shown, edited(defaults, "every ten minutes", "every fifteen minutes")
    )
    await world.alice.click(preview.response.message, label="Save")
    await world.env.settle()

    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.title == "The harbour ferry will run every fifteen minutes from Monday."
    (copy,) = posts(world.env, server.news)
    assert copy.embeds[0].title == stored.title
    assert "ten minutes" not in str(copy.embeds[0].to_dict())
    listed = await world.bob.slash(world.channel, "brief list")
    assert stored.title in listed.response.embeds[0].description


async def test_a_whole_brief_pasted_into_the_form_is_the_brief_its_file_is(world):
    text = (ROOT / "docs" / "examples" / "01-harbor-bike-lanes.txt").read_text("utf-8")
    await publish_by_form(world.alice, world.channel, sections=text)
    by_file = await world.alice.slash(world.channel, "brief add", file=("h.txt", text.encode()))
    await world.alice.click(last(by_file).message, label="Publish anyway")

    pasted, uploaded = [await world.env.bot.storage.briefs.get(n) for n in (1, 2)]
    assert pasted is not None
    assert uploaded is not None
    assert pasted.content() == uploaded.content() == parse_brief(text)
    assert pasted.impact is not None
    assert pasted.impact.startswith("Two car lanes")
    assert "The vote" not in pasted.impact
    assert pasted.body.startswith("The vote")


async def test_history_names_who_changed_a_brief_a_member_or_a_source(world):
    publisher = world.env.bot.storage.publisher
    brief = await publisher.publish(parse_brief(SECTIONS), by=CLI)
    await publisher.correct(brief.id, parse_brief(SECTIONS), by=Source("harbour-feed", "a feed"))
    await publisher.retract(brief.id, by=User(world.alice.id), reason="Wrong harbour.")

    history = await world.alice.slash(world.channel, "brief history", brief=str(brief.id))

    lines = history.response.embeds[0].description.split("\n")
    assert [line.split(" · ")[0] for line in lines] == [
        "**Added** by the command line",
        "**Edited** by a feed",  # a source: the label it acted under
        f"**Deleted** by <@{world.alice.id}>",
    ]


async def test_an_edit_refused_as_stale_names_the_source_that_changed_it(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    upload = format_brief((await world.env.bot.storage.briefs.get(1)).content()).replace(
        "ten", "nine"
    )
    result = await world.alice.slash(
        world.channel, "brief edit", brief="1", file=("b.md", upload.encode())
    )
    feed = Source("harbour-feed", "a feed")
    await world.env.bot.storage.publisher.correct(1, parse_brief(SECTIONS), by=feed)

    refused = await world.alice.click(last(result).message, label="Save")

    assert "changed by harbour-feed" in refused.response.content
