"""End-to-end fixtures: a real `extender` server on a free loopback port, seeded with the demo
world, and headless Chromium from Debian's packages driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("EXTENDER_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"EXTENDER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def e2e_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_database(e2e_home: Path) -> str:
    return f"sqlite:///{e2e_home / 'e2e.db'}"


CLI = [sys.executable, "-m", "extender.cli"]


def server_env(home: Path, database: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "EXTENDER_VAR_DIR": str(home / "var"),
        "EXTENDER_DATABASE_URL": database,
        "EXTENDER_LOGIN_MAX_FAILURES_PER_ACCOUNT": "3",
        "EXTENDER_BASE_URL": f"http://127.0.0.1:{port}",
    }


SERVER_START_SECONDS = 120


def start_server(home: Path, database: str, port: int) -> subprocess.Popen[bytes]:
    """Start `extender serve` and wait until /healthz answers."""
    log = (home / f"server-{port}.log").open("a")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=server_env(home, database, port),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # A deadline, not a count of tries: on a loaded 2-core machine importing the app alone
    # can take longer than 15 s, and a server that has exited is reported at once.
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    state = "exited" if server.poll() is not None else "did not answer /healthz"
    server.kill()
    raise RuntimeError(
        f"server {state} within {SERVER_START_SECONDS} s; see {home}/server-{port}.log"
    )


@pytest.fixture(scope="session")
def e2e_port() -> int:
    """The shared server's port, chosen before seeding: the demo signs credentials for the
    address it will be served at (its did:web issuer)."""
    return free_port()


@pytest.fixture(scope="session")
def seeded(e2e_home: Path, e2e_database: str, e2e_port: int) -> None:
    subprocess.run(
        [*CLI, "demo", "--no-serve"],
        env=server_env(e2e_home, e2e_database, e2e_port),
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def live_server(e2e_home: Path, e2e_database: str, e2e_port: int, seeded: None) -> Iterator[str]:
    port = e2e_port
    server = start_server(e2e_home, e2e_database, port)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def sign_in(page: Any, email: str, password: str = "extender-demo") -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
