"""Error answers in each ingress's envelope: bad input, upstream failures, context overflow."""

from __future__ import annotations

import json

import anthropic
import httpx
import openai
import pytest

from support.fake_upstream import Failure, Reply
from support.ingress import events
from support.stack import CLIENT_KEY, Stack

MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "hi"}]


def _post(stack: Stack, path: str, body: object, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{stack.gateway.base_url}{path}",
        content=content,
        headers={"content-type": "application/json", "x-api-key": CLIENT_KEY, **headers},
        timeout=30,
    )


def _anthropic_error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert body["type"] == "error"
    assert set(body["error"]) == {"type", "message"}
    error: dict[str, str] = body["error"]
    return error


def _openai_error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    error: dict[str, object] = body["error"]
    return error


BAD_MESSAGES_BODIES = [
    (b"{not json", "not valid JSON"),
    (b"", "empty"),
    (b"[1, 2]", "JSON object"),
    (b"\xff\xfe", "UTF-8"),
    ({"max_tokens": 10, "messages": HELLO}, "model"),
    ({"model": MODEL, "messages": HELLO}, "max_tokens"),
    ({"model": MODEL, "max_tokens": "ten", "messages": HELLO}, "max_tokens"),
    ({"model": MODEL, "max_tokens": 10, "messages": "hi"}, "messages"),
    ({"model": MODEL, "max_tokens": 10, "messages": [{"role": "user"}]}, "messages[0]"),
    (
        {"model": MODEL, "max_tokens": 10, "messages": [{"role": "wizard", "content": "x"}]},
        "messages[0].role",
    ),
    ({"model": 5, "max_tokens": 10, "messages": HELLO}, "model"),
    # A block's type that is not a string (it used to reach a set lookup and fail as a 500).
    (
        {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": ["text"]}]}]},
        "messages[0].content",
    ),
    # A long conversation is validated a slice at a time; the error still names the whole-body index.
    ({"model": MODEL, "max_tokens": 10, "messages": HELLO * 4321 + [{"role": "user"}]}, "messages[4321]"),
    ({"model": MODEL, "max_tokens": 10, "messages": HELLO, "stream": "yes"}, "stream"),
    (b'{"model": "m", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too deeply"),
    (
        b'{"model": "m", "max_tokens": 5, "messages": [], "metadata": ' + b'{"a":' * 80 + b"1" + b"}" * 81,
        "64 levels",
    ),
]


@pytest.mark.parametrize(("body", "mentions"), BAD_MESSAGES_BODIES)
def test_bad_messages_body_is_400_naming_the_field(fresh: Stack, body: object, mentions: str) -> None:
    response = _post(fresh, "/v1/messages", body)
    assert response.status_code == 400, response.text
    error = _anthropic_error(response)
    assert error["type"] == "invalid_request_error"
    assert mentions in error["message"]
    assert fresh.local.requests == []


BAD_CHAT_BODIES = [
    (b"{not json", "not valid JSON", None),
    ({"messages": HELLO}, "model", "model"),
    ({"model": "m"}, "messages", "messages"),
    ({"model": "m", "messages": [{"role": "user", "content": 7}]}, "messages[0]", None),
    ({"model": "m", "messages": HELLO * 4321 + [{"role": "user", "content": 7}]}, "messages[4321]", None),
    ({"model": "m", "messages": HELLO, "temperature": "hot"}, "temperature", "temperature"),
    ({"model": "m", "messages": HELLO, "tools": [{"type": "function"}]}, "tools[0]", None),
]


@pytest.mark.parametrize(("body", "mentions", "param"), BAD_CHAT_BODIES)
def test_bad_chat_body_is_400_in_openai_envelope(
    fresh: Stack, body: object, mentions: str, param: str | None
) -> None:
    response = _post(fresh, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    error = _openai_error(response)
    assert error["type"] == "invalid_request_error"
    assert mentions in str(error["message"])
    if param is not None:
        assert error["param"] == param
    assert fresh.local.requests == []


HUGE = "1" + "0" * 400  # 10**400
# Each (field, JSON text of its value, what the error names): numbers out of the public APIs' range,
# too big for any integer type, or not finite; JSON text so that NaN and 1e999 go out as written.
BAD_VALUES = {
    "anthropic": [
        ("max_tokens", HUGE, "max_tokens"),
        ("max_tokens", "-1", "max_tokens"),
        ("max_tokens", "0", "max_tokens"),
        ("max_tokens", "1e999", "number"),
        ("max_tokens", "NaN", "number"),
        ("max_tokens", "4096.5", "max_tokens"),
        ("temperature", "1.5", "temperature"),
        ("temperature", "-0.1", "temperature"),
        ("temperature", "Infinity", "number"),
        ("temperature", "-1e999", "number"),
        ("temperature", HUGE, "temperature"),
        ("top_p", "1.01", "top_p"),
        ("top_k", "-1", "top_k"),
        ("top_k", HUGE, "top_k"),
        ("stop_sequences", '"END"', "stop_sequences"),
        ("stop_sequences", "[1]", "stop_sequences"),
        ("thinking", '{"type": "enabled", "budget_tokens": -5}', "thinking"),
        ("thinking", '{"type": "enabled", "budget_tokens": ' + HUGE + "}", "thinking"),
        ("metadata", '{"user_id": "u", "score": NaN}', "number"),
        ("tools", '[{"name": "t", "input_schema": {"maximum": 1e999}}]', "number"),
        ("max_tokens", "1" * 5000, "number"),
    ],
    "openai": [
        ("max_tokens", HUGE, "max_tokens"),
        ("max_tokens", "-1", "max_tokens"),
        ("max_tokens", "0", "max_tokens"),
        ("max_completion_tokens", "-5", "max_completion_tokens"),
        ("max_completion_tokens", HUGE, "max_completion_tokens"),
        ("max_completion_tokens", "1e999", "number"),
        ("n", "0", "n"),
        ("n", "129", "n"),
        ("n", HUGE, "n"),
        ("temperature", "2.5", "temperature"),
        ("temperature", "-1", "temperature"),
        ("temperature", "NaN", "number"),
        ("temperature", "1e999", "number"),
        ("top_p", "-0.5", "top_p"),
        ("top_k", "-2", "top_k"),
        ("top_k", HUGE, "top_k"),
        ("stop", '["a", "b", "c", "d", "e"]', "stop"),
        ("stop", "5", "stop"),
        ("seed", HUGE, "seed"),
        ("presence_penalty", "3", "presence_penalty"),
        ("frequency_penalty", "-Infinity", "number"),
        ("top_logprobs", "21", "top_logprobs"),
        ("metadata", '{"x": Infinity}', "number"),
    ],
}
BAD_VALUE_CASES = [
    pytest.param(ingress, profile, field, value, mentions, id=f"{ingress}-{profile}-{field}={value[:12]}")
    for ingress, cases in BAD_VALUES.items()
    for profile in ("local", "claude")
    for field, value, mentions in cases
]


@pytest.mark.parametrize(("ingress", "profile", "field", "value", "mentions"), BAD_VALUE_CASES)
def test_a_bad_value_is_a_400_in_the_callers_envelope(
    fresh: Stack, ingress: str, profile: str, field: str, value: str, mentions: str
) -> None:
    if ingress == "anthropic":
        path, base = "/v1/messages", {"model": MODEL, "max_tokens": 16, "messages": HELLO}
    else:
        path, base = "/v1/chat/completions", {"model": "m", "messages": HELLO}
    # A repeated key: the last one counts, as in every JSON reader the SDKs' servers use.
    raw = json.dumps(base)[:-1] + f', "{field}": {value}}}'
    response = _post(fresh, path, raw.encode(), **{"x-coderouter-profile": profile})
    assert response.status_code == 400, response.text
    error = _anthropic_error(response) if ingress == "anthropic" else _openai_error(response)
    assert error["type"] == "invalid_request_error"
    assert mentions in str(error["message"])
    assert fresh.local.requests == [] and fresh.claude.requests == []
    assert events(fresh.gateway, "internal-error") == []


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/chat/completions"])
def test_oversized_body_is_413(fresh: Stack, path: str) -> None:
    huge = (
        b'{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"'
        + b"a" * (33 * 1024 * 1024)
        + b'"}]}'
    )
    response = _post(fresh, path, huge)
    assert response.status_code == 413
    if path == "/v1/messages":
        assert _anthropic_error(response)["type"] == "request_too_large"
    else:
        assert "limit" in str(_openai_error(response)["message"])


def test_unknown_profile_lists_the_known_ones(fresh: Stack) -> None:
    response = _post(
        fresh,
        "/v1/messages",
        {"model": MODEL, "max_tokens": 5, "messages": HELLO},
        **{"x-coderouter-profile": "nope"},
    )
    assert response.status_code == 400
    message = _anthropic_error(response)["message"]
    assert "nope" in message
    assert "local" in message and "claude" in message
    response = _post(fresh, "/v1/chat/completions", {"model": "m", "messages": HELLO, "profile": "nope"})
    assert response.status_code == 400
    assert "local" in str(_openai_error(response)["message"])


def test_unknown_path_and_wrong_method(fresh: Stack) -> None:
    response = httpx.get(f"{fresh.gateway.base_url}/v1/messages", timeout=10)
    assert response.status_code == 405
    assert _anthropic_error(response)["type"] == "invalid_request_error"
    response = httpx.post(f"{fresh.gateway.base_url}/v1/embeddings", json={}, timeout=10)
    assert response.status_code == 404
    assert _openai_error(response)["type"] == "invalid_request_error" or response.json()


def test_upstream_429_keeps_status_retry_after_and_wording(fresh: Stack) -> None:
    fresh.claude.queue(
        Failure(
            429,
            "Number of request tokens has exceeded your per-minute rate limit",
            "rate_limit_error",
            {"retry-after": "17"},
        )
    )
    with pytest.raises(anthropic.RateLimitError) as caught:
        fresh.anthropic_client("claude").messages.create(model=MODEL, max_tokens=5, messages=HELLO)  # type: ignore[arg-type]
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "17"
    assert "per-minute rate limit" in caught.value.message

    fresh.local.queue(Failure(429, "slow down", headers={"retry-after": "3"}))
    with pytest.raises(openai.RateLimitError) as caught_openai:
        fresh.openai_client().chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert caught_openai.value.response.headers["retry-after"] == "3"
    assert "slow down" in caught_openai.value.message


def test_upstream_overloaded_is_529_for_anthropic_and_503_for_openai(fresh: Stack) -> None:
    fresh.claude.queue(
        Failure(529, "Overloaded", "overloaded_error"), Failure(529, "Overloaded", "overloaded_error")
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        fresh.anthropic_client("claude").messages.create(model=MODEL, max_tokens=5, messages=HELLO)  # type: ignore[arg-type]
    assert caught.value.status_code == 529
    assert caught.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as caught_openai:
        fresh.openai_client("claude").chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert caught_openai.value.status_code == 503


@pytest.mark.parametrize(
    ("upstream_body", "tokens", "maximum"),
    [
        # vLLM / OpenAI
        (
            {
                "error": {
                    "message": "This model's maximum context length is 8192 tokens. However, you requested "
                    "9100 tokens (9000 in the messages, 100 in the completion).",
                    "type": "BadRequestError",
                    "code": 400,
                }
            },
            9100,
            8192,
        ),
        # llama.cpp server
        (
            {
                "error": {
                    "code": 400,
                    "message": "the request exceeds the available context size, try increasing it",
                    "type": "exceed_context_size_error",
                    "n_prompt_tokens": 13392,
                    "n_ctx": 8192,
                }
            },
            13392,
            8192,
        ),
        # vLLM >= 0.16
        (
            {
                "error": {
                    "message": "You passed 4000 input tokens and requested 200 output tokens. However, the "
                    "model's context length is only 4096 tokens.",
                    "type": "BadRequestError",
                }
            },
            4200,
            4096,
        ),
    ],
)
def test_context_overflow_becomes_prompt_is_too_long(
    fresh: Stack, upstream_body: dict[str, object], tokens: int, maximum: int
) -> None:
    fresh.local.queue(Failure(400, raw_body=json.dumps(upstream_body)))
    response = _post(fresh, "/v1/messages", {"model": MODEL, "max_tokens": 100, "messages": HELLO})
    assert response.status_code == 400
    error = _anthropic_error(response)
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"prompt is too long: {tokens} tokens > {maximum} maximum")

    fresh.local.queue(Failure(400, raw_body=json.dumps(upstream_body)))
    response = _post(fresh, "/v1/chat/completions", {"model": "m", "messages": HELLO})
    assert response.status_code == 400
    assert _openai_error(response)["code"] == "context_length_exceeded"


def test_context_overflow_without_numbers_still_uses_the_wording(fresh: Stack) -> None:
    # LM Studio, which states no numbers.
    fresh.local.queue(
        Failure(
            400, "The number of tokens to keep from the initial prompt is greater than the context length."
        )
    )
    response = _post(fresh, "/v1/messages", {"model": MODEL, "max_tokens": 100, "messages": HELLO})
    assert response.status_code == 400
    assert _anthropic_error(response)["message"].startswith("prompt is too long:")


def test_stream_request_failing_before_first_byte_gets_a_status_not_a_stream(fresh: Stack) -> None:
    fresh.local.queue(Failure(500, "llama runner process has terminated: exit status 2"))
    response = _post(
        fresh, "/v1/messages", {"model": MODEL, "max_tokens": 5, "stream": True, "messages": HELLO}
    )
    assert response.status_code >= 500
    assert response.headers["content-type"].startswith("application/json")
    assert "llama runner process has terminated" in _anthropic_error(response)["message"]


def test_unreachable_upstream_is_a_clean_502(tmp_path: object, fresh: Stack) -> None:
    fresh.local.queue(Failure(502, "bad gateway upstream"))
    with pytest.raises(openai.APIStatusError) as caught:
        fresh.openai_client().chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert 500 <= caught.value.status_code < 600
    assert caught.value.status_code != 500


def test_models_list_in_both_shapes(fresh: Stack) -> None:
    anthropic_page = fresh.anthropic_client().models.list()
    ids = [m.id for m in anthropic_page.data]
    assert ids[:3] == ["local", "claude", "local-then-claude"]
    assert {"ollama", "anthropic-direct"} <= set(ids)
    openai_ids = [m.id for m in fresh.openai_client().models.list().data]
    assert openai_ids == ids
    assert fresh.local.requests == [] and fresh.claude.requests == []


def test_one_model_is_answered_in_each_shape_as_the_list_has_it(fresh: Stack) -> None:
    anthropic_client, openai_client = fresh.anthropic_client(), fresh.openai_client()
    one = anthropic_client.models.retrieve("local-then-claude")
    assert one.model_dump() == next(
        m.model_dump() for m in anthropic_client.models.list().data if m.id == "local-then-claude"
    )
    assert one.type == "model" and one.display_name == "local-then-claude"
    same = openai_client.models.retrieve("anthropic-direct")
    assert (same.id, same.object, same.owned_by) == ("anthropic-direct", "model", "coderouter")

    with pytest.raises(anthropic.NotFoundError) as missing:
        anthropic_client.models.retrieve("nope")
    assert "local-then-claude" in str(missing.value)
    with pytest.raises(openai.NotFoundError):
        openai_client.models.retrieve("nope")
    assert fresh.local.requests == [] and fresh.claude.requests == []


def test_count_tokens_estimate_grows_with_tools_and_tool_content(fresh: Stack) -> None:
    client = fresh.anthropic_client()
    small = client.messages.count_tokens(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    with_tools = client.messages.count_tokens(
        model=MODEL,
        system="You are a coding agent. " * 20,
        tools=[
            {
                "name": "read_file",
                "description": "Read a file from disk " * 10,
                "input_schema": {"type": "object"},
            }
        ],
        messages=[
            {"role": "user", "content": "read it"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "read_file", "input": {"path": "x" * 400}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "line\n" * 300}],
            },
        ],
    )
    assert 0 < small.input_tokens < 20
    assert with_tools.input_tokens > small.input_tokens + 300
    assert fresh.local.requests == []


def test_count_tokens_asks_an_anthropic_upstream(fresh: Stack) -> None:
    fresh.claude.count_tokens_answer = 1234
    counted = fresh.anthropic_client("claude").messages.count_tokens(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert counted.input_tokens == 1234
    sent = fresh.claude.last
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.body["model"] == "claude-fake"
    assert CLIENT_KEY not in json.dumps(sent.headers)


@pytest.mark.parametrize("version", [None, "2023-01-01"])
def test_count_tokens_and_messages_send_the_same_anthropic_version(fresh: Stack, version: str | None) -> None:
    fresh.claude.count_tokens_answer = 7
    fresh.claude.reset(Reply(text="hi"))
    headers = {"x-coderouter-profile": "claude", **({"anthropic-version": version} if version else {})}
    body = {"model": MODEL, "max_tokens": 5, "messages": HELLO}
    assert _post(fresh, "/v1/messages/count_tokens", body, **headers).status_code == 200
    counted = fresh.claude.last.headers["anthropic-version"]
    assert _post(fresh, "/v1/messages", body, **headers).status_code == 200
    assert fresh.claude.last.path == "/v1/messages"
    assert fresh.claude.last.headers["anthropic-version"] == counted == (version or "2023-06-01")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        pytest.param("evil.example:8088", False, id="rebinding-name"),
        pytest.param("192.168.1.9", False, id="lan-address"),
        pytest.param("localhost", True, id="localhost"),
        pytest.param("127.0.0.1:1", True, id="loopback-address"),
    ],
)
def test_a_loopback_gateway_refuses_foreign_host_names(fresh: Stack, host: str, allowed: bool) -> None:
    fresh.local.reset(Reply(text="ok"))
    messages = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"host": host, "x-api-key": CLIENT_KEY},
        json={"model": MODEL, "max_tokens": 8, "messages": HELLO},
        timeout=10,
    )
    health = httpx.get(f"{fresh.gateway.base_url}/healthz", headers={"host": host}, timeout=10)
    if allowed:
        assert (messages.status_code, health.status_code) == (200, 200)
    else:
        assert messages.status_code == 403 and health.status_code == 403
        assert messages.json()["error"]["type"] == "permission_error"
        assert "loopback only" in messages.json()["error"]["message"]
        assert fresh.local.requests == []
