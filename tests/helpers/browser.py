"""Debian's Chromium driven by Selenium, for the tests that look at what the browser computed:
the browser itself, the web app served on a loopback port, waiting for a page, screenshots and axe-core."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are installed by `make test` (make system-deps)",
)


@contextmanager
def chromium(width: int = 1280, height: int = 1700, language: str = "sv") -> Generator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--disable-gpu", f"--lang={language}"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def loopback() -> Generator[tuple[socket.socket, str]]:
    """A socket bound to a free loopback port, and the app's base URL on it. The port is ours from
    the bind on, so no other process can take it between choosing it and serving on it."""
    listening = socket.socket()
    try:
        listening.bind(("127.0.0.1", 0))
        yield listening, f"http://localhost:{int(listening.getsockname()[1])}"
    finally:
        listening.close()


@contextmanager
def serving(app: Any, listening: socket.socket) -> Generator[None]:
    """The ASGI app served by uvicorn on the bound socket in a thread, until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for(driver: Any, text: str) -> None:
    """A click submits a form: wait for the answer page before looking at the store."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> bool:
        try:
            return text in d.find_element("tag name", "body").text
        except WebDriverException as exc:
            # While the old page goes, chromedriver may say so as "Node with given id does not belong to
            # the document" (an inspector error) rather than as a stale element: seen once in CI.
            if "does not belong to the document" in str(exc):
                return False
            raise

    wait = WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,))  # the old page goes
    wait.until(shown)


def shot(driver: Any, name: str) -> None:
    """A full-page screenshot in test-artifacts/web-NAME.png, for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(900, int(height)), 6000))
    path = ARTIFACTS / f"web-{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path} looks empty"


def axe(driver: Any) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the open page (contrast, labels, names, landmarks...)."""
    import axe_selenium_python

    source = Path(axe_selenium_python.__file__).parent / "node_modules/axe-core/axe.min.js"
    driver.execute_script(source.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}).then(r => done(r.violations));"
    )
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})" for v in result]
