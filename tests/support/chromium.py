"""Headless Chromium (Debian's package) rendering a page of the gateway: its DOM after the page's
scripts ran, or a screenshot."""

from __future__ import annotations

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


def rendered_dom(url: str) -> str:
    done = subprocess.run(
        [chromium(), *_FLAGS, "--dump-dom", url], capture_output=True, text=True, timeout=90, check=True
    )
    return done.stdout


def screenshot(url: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    subprocess.run(
        [chromium(), *_FLAGS, f"--screenshot={target}", url], capture_output=True, timeout=90, check=True
    )
    return target
