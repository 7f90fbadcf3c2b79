"""Browser tests (docs/design.md: Web pages): Debian's Chromium driven by Playwright against the service
served by waitress on a free loopback port, with the sample campaign (`thidua demo`).

Chromium is `/usr/bin/chromium` (or THIDUA_CHROMIUM); `.ci/run` installs it. Without it
the tests skip, or fail when THIDUA_REQUIRE_SERVICES=1. Screenshots land in
`test-artifacts/` at the repository root, to be looked at.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("THIDUA_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "browser-tests-secret-0123456789"
# The sample's delegate list is due 2025-04-20 17:00; the browser tests live before that.
NOW = "2025-04-12T09:00:00+07:00"
ORGANISER = ("bantochuc", "Mat-khau-thu-nghiem-2025")


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample campaign after `thidua demo` (made once; tests work on copies)."""
    from sync.demo import run_demo

    directory = tmp_path_factory.mktemp("sample") / "laichau"
    run_demo(directory, say=lambda _line: None)
    return directory


@pytest.fixture
def campaign_dir(sample_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sample campaign with an organiser account."""
    from sync.audit import campaign_url, open_engine
    from sync.campaign import load_campaign
    from sync.users import add_user

    target = tmp_path / "laichau"
    shutil.copytree(sample_dir, target)
    campaign = load_campaign(target / "campaign.yaml")
    engine = open_engine(campaign_url(campaign, None))
    add_user(engine, campaign.id, *ORGANISER, name="Ban Tổ chức")
    engine.dispose()
    return target


@pytest.fixture
def pinned_clock() -> Iterator[str]:
    """The service's "now" pinned inside the sample campaign's collection window."""
    from sync import clock

    clock.pin(NOW)
    yield NOW
    clock.pin(None)


@dataclass
class LiveServer:
    """The service on a loopback port, served by waitress in a thread."""

    app: Any
    url: str
    server: Any
    thread: threading.Thread
    campaign_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def service(self) -> Any:
        return self.app.extensions["thidua"]

    def stop(self) -> None:
        self.server.task_dispatcher.shutdown()
        # Closing every channel (listening socket, wake-up pipe, connections) empties the
        # asyncore map, which ends `server.run()`. It must happen inside the server's own
        # thread: closing a socket that thread is polling makes its select() fail with EBADF.
        self.server.trigger.pull_trigger(self._close_channels)
        self.thread.join(timeout=10)
        self.service.close()

    def _close_channels(self) -> None:
        for channel in list(self.server._map.values()):
            channel.close()


@pytest.fixture
def live_server(campaign_dir: Path, pinned_clock: str) -> Iterator[LiveServer]:
    """The service for `campaign_dir`, embedded worker running, cookies over plain HTTP."""
    import waitress

    from webhooks import create_app

    app = create_app(
        {
            "CAMPAIGN": str(campaign_dir / "campaign.yaml"),
            "SECRET": SECRET,
            "DATABASE_URL": None,
            "REDIS_URL": None,
            "COOKIE_SECURE": False,
            "DEBOUNCE_SECONDS": 0.2,
            "CONSOLIDATE_DEBOUNCE_SECONDS": 0.5,
            "RATE_PER_MINUTE": 1000.0,
        }
    )
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=6)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(
        app=app,
        url=f"http://127.0.0.1:{server.effective_port}",
        server=server,
        thread=thread,
        campaign_dir=campaign_dir,
    )
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        require_service("Chromium", f"{CHROMIUM} missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
    except Exception as exc:
        pw.stop()
        require_service("Chromium", f"{CHROMIUM} does not start: {exc}")
    yield instance
    instance.close()
    pw.stop()


@dataclass
class Console:
    """Messages the page printed: errors (and CSP violations) fail a test."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture
def console() -> Console:
    return Console()


def _context(browser: Any, console: Console, **options: Any) -> Any:
    ctx = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
        **{"viewport": {"width": 1280, "height": 900}, **options},
    )
    ctx.set_default_timeout(20_000)

    def on_console(msg: Any) -> None:
        # an HTTP error status the test expects (401 on a wrong password) is not a bug
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            console.errors.append(msg.text)

    def watch(page: Any) -> None:
        page.on("console", on_console)
        page.on("pageerror", lambda exc: console.errors.append(str(exc)))

    ctx.on("page", watch)
    return ctx


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A laptop-size page (1366×768, the organisers' usual screen)."""
    ctx = _context(browser, console, viewport={"width": 1366, "height": 768})
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def phone(browser: Any, console: Console) -> Iterator[Any]:
    """A phone-size page (390×844, touch)."""
    ctx = _context(
        browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield ctx.new_page()
    ctx.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, live: LiveServer, user: tuple[str, str] = ORGANISER) -> None:
    """Sign in through the login form."""
    page.goto(live.url + "/login")
    page.get_by_label("Tên đăng nhập").fill(user[0])
    page.get_by_label("Mật khẩu").fill(user[1])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/dashboard**")


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations of the page (id: help, nodes)."""
    if not AXE.exists():
        require_service("axe-core", f"{AXE} missing (npm ci)")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [json.dumps(v, ensure_ascii=False) for v in result if v["impact"] in impacts]


def no_sideways_scroll(page: Any) -> bool:
    """The page fits the screen width (tables may scroll inside their own box)."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


LoginFn = Callable[[Any, LiveServer], None]
