"""The dashboard in a real browser: it renders the aggregate, and its numbers follow the traffic."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from support.chromium import rendered_dom, screenshot
from support.fake_upstream import Failure, Reply
from support.ingress import send
from support.stack import running_stack

pytestmark = pytest.mark.integration


def shown(dom: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', dom)
    assert match, f"#{element_id} not in the rendered page"
    return match.group(1)


def provider_row(dom: str, provider: str) -> list[str]:
    match = re.search(rf'<tr data-provider="{provider}">(.*?)</tr>', dom)
    assert match, f"no row for {provider}"
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


@pytest.mark.requires("chromium")
def test_dashboard_renders_the_aggregate_and_follows_the_traffic(tmp_path: Path) -> None:
    with running_stack(tmp_path, workers=2) as stack:
        stack.local.reset(Reply(text="hi"))
        for _ in range(3):
            assert send(stack.gateway, "anthropic", False, profile="local").status == 200
        time.sleep(1.2)
        url = f"{stack.gateway.base_url}/dashboard"

        before = rendered_dom(url)
        assert shown(before, "requests-total") == "3"
        assert shown(before, "status").startswith("updated ")
        assert provider_row(before, "ollama")[1:4] == ["healthy", "3", "3"]

        stack.claude.reset(Failure(500, "down"))
        for _ in range(4):
            send(stack.gateway, "openai", True, profile="local-then-claude")
            send(stack.gateway, "anthropic", False, profile="claude")
        time.sleep(1.2)
        after = rendered_dom(url)

        assert shown(after, "requests-total") == "11"
        assert shown(after, "error-rate") == "36.4 %"  # 4 of 11 answered 5xx
        assert provider_row(after, "ollama")[2] == "7"
        assert provider_row(after, "anthropic-direct")[4] == "4"
        assert "provider-failed" in after  # the recent events list
        assert "ollama → anthropic-direct" in after
        image = screenshot(url, "dashboard.png")
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000
