"""The README's first command, as a person uses it: the demo's page in a real browser.

`python -m bot demo` runs in its own process; Debian's chromium opens the address it prints,
runs `/brief latest` from the composer, clicks More and reads the article. Skipped (with the
reason) where no chromium is installed, unless BRIEFBOT_REQUIRE_BROWSER=1 (CI) fails it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.demo.browser import chromium_page, demo_process, missing_browser


@pytest.fixture
def browser() -> None:
    """Skip (or, when the browser is required, fail) where chromium or playwright is missing."""
    missing = missing_browser()
    if missing is None:
        return
    if os.environ.get("BRIEFBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BRIEFBOT_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    pytest.skip(missing)


@pytest.mark.usefixtures("browser")
async def test_latest_then_more_shows_the_article_in_chromium(tmp_path: Path) -> None:
    async with demo_process(tmp_path) as demo:
        assert demo.url.startswith("http://127.0.0.1:")
        async with chromium_page(demo.url) as page:
            summary = await page.command("brief latest")
            assert "A bright comet returns this weekend" in await summary.inner_text()

            article = await page.click(summary, "More")
            text = await article.inner_text()
            assert "The comet brightened much faster than models predicted" in text
            assert "Only you can see this" in text

            # An ordinary answer settles like any other: the page flags no failure.
            nothing = await page.command("brief search", query="zebra")
            assert "No briefs match “zebra”" in await nothing.inner_text()
        assert await demo.stop() == 0
