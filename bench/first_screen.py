"""Where the patient's main buttons stand on a 360×740 phone, before and after: starts the local
runner of a baseline checkout (default /work/main) and of this one, walks the same patient pages
in each in Debian's chromium, and prints each main button's top and bottom (px from the top of the
page), whether it lies on the first screen, the gap between opposite actions, and what cancelling
a visit takes (scrolling and taps). docs/benchmarks.md quotes it.

    python bench/first_screen.py [--baseline /work/main] [--tree .] [--shots DIR]

Each checkout needs its own `.venv` (`make install`). The walk moves a runner's clock to 8:00
Warsaw time when it is outside offer hours, so it gives the same pages at any hour.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright

PHONE = {"width": 360, "height": 740}
WARSAW = ZoneInfo("Europe/Warsaw")
CHROMIUM = "/usr/bin/chromium"
WAITING_PHONE = "+48500000011"  # the demo waiting list's first patient
# state -> (main buttons by accessible-name pattern, the pair of opposite actions among them)
MAIN: dict[str, tuple[tuple[str, ...], tuple[str, str] | None]] = {
    "visit (open)": (("Potwierdzam", "^Odwołuję wizytę"), ("Potwierdzam", "^Odwołuję wizytę")),
    "cancellation step": (("^Tak, odwołuję wizytę",), None),
    "visit awaiting payment": (("^Zapłać",), None),
    "lookup": (("^Pokaż wizytę",), None),
    "lookup after an error": (("^Pokaż wizytę",), None),
    "offer": (("^Tak, biorę", "^Nie, dziękuję"), ("^Tak, biorę", "^Nie, dziękuję")),
    "offer taken, prepayment": (("^Zapłać",), None),
    "payment stand-in": (("^Zapłać / Pay",), None),
}


class Runner:
    """One checkout's local runner on a free port with its own state directory."""

    def __init__(self, tree: Path):
        self.tree, self.state = tree, Path(tempfile.mkdtemp(prefix="odwolaj-first-screen-"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = open(self.state / "runner.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(tree / ".venv/bin/python"), "-m", "odwolaj_local.runner"], cwd=tree, stdout=self.log,
            stderr=subprocess.STDOUT, env={**os.environ, "PORT": str(self.port), "ODWOLAJ_LOCAL_DIR": str(self.state)})
        deadline = time.monotonic() + 120
        while not (self.state / "demo.json").exists() or not self._up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the runner of {tree} did not start; see {self.state / 'runner.log'}")
            time.sleep(0.5)
        self.demo = json.loads((self.state / "demo.json").read_text())
        self.base = self.demo["base_url"]

    def _up(self) -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status == 200
        except OSError:
            return False

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.demo['api_key']}", "Content-Type": "application/json",
                     "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")

    def sms_to(self, phone: str, fragment: str, timeout: float = 30) -> str:
        """The newest SMS to `phone` containing `fragment`, as /dev/phone shows it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            html = urllib.request.urlopen(self.base + "/dev/phone", timeout=10).read().decode()
            for row in re.findall(r"<tr class=out>(.*?)</tr>", html, re.S):
                if phone in row and fragment in row:
                    return re.sub(r"<[^>]+>", "", row)
            time.sleep(0.5)
        raise RuntimeError(f"no SMS with {fragment!r} to {phone}")

    def to_offer_hours(self) -> None:
        now = datetime.fromisoformat(self.call("GET", "/dev/clock?format=json")["now"]).astimezone(WARSAW)
        if not 8 <= now.hour < 20:
            morning = (now if now.hour < 8 else now + timedelta(days=1)).replace(hour=8, minute=1)
            self.call("POST", "/dev/clock", {"advance_minutes": int((morning - now).total_seconds() // 60) + 1})

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def controls(page: Page) -> list[tuple[str, int, int]]:
    """Every button and button-looking link: name, top, bottom (page px)."""
    return [tuple(c) for c in page.evaluate("""() => [...document.querySelectorAll(
        'button, a.button, input[type=submit]')].filter(e => e.offsetParent !== null).map(e => {
        const r = e.getBoundingClientRect();
        return [e.innerText.trim().replace(/\\s+/g, ' '), Math.round(r.top + scrollY), Math.round(r.bottom + scrollY)];
    })""")]


def walk(runner: Runner, browser, shots: Path | None) -> dict[str, dict]:
    """Every patient page state a demo reaches; per state the controls, page height and first lines."""
    page = browser.new_page(viewport=PHONE, locale="pl-PL")
    seen: dict[str, dict] = {}

    def record(state: str, url: str | None = None) -> None:
        if url:
            page.goto(url)
        if shots:
            page.screenshot(path=str(shots / (re.sub(r"\W+", "-", state) + ".png")), full_page=True)
        seen[state] = {"controls": controls(page), "height": page.evaluate("document.documentElement.scrollHeight"),
                       "h1": page.evaluate("(document.querySelector('h1') || document.body).innerText.split('\\n')[0]")}

    visits = runner.demo["appointments"]
    record("visit (open)", visits[1]["cancel_link"])
    record("lookup", runner.base + "/c")
    page.fill("#code", "ABCD2345")
    page.fill("#phone", "600 100 201")
    page.locator("form button").click()
    record("lookup after an error")
    record("unknown address", runner.base + "/nie-ma-takiej-strony")
    record("link with a capital C", visits[2]["cancel_link"].replace("/c/", "/C/"))

    # A first visit must be prepaid, so the offer of DEMO-1's slot is pay-to-claim (state is thrown away).
    runner.call("PUT", "/api/v1/payment-rules", {**runner.call("GET", "/api/v1/payment-rules"),
                                                 "first_visit_mandatory": True})
    # Cancel DEMO-1 as a patient would: the taps and the scrolling it takes.
    page.goto(visits[0]["cancel_link"])
    taps, scroll = 0, 0
    for name in ("Odwołuję wizytę", "Tak, odwołuję wizytę"):
        button = page.get_by_role("button", name=name, exact=True)
        if not button.count():
            continue
        if name.startswith("Tak"):
            record("cancellation step")
        bottom = next(b for n, _, b in controls(page) if n == name)
        scroll += max(0, bottom - PHONE["height"])
        button.click()
        taps += 1
    record("visit cancelled")
    seen["visit cancelled"]["to cancel"] = (taps, scroll)

    start = (datetime.now(timezone.utc) + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    booked = runner.call("PUT", "/api/v1/appointments/BENCH-PAY", {
        "patient": {"id": "P-BENCH", "phone": "500 000 099"}, "starts_at": start.isoformat(),
        "service": "Poradnia kardiologiczna", "specialist": runner.demo.get("prepaid_specialist", "dr Jan Kowalski")})
    record("visit awaiting payment", booked["cancel_link"])
    pay = re.search(r"http://\S+/p/[\w-]+", runner.sms_to("+48500000099", "/p/")).group(0)
    record("payment stand-in", pay)

    runner.to_offer_hours()
    offer = re.search(r"http://\S+/o/[\w-]+", runner.sms_to(WAITING_PHONE, "/o/", 60)).group(0)
    record("offer", offer)
    page.get_by_role("button", name=re.compile("^Tak, biorę")).click()
    record("offer taken, prepayment")

    for attempt in range(12):  # the lookup's lockout
        page.goto(runner.base + "/c")
        if not page.locator("#code").count():
            break
        page.fill("#code", "ABCDEFG" + "ABCDEFGHJKMN"[attempt])
        page.fill("#phone", "600 100 200")
        page.locator("form button").click()
    record("lookup locked out")
    page.close()
    return seen


def describe(state: dict | None, pattern: str) -> str:
    if state is None:
        return "(no such page)"
    found = [(t, b) for n, t, b in state["controls"] if re.search(pattern, n)]
    if not found:
        return "(no such button)"
    top, bottom = found[0]
    return f"{top:>5}–{bottom:<5} {'on screen' if bottom <= PHONE['height'] else 'BELOW'}"


def gap(state: dict | None, first: str, second: str) -> str:
    if state is None:
        return "-"
    boxes = [next(((t, b) for n, t, b in state["controls"] if re.search(p, n)), None) for p in (first, second)]
    if None in boxes:
        return "-"
    (_, upper_bottom), (lower_top, _) = sorted(boxes)
    return f"{lower_top - upper_bottom} px"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/main"), help="checkout measured first")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1],
                        help="checkout measured second (default: this one)")
    parser.add_argument("--shots", type=Path, help="save full-page screenshots under DIR/before and DIR/after")
    args = parser.parse_args()
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for label, tree in (("before", args.baseline), ("after", args.tree)):
            shots = args.shots / label if args.shots else None
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
            runner = Runner(tree.resolve())
            try:
                results[label] = walk(runner, browser, shots)
            finally:
                runner.stop()
        browser.close()
    before, after = results["before"], results["after"]
    print(f"Main buttons on a {PHONE['width']}×{PHONE['height']} phone: top–bottom in px from the top of the page;"
          f" 'on screen' = inside the first {PHONE['height']} px, no scrolling")
    print(f"{'page':<26}{'button':<24}{'before':<24}{'after':<24}")
    for state, (patterns, _) in MAIN.items():
        for pattern in patterns:
            print(f"{state:<26}{pattern.strip('^'):<24}{describe(before.get(state), pattern):<24}"
                  f"{describe(after.get(state), pattern):<24}")
    print("\nOpposite actions, the gap between their boxes:")
    for state, (_, pair) in MAIN.items():
        if pair:
            print(f"{state:<26}{' / '.join(p.strip('^') for p in pair):<34} before {gap(before.get(state), *pair):<8}"
                  f" after {gap(after.get(state), *pair)}")
    print("\nPage height (px) and first line:")
    for state in dict.fromkeys([*before, *after]):
        b, a = before.get(state), after.get(state)
        print(f"{state:<26} before {b['height'] if b else '-':>5} {(b or {}).get('h1', '')[:38]!r:<42}"
              f" after {a['height'] if a else '-':>5} {(a or {}).get('h1', '')[:38]!r}")
    for label, seen in (("before", before), ("after", after)):
        taps, scroll = seen["visit cancelled"]["to cancel"]
        print(f"To cancel a visit from its SMS link, {label}: {taps} tap(s), {scroll} px of scrolling")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
