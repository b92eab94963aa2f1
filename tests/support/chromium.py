"""Headless Chromium (Debian's package) rendering a page of the gateway: its DOM after the page's
scripts ran, or a screenshot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.system_tools import find_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Virtual time lets the page's fetches and timers run without the test waiting in real time.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--virtual-time-budget=3000",
    "--window-size=1400,900",
)


def chromium() -> str:
    found = find_chromium()
    if found is None:
        raise RuntimeError("chromium is needed for the dashboard test (apt-get install chromium)")
    return found


def rendered_dom(url: str, net_log: Path | None = None) -> str:
    """The DOM after the page's scripts ran; with ``net_log``, Chromium also writes there every
    network request it made (its NetLog JSON)."""
    logging = [f"--log-net-log={net_log}"] if net_log is not None else []
    done = subprocess.run(
        [chromium(), *_FLAGS, *logging, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    return done.stdout


def page_requests(net_log: Path, site: str) -> set[str]:
    """Every URL requested on behalf of a page of ``site`` (e.g. ``http://127.0.0.1``), by the page or
    anything it loaded: the requests the NetLog files under that site's network isolation key.
    The browser's own traffic (updates, sign-in) is filed under no site and left out."""
    text = net_log.read_text(errors="replace").rstrip()
    if not text.endswith("}"):  # a browser that did not close its log leaves the event list open
        text = text.rstrip(",") + "]}"
    log = json.loads(text)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = [e.get("params", {}) for e in log["events"] if e["type"] == start_job]
    return {p["url"] for p in starts if p.get("network_isolation_key", "").split(" ")[0] == site}


def screenshot(url: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    subprocess.run(
        [chromium(), *_FLAGS, f"--screenshot={target}", url], capture_output=True, timeout=90, check=True
    )
    return target
