"""The real Codex CLI (from npm, as shipped) through the gateway's ``/v1/responses``, offline, to a
scripted upstream of each kind: a plain prompt whose answer Codex prints, and a shell-tool round trip
in which Codex really runs the command the model asked for and sends its output back.

Codex exits 0 with an empty answer when a stream lacks what it needs, so every test checks the
printed answer, not only the exit code (``shared/reference/codex-wire.md``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.codex import CodexRun, codex_version, run_codex
from support.fake_upstream import Reply, ToolCall
from support.ingress import events
from support.npm_cli import CODEX
from support.stack import CLIENT_KEY, PROVIDER_KEY, Stack, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.requires("codex")]

# Codex sends the configured model name; a profile's name selects that profile.
PROFILES = [
    pytest.param("local", id="openai_compat-upstream"),
    pytest.param("claude", id="anthropic-upstream"),
    pytest.param("local-responses", id="openai_responses-upstream"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("gateway")) as started:
        yield started


def codex(stack: Stack, profile: str, prompt: str, home: Path) -> CodexRun:
    return run_codex(
        f"{stack.gateway.base_url}/v1", prompt, home, api_key=CLIENT_KEY, model=profile, sandbox=None
    )


def test_the_pinned_codex_cli_installs_and_runs() -> None:
    assert codex_version() == f"codex-cli {CODEX.version}"


@pytest.mark.parametrize("profile", PROFILES)
def test_plain_prompt_answer_is_printed(stack: Stack, profile: str, tmp_path: Path) -> None:
    upstream = stack.upstream(profile)
    upstream.reset(Reply(text="Hi from the gateway, Codex."))

    run = codex(stack, profile, "say hi", tmp_path / "home")

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.last_message == "Hi from the gateway, Codex."
    [call] = upstream.requests
    assert call.stream
    sent = json.dumps(call.body)
    assert "say hi" in sent
    if profile == "local-responses":  # passthrough: Codex's tools arrive as it declared them
        assert call.path == "/v1/responses"
        assert {tool["type"] for tool in call.body["tools"]} >= {"function", "namespace", "web_search"}
    else:  # the namespace tool went up flattened; hosted web_search could not, and an event says so
        assert "multi_agent_v1__" in sent
        assert '"web_search"' not in sent
        assert events(stack.gateway, "request-fields-dropped")


@pytest.mark.parametrize("profile", PROFILES)
def test_shell_tool_round_trip(stack: Stack, profile: str, tmp_path: Path) -> None:
    upstream = stack.upstream(profile)
    home = tmp_path / "home"
    upstream.reset()
    upstream.queue(
        Reply(
            text="",
            tool_calls=(
                ToolCall("exec_command", {"cmd": "echo codex-e2e-$((6*7)) > proof.txt; cat proof.txt"}),
            ),
        ),
        Reply(text="Done: the proof says codex-e2e-42."),
    )

    run = codex(stack, profile, "write the proof file", home)

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.last_message == "Done: the proof says codex-e2e-42."
    assert (home / "work" / "proof.txt").read_text().strip() == "codex-e2e-42"  # the shell really ran it
    assert len(upstream.requests) == 2
    second = upstream.requests[1]
    # The command's output went back to the upstream as the tool's result, in the upstream's own form.
    if profile == "claude":
        results = [
            block
            for message in second.body["messages"]
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]
        assert len(results) == 1 and "codex-e2e-42" in json.dumps(results[0])
    elif profile == "local-responses":
        [output] = [item for item in second.body["input"] if item.get("type") == "function_call_output"]
        assert "codex-e2e-42" in json.dumps(output)
    else:
        [tool_message] = [m for m in second.body["messages"] if m["role"] == "tool"]
        assert "codex-e2e-42" in tool_message["content"]
    for call in upstream.requests:
        assert CLIENT_KEY not in str(call.headers)
        if profile == "local":
            assert PROVIDER_KEY not in str(call.headers)
