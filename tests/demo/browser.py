"""The demo as a person uses it: `python -m bot demo` running, its page open in chromium.

Shared by tests/demo/test_browser.py and scripts/screenshots. The browser is Debian's
`chromium` (`apt-get install chromium`; .ci/run installs it), driven by playwright through
`executable_path`: nothing here downloads a browser build of its own (`playwright install` is
never needed). The page is simcord's preview; every action a person takes there (a slash
command, a click) is answered by the bot's own callbacks, and its receipt says when it settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Where Debian (and most distributions) put chromium; BRIEFBOT_CHROMIUM names another.
CHROMIUM_NAMES = ("chromium", "chromium-browser")
#: A quiet, offline browser: no sandbox (CI runs as root), no GPU, nothing fetched by itself.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
#: Seconds the demo may take to start, and the page to answer an action.
START_TIMEOUT = 60.0
ACTION_TIMEOUT_MS = 20_000

# The preview's status object: `ready` once nothing is pending and the page has rendered;
# `lastAction` is the receipt of the latest action (`settlement` "settled" once the bot is done).
_READY = "() => Boolean(window.simcordPreview && window.simcordPreview.ready)"
_SEQUENCE = "() => (window.simcordPreview.lastAction || {sequence: 0}).sequence"
_SETTLED = """(before) => {
    const status = window.simcordPreview;
    const action = status && status.lastAction;
    return Boolean(status.ready && action && action.sequence > before
        && (action.rejected || action.settlement === "settled"));
}"""
_RECEIPT = "() => window.simcordPreview.lastAction"


def find_chromium() -> str | None:
    """Return the chromium to drive: $BRIEFBOT_CHROMIUM, else the first one on PATH."""
    named = os.environ.get("BRIEFBOT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_browser() -> str | None:
    """Say why no browser test can run here, or None when playwright and chromium are there."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        return "no chromium found (apt-get install chromium, or set BRIEFBOT_CHROMIUM)"
    return None


class ActionFailed(AssertionError):
    """The page refused an action, or the bot's answer never came."""


@dataclass
class DemoProcess:
    """`python -m bot demo` started in its own process, and the address it printed."""

    process: asyncio.subprocess.Process
    url: str

    async def stop(self) -> int:
        """Press Ctrl+C (SIGINT) and return the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.process.wait(), START_TIMEOUT)


@contextlib.asynccontextmanager
async def demo_process(cwd: Path, *args: str) -> AsyncIterator[DemoProcess]:
    """Start the demo (no browser of its own, any free port) and wait for its address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    with (cwd / "demo.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "demo",
            "--no-browser",
            "--port",
            "0",
            *args,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
            prefix = b"briefbot demo: "
            if not line.startswith(prefix):
                raise RuntimeError(f"the demo did not start: {line!r}; see {cwd / 'demo.log'}")
            yield DemoProcess(process, line[len(prefix) :].decode().strip())
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError, TimeoutError):
                    await DemoProcess(process, "").stop()
            if process.returncode is None:
                process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def chromium_page(
    url: str, *, width: int = 900, height: int = 1000, scale: float = 1
) -> AsyncIterator[DemoPage]:
    """Open `url` in headless chromium and wait until the preview has rendered."""
    from playwright.async_api import async_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError(missing_browser() or "no chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            # The preview's page forbids eval; playwright's waits evaluate their predicates.
            context = await browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                bypass_csp=True,
            )
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_function(_READY, timeout=ACTION_TIMEOUT_MS)
            yield DemoPage(page)
        finally:
            await browser.close()


class DemoPage:
    """The visitor's page: run slash commands, click buttons, find the bot's answers."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def message(self, message_id: str) -> Any:
        """The message with this id, as the page shows it."""
        return self.page.locator(f'article.channel-message[data-message-id="{message_id}"]')

    def messages(self, text: str) -> Any:
        """The messages showing this text."""
        return self.page.locator("article.channel-message", has_text=text)

    async def command(self, invocation: str, **options: str | tuple[str, bytes]) -> Any:
        """Type `/invocation` in the composer, fill the options in and send; return the answer.

        An option's value is text, or (file name, bytes) for a file option.
        """
        composer = self.page.locator("#channel-composer")
        box = self.page.locator("#channel-composer-input")
        await box.click()
        await box.fill("")
        await box.type(f"/{invocation}")
        entry = composer.locator(".command-entry", has_text=f"/{invocation}").first
        await entry.wait_for(timeout=ACTION_TIMEOUT_MS)
        await entry.click()
        await composer.locator(".command-chip").wait_for(timeout=ACTION_TIMEOUT_MS)
        for name, value in options.items():
            pill = composer.locator(f'.command-pill[data-option="{name}"]')
            if not await pill.count():
                suggestion = composer.locator(f'.command-suggestion[data-value="{name}"]')
                if not await suggestion.is_visible():
                    await composer.locator(".command-ghost").click()
                await suggestion.click()
            if isinstance(value, tuple):
                file_name, data = value
                await pill.locator("input.command-file-input").set_input_files(
                    {"name": file_name, "mimeType": "text/plain", "buffer": data}
                )
            else:
                await pill.locator("input.command-option-input").fill(value)
        send = self.page.locator("#send-message")
        return await self._act(send.click)

    async def click(self, message: Any, label: str) -> Any:
        """Click a button of `message`; return the message the bot answered with (or edited)."""
        button = message.locator("button.component-button", has_text=label)
        return await self._act(button.first.click)

    async def picture(self, message: Any, path: Path) -> None:
        """Save a PNG of one message, with no button highlighted by the mouse."""
        await self.page.mouse.move(0, 0)
        await message.screenshot(path=path, animations="disabled")

    async def _act(self, act: Callable[[], Awaitable[None]]) -> Any:
        """Do one action; wait until the bot settled it; return the message it ended with."""
        before = await self.page.evaluate(_SEQUENCE)
        await act()
        await self.page.wait_for_function(_SETTLED, arg=before, timeout=ACTION_TIMEOUT_MS)
        receipt = await self.page.evaluate(_RECEIPT)
        if receipt.get("rejected"):
            raise ActionFailed(f"the page refused the action: {receipt}")
        shown = [outcome["messageId"] for outcome in receipt["outcomes"] if "messageId" in outcome]
        if not shown:
            raise ActionFailed(f"the bot showed nothing: {receipt}")
        answer = self.message(shown[-1])
        await answer.wait_for(timeout=ACTION_TIMEOUT_MS)
        return answer
