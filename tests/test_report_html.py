"""The HTML report in a real headless Chromium: renders, logs no error, fetches nothing.

Chromium is driven over the DevTools protocol on `--remote-debugging-pipe` (file descriptors
3 and 4, NUL-separated JSON), so no extra Python package and no TCP port are needed. Every
console message, uncaught exception, log entry, request and JavaScript dialog of the page is
recorded; a page that tried to run the `<script>alert(1)</script>` found in an answer, or to
load the `<img>` in another, would show up here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_report import XSS, make_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)


class Browser:
    """Minimal CDP client over --remote-debugging-pipe: send commands, collect every event."""

    def __init__(self, profile: Path):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Move the child's ends above 10 so dup2 onto 3 and 4 cannot clobber one another.
        hi_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,
            close_fds=False,
        )
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, timeout: float) -> dict | None:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from_child], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = self._read(deadline - time.monotonic())
            if reply is None:
                break
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        seen = next((e for e in self.events if e.get("method") == method), None)
        deadline = time.monotonic() + timeout
        while seen is None and time.monotonic() < deadline:
            event = self._read(deadline - time.monotonic())
            if event is None:
                break
            self.events.append(event)
            if event.get("method") == method:
                seen = event
        if seen is None:
            raise TimeoutError(method)
        return seen

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    """Open report.html, let it settle, and return (browser events, page facts)."""
    tmp = tmp_path_factory.mktemp("html")
    run = make_run(tmp)
    from harness.cli import main

    assert main(["report", str(run), "--format", "html", "--quiet"]) == 0
    url = (run / "report.html").resolve().as_uri()
    browser = Browser(tmp / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.events.clear()  # only what the report page itself does
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired")
        time.sleep(1.0)  # give a late script, image or timer the chance to misbehave
        facts = browser.send(
            "Runtime.evaluate",
            {
                "expression": "JSON.stringify({text: document.body.innerText, "
                "scripts: document.scripts.length, imgs: document.images.length, "
                "svgs: document.querySelectorAll('svg').length, "
                "width: document.documentElement.scrollWidth, title: document.title})",
                "returnByValue": True,
            },
            session=session,
        )
        page = json.loads(facts["result"]["value"])
        events = list(browser.events)
    finally:
        browser.close()
    return url, events, page


def test_renders_without_console_errors(loaded) -> None:
    _url, events, page = loaded
    errors = [
        e
        for e in events
        if e.get("method") == "Runtime.exceptionThrown"
        or (
            e.get("method") == "Runtime.consoleAPICalled"
            and e["params"].get("type") in ("error", "assert", "warning")
        )
        or (
            e.get("method") == "Log.entryAdded"
            and e["params"]["entry"].get("level") in ("error", "warning")
        )
    ]
    assert errors == []
    assert page["title"].startswith("fingerprint report")
    assert page["svgs"] >= 3  # heatmap, effects, family forest, map
    assert "Verdicts" in page["text"] and "distilled" in page["text"]
    assert page["width"] <= 1400  # readable on a laptop: no page-wide horizontal scroll


def test_makes_no_network_request(loaded) -> None:
    url, events, _page = loaded
    requested = {
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    }
    assert requested == {url}


def test_answer_markup_shows_as_text(loaded) -> None:
    _url, events, page = loaded
    assert XSS in page["text"]
    assert page["scripts"] == 0 and page["imgs"] == 0
    assert not [e for e in events if e.get("method") == "Page.javascriptDialogOpening"]
