"""The local runner, started as a user starts it, shared by the end-to-end modules."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from odwolaj_local.aws import free_port

REPO = Path(__file__).resolve().parents[2]


class Forms(HTMLParser):
    """Each <form>'s fields with a value (hidden inputs, checked or first radio choices)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and attrs.get("name"):
            if attrs.get("type") == "hidden" or (attrs.get("type") == "radio" and attrs["name"] not in self.forms[-1]):
                self.forms[-1][attrs["name"]] = attrs.get("value", "")


def start_runner(local_dir: Path):
    """The runner started as a user starts it (`python -m odwolaj_local.runner`) on a free port,
    its .local files in `local_dir`; yields its base URL, directory and process, then stops it."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "ODWOLAJ_LOCAL_DIR": str(local_dir)}
    env.pop("ODWOLAJ_CLOCK_OFFSET_SECONDS", None)
    # Its output goes to a file: a pipe nobody reads fills up (a line per request) and then blocks
    # the runner's every log call, requests and shutdown included.
    output = local_dir / "runner.log"
    with output.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "odwolaj_local.runner"], cwd=REPO, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded 2-core machine can take a minute to import and seed
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # refused, or bound but not serving yet
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"runner did not come up:\n{output.read_text()}")
        time.sleep(0.2)
    yield {"base": base, "local_dir": local_dir, "process": process}
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # busy pollers finish their batch first (issue 12 makes stopping prompt)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """Given the runner started as a subprocess on a free port, its .local files in a temp dir."""
    yield from start_runner(tmp_path_factory.mktemp("local"))


@pytest.fixture
def fresh_runner(tmp_path_factory):
    """Given a runner of its own (a fresh demo and clock), for a test that changes both."""
    yield from start_runner(tmp_path_factory.mktemp("local"))


# Moving the clock runs every sweep that falls due on the way (days of them in a long jump), which
# takes minutes on a loaded 2-core machine: the wait is generous, and a hung runner still fails.
CLOCK_MOVE_TIMEOUT = 600


def runner_now(runner) -> datetime:
    return datetime.fromisoformat(requests.get(f"{runner['base']}/dev/clock", params={"format": "json"},
                                               timeout=10).json()["now"])


def move_clock(runner, **amount) -> dict:
    """POST /dev/clock with `advance_minutes`, `advance_hours` or `to_hour`; its JSON answer."""
    moved = requests.post(f"{runner['base']}/dev/clock", json=amount, timeout=CLOCK_MOVE_TIMEOUT)
    assert moved.status_code == 200, moved.text
    return moved.json()


def demo(runner) -> dict:
    return json.loads((runner["local_dir"] / "demo.json").read_text(encoding="utf-8"))
