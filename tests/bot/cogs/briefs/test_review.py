"""Review before publishing, as a newsroom uses it: contributors write, editors approve from a
card that follows the draft; a draft leaks through no member surface, a contributor publishes
by no path, two editors approving at once publish once, and a restart keeps it all working."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import simcord

from bot.app import BriefBot
from bot.cogs.briefs._review import NOTE_INPUT
from bot.config import Settings
from storage.models import BriefContent
from storage.publishing import User
from tests.helpers import Server, click_crafted, edited, form, form_values, woken

from .test_scheduling import SECRET, nothing_leaks, said


@pytest.fixture
def desk(simcord_env: simcord.Env, settings: Settings) -> Desk:
    return Desk(simcord_env, settings)


SECTIONS = (
    "🏷️TOPICS: airships\n"
    f"❓WHAT HAPPENED: A {SECRET.lower()} will land in the harbour at dawn.\n"
    "🎯IMPACT: The quay closes for the morning."
)


class Desk:
    """A newsroom: a publisher (alice), a member (bob), a contributor (dave), #news and a
    #review channel for the cards."""

    def __init__(self, env: simcord.Env, settings: Settings) -> None:
        self.env = env
        guild = env.create_guild(name="Newsroom")
        self.channel = guild.create_text_channel("news")
        self.review = guild.create_text_channel("review")
        self.alice = guild.add_member(env.create_user("alice"))
        self.bob = guild.add_member(env.create_user("bob"))
        self.dave = guild.add_member(env.create_user("dave"))
        settings.admin_user_ids.append(self.alice.id)
        settings.contributor_user_ids.append(self.dave.id)
        settings.review_channel_id = self.review.id
        self.world = self

    async def submit(self) -> Any:
        """Dave writes a brief in the form and submits it; return the answer."""
        shown = await self.dave.slash(self.world.channel, "brief add")
        assert shown.modal is not None
        preview = await self.dave.submit_modal(
            shown, form(title=f"{SECRET} lands in the harbour", sections=SECTIONS)
        )
        assert "An editor reviews it" in preview.response.content
        done = await self.dave.click(preview.response.message, label="Submit for review")
        await self.settled()
        return done

    async def settled(self) -> None:
        await woken(self.env)
        tasks = [t for t in asyncio.all_tasks() if t.get_name() == "review cards" and not t.done()]
        await asyncio.gather(*tasks)
        await self.env.settle()

    def cards(self) -> list[Any]:
        return [m for m in self.review.history() if m.author.id == self.env.bot.user.id]  # type: ignore[union-attr]


async def test_a_contributors_draft_is_approved_from_its_card_and_then_posted(
    simcord_env: simcord.Env, desk: Desk
) -> None:
    env = simcord_env
    server = Server(env)
    await server.subscribe()
    world = desk

    done = await desk.submit()
    assert "Submitted draft #1 for review" in done.response.content
    await nothing_leaks(env, world.bob, world.channel, 1)
    assert server.posted_titles() == []
    [card] = desk.cards()
    assert "Waiting for review" in card.content
    assert f"<@{desk.dave.id}>" in card.content
    assert card.embeds[0].title == f"{SECRET} lands in the harbour"

    mine = await desk.dave.slash(world.channel, "brief drafts")
    assert "waiting for review" in said(mine)
    shown = await world.alice.slash(world.channel, "brief show", brief="1")
    assert shown.ephemeral  # an editor's look at a draft is theirs alone
    assert "A draft in review" in shown.response.content

    editing = await world.alice.click(card, label="Edit")  # the editor changes it first
    assert editing.modal is not None
    values = edited(form_values(editing.modal), "at dawn", "at noon")
    preview = await world.alice.submit_modal(editing, values)
    saved = await world.alice.click(preview.response.message, label="Save")
    assert "stays in review" in saved.response.content
    await desk.settled()
    [card] = desk.cards()
    assert "at noon" in card.embeds[0].description
    assert "Waiting for review" in card.content
    approved = await world.alice.click(card, label="Approve")
    assert "Approved brief #1" in approved.response.content
    await desk.settled()
    [card] = desk.cards()
    assert "Approved" in card.content
    assert not card.components  # over: no more buttons
    assert server.posted_titles() == [f"{SECRET} lands in the harbour"]
    latest = await world.bob.slash(world.channel, "brief latest")
    assert SECRET in said(latest)
    history = await world.alice.slash(world.channel, "brief history", brief="1")
    assert "**Submitted for review**" in said(history)
    assert "**Approved**" in said(history)


async def test_a_contributor_publishes_by_no_path(simcord_env: simcord.Env, desk: Desk) -> None:
    env = simcord_env
    world = desk
    published = await env.bot.storage.publisher.publish(
        BriefContent(title="Already out", what_happened="It is out."),
        by=User(world.alice.id),
    )
    shown = await desk.dave.slash(world.channel, "brief add")
    preview = await desk.dave.submit_modal(shown, form(sections=SECTIONS))
    token = next(
        c["custom_id"].rsplit(":", 1)[1]
        for row in preview.response.components
        for c in row["components"]
        if c.get("custom_id", "").startswith("brief:draft:")
    )
    forged = await click_crafted(env, desk.dave, world.channel, f"brief:draft:force:{token}")
    assert "Submitted draft" in forged.response.content  # a forged Publish still submits
    await desk.settled()
    assert await env.bot.storage.briefs.count() == 1  # only the publisher's brief
    edit = await desk.dave.slash(world.channel, "brief edit", brief=str(published.id))
    assert edit.ephemeral
    assert "own drafts" in edit.response.content
    delete = await desk.dave.slash(world.channel, "brief delete", brief=str(published.id))
    assert delete.ephemeral
    draft_id = published.id + 1
    approve = await click_crafted(env, desk.dave, world.channel, f"brief:review:approve:{draft_id}")
    assert approve.response.content
    assert "publisher" in approve.response.content.lower()
    assert await env.bot.storage.briefs.get(draft_id) is None


async def test_changes_requested_revised_resubmitted_then_rejected(
    simcord_env: simcord.Env, desk: Desk
) -> None:
    env = simcord_env
    world = desk
    await desk.submit()
    [card] = desk.cards()
    asked = await world.alice.click(card, label="Request changes")
    assert asked.modal is not None
    await world.alice.submit_modal(asked, {NOTE_INPUT: "Name the pilot."})
    await desk.settled()
    [card] = desk.cards()
    assert "Changes requested" in card.content
    assert "Name the pilot." in card.content
    mine = await desk.dave.slash(world.channel, "brief drafts")
    assert "Name the pilot." in said(mine)

    opened = await desk.dave.slash(world.channel, "brief edit", brief="1")
    assert opened.modal is not None
    values = edited(form_values(opened.modal), "at dawn", "at dawn, piloted by Ada")
    preview = await desk.dave.submit_modal(opened, values)
    resent = await desk.dave.click(preview.response.message, label="Resubmit")
    assert "Resubmitted draft #1" in resent.response.content
    await desk.settled()
    [card] = desk.cards()
    assert "Waiting for review" in card.content

    rejecting = await world.alice.click(card, label="Reject")
    await world.alice.submit_modal(rejecting, {NOTE_INPUT: "Not news."})
    await desk.settled()
    [card] = desk.cards()
    assert "Rejected" in card.content
    assert "Not news." in card.content
    assert await env.bot.storage.briefs.get(1, held=True) is None
    await nothing_leaks(env, world.bob, world.channel, 1)
    history = said(await world.alice.slash(world.channel, "brief history", brief="1"))
    for step in ("Submitted for review", "Changes requested", "Edited", "Rejected"):
        assert f"**{step}**" in history


async def test_a_restart_keeps_drafts_and_their_cards_working(
    simcord_env: simcord.Env, desk: Desk, settings: Settings, restart: Any
) -> None:
    world = desk
    await desk.submit()
    [card] = desk.cards()
    bot: BriefBot = await restart()
    assert [b.id for b in await bot.storage.briefs.drafts()] == [1]
    mine = await desk.dave.slash(world.channel, "brief drafts")
    assert "waiting for review" in said(mine)
    shown = await world.alice.slash(world.channel, "brief show", brief="1")
    assert shown.ephemeral  # an editor's look at a draft is theirs alone
    assert "A draft in review" in shown.response.content

    editing = await world.alice.click(card, label="Edit")  # the editor changes it first
    assert editing.modal is not None
    values = edited(form_values(editing.modal), "at dawn", "at noon")
    preview = await world.alice.submit_modal(editing, values)
    saved = await world.alice.click(preview.response.message, label="Save")
    assert "stays in review" in saved.response.content
    await desk.settled()
    [card] = desk.cards()
    assert "at noon" in card.embeds[0].description
    assert "Waiting for review" in card.content
    approved = await world.alice.click(card, label="Approve")
    assert "Approved brief #1" in approved.response.content
    await desk.settled()
    assert await bot.storage.briefs.get(1) is not None


async def test_the_four_eyes_rule_stops_an_editor_approving_their_own_brief(
    simcord_env: simcord.Env, desk: Desk, settings: Settings
) -> None:
    env = simcord_env
    world = desk
    await desk.submit()
    settings.review_four_eyes = True
    settings.admin_user_ids.append(desk.dave.id)  # dave became an editor since
    [card] = desk.cards()
    own = await desk.dave.click(card, label="Approve")
    assert "another editor" in own.response.content
    assert await env.bot.storage.briefs.get(1) is None
    other = await world.alice.click(card, label="Approve")
    assert "Approved" in other.response.content


async def test_an_editor_deleting_a_draft_rejects_it_and_its_card_says_so(
    simcord_env: simcord.Env, desk: Desk
) -> None:
    await desk.submit()
    asked = await desk.alice.slash(desk.channel, "brief delete", brief="1", reason="Duplicate.")
    assert "Reject draft #1" in asked.response.content
    done = await desk.alice.click(asked.response.message, label="Delete")
    assert "Rejected draft #1" in done.response.content
    await desk.settled()
    [card] = desk.cards()
    assert "Rejected" in card.content
    assert "Duplicate." in card.content
    assert not card.components
    assert await simcord_env.bot.storage.briefs.retraction(1) is None
