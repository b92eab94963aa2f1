"""Per-provider settings as they reach the upstream: directives, extra_body, betas, output filters."""

from __future__ import annotations

import json

import httpx

from support.fake_upstream import Reply
from support.ingress import events
from support.stack import CLIENT_KEY, Stack

MODEL = "claude-sonnet-4-6"


def _messages(stack: Stack, profile: str, **extra: object) -> httpx.Response:
    return httpx.post(
        f"{stack.gateway.base_url}/v1/messages",
        headers={
            "x-api-key": CLIENT_KEY,
            "x-coderouter-profile": profile,
            "anthropic-beta": "prompt-caching-2024-07-31",
        },
        json={
            "model": MODEL,
            "max_tokens": 32000,
            "system": "You are a coding agent.",
            "messages": [{"role": "user", "content": "hi"}],
            **extra,
        },
        timeout=30,
    )


def test_append_system_prompt_and_extra_body_for_openai_upstream(fresh: Stack) -> None:
    response = _messages(fresh, "local-tuned", container="ctr_1")
    assert response.status_code == 200, response.text
    body = fresh.local.last.body
    system = body["messages"][0]
    assert system["role"] == "system"
    assert "You are a coding agent." in system["content"]
    assert system["content"].rstrip().endswith("Answer in English.")
    assert body["options"] == {"num_ctx": 16384}
    assert body["keep_alive"] == "10m"
    # Anthropic-only fields and headers mean nothing to an OpenAI-compatible server.
    assert "container" not in body
    assert "anthropic-beta" not in fresh.local.last.headers


def test_append_system_prompt_and_extra_body_for_anthropic_upstream(fresh: Stack) -> None:
    response = _messages(fresh, "claude-tuned", container="ctr_1")
    assert response.status_code == 200, response.text
    sent = fresh.claude.last
    system_text = json.dumps(sent.body["system"])
    assert "You are a coding agent." in system_text
    assert "Answer in English." in system_text
    assert sent.body["service_tier"] == "standard_only"
    assert sent.body["container"] == "ctr_1"
    assert sent.headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert sent.body["model"] == "claude-tuned"


def test_openai_ingress_gets_the_directive_too(fresh: Stack) -> None:
    fresh.openai_client("claude-tuned").chat.completions.create(
        model="m", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "x"}]
    )
    system_text = json.dumps(fresh.claude.last.body["system"])
    assert "Be brief." in system_text and "Answer in English." in system_text


def test_output_filters_strip_thinking_and_stop_markers_across_chunks(fresh: Stack) -> None:
    text = "<think>private chain of thought</think>The answer is 42.<|im_end|>"
    fresh.local.queue(Reply(text=text, chunk_chars=3), Reply(text=text))
    with fresh.anthropic_client("local-tuned").messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "?"}]
    ) as stream:
        streamed = "".join(stream.text_stream)
    assert streamed.strip() == "The answer is 42."
    message = fresh.anthropic_client("local-tuned").messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "?"}]
    )
    texts = [b.text for b in message.content if b.type == "text"]
    assert "".join(texts).strip() == "The answer is 42."
    applied = events(fresh.gateway, "output-filter-applied", provider="ollama-tuned")
    assert [e["streaming"] for e in applied[-2:]] == [True, False]
    assert applied[-1]["filters"] == ["strip_thinking", "strip_stop_markers"]


def test_thinking_request_maps_to_reasoning_control_and_synthesized_thinking_stays_local(
    fresh: Stack,
) -> None:
    # An Anthropic client's earlier turn carries thinking that a local model produced (no signature):
    # it must not be sent to a real Anthropic upstream, which rejects unsigned thinking blocks.
    history = [
        {"role": "user", "content": "first"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "local musing", "signature": ""},
                {"type": "text", "text": "ok"},
            ],
        },
        {"role": "user", "content": "second"},
    ]
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": "claude"},
        json={"model": MODEL, "max_tokens": 2048, "messages": history},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    sent_history = json.dumps(fresh.claude.last.body["messages"])
    assert "local musing" not in sent_history
    assert '"ok"' in sent_history


def test_thinking_request_becomes_reasoning_effort_where_the_upstream_has_it(fresh: Stack) -> None:
    thinking = {"type": "enabled", "budget_tokens": 20000}
    assert _messages(fresh, "local-tuned", thinking=thinking).status_code == 200
    assert fresh.local.last.body["reasoning_effort"] == "high"
    assert "thinking" not in fresh.local.last.body
    # A provider without a reasoning control gets no reasoning field at all.
    assert _messages(fresh, "local", thinking=thinking).status_code == 200
    assert not {"reasoning_effort", "reasoning", "thinking", "chat_template_kwargs"} & set(
        fresh.local.last.body
    )
