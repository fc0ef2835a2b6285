"""A live server (uvicorn on a free loopback port) over the demo ledger, and headless Debian Chromium
driven by Playwright."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def screenshot_dir() -> Path:
    """Where the browser tests leave their screenshots: $ARCOLLECT_SCREENSHOT_DIR, else the gitignored
    build/e2e-screenshots. Never docs/: the README's images change only through `make screenshots`."""
    folder = Path(os.environ.get("ARCOLLECT_SCREENSHOT_DIR") or REPO / "build" / "e2e-screenshots").resolve()
    if folder == DOCS or DOCS in folder.parents:
        raise RuntimeError(f"{folder}: the tests' screenshots must not go under docs/ (use `make screenshots`)")
    return folder


def _docs_images() -> dict[str, str]:
    return {str(p.relative_to(DOCS)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(DOCS.rglob("*.png"))}


@pytest.fixture(scope="session", autouse=True)
def _docs_stay_untouched() -> Iterator[None]:
    """A browser run leaves a clean clone clean: no image under docs/ is written."""
    before = _docs_images()
    yield
    assert _docs_images() == before, "a browser test changed images under docs/"


class Live:
    def __init__(self, served, base_url: str, backend: str) -> None:  # noqa: ANN001
        self.served = served
        self.base_url = base_url
        self.backend = backend


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(served, request) -> Iterator[Live]:  # noqa: ANN001
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(served.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield Live(served, f"http://127.0.0.1:{port}", request.node.callspec.params["db_url"])
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs the Debian chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live, tmp_path):  # noqa: ANN001, ANN201
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1360, "height": 900},
                                   accept_downloads=True, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shoot(page, live: Live, name: str) -> None:  # noqa: ANN001
    """Screenshot of the whole page into screenshot_dir()/<backend>/NAME.png (a broken page fails on both
    databases; the README's images are refreshed by `make screenshots`, not by the tests)."""
    target = screenshot_dir() / live.backend
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{name}.png.tmp"
    page.screenshot(path=str(tmp), full_page=True, type="png")
    tmp.replace(target / f"{name}.png")
