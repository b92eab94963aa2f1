"""``supervisor.providers.<name>.first_token_timeout_s``: a silent stream gives way to the next provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from .conftest import Lab, start_lab
from support.fake_upstream import Reply
from support.ingress import IngressName, events, send

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tuning = {"providers": {"primary": {"first_token_timeout_s": 1}}}
    with ExitStack() as stack:
        yield start_lab(stack, tmp_path_factory.mktemp("ttft"), supervisor=tuning)


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_silent_stream_falls_through_after_the_first_token_timeout(lab: Lab, ingress: IngressName) -> None:
    lab.reset()
    lab.primary.queue(Reply(text="too late", silence_s=1.8))  # within timeout_s (2), past the 1 s limit
    lab.backup.reset(Reply(text="backup was quick"))

    answer = send(lab.gateway, ingress, True, profile="fallback")

    assert answer.status == 200, answer.raw
    assert answer.text == "backup was quick"
    assert answer.fallback_chain == "primary;failed=timeout, backup;ok"
    assert events(lab.gateway, "provider-failed", provider="primary", reason="timeout")


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_content_within_the_limit_is_kept(lab: Lab, ingress: IngressName) -> None:
    lab.reset()
    lab.primary.queue(Reply(text="in time", silence_s=0.2))

    answer = send(lab.gateway, ingress, True, profile="fallback")

    assert (answer.status, answer.text, answer.provider) == (200, "in time", "primary")
    assert lab.backup.requests == []
