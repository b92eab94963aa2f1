"""`doctor`'s verdicts on what a provider answered: plain text, a stream, a tool call, reasoning, usage.

Pure: each function takes the provider and one probe's :class:`Answer` or :class:`StreamAnswer`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coderouter_supervisor.supervisor.commands.doctor.results import (
    Answer,
    CheckResult,
    StreamAnswer,
    entry,
    failure_text,
    is_model_failure,
    probing_stops,
)
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.translate import repair_tool_calls

PROBE_TOOL = "echo"
STANDARD_REASONING_FIELDS = ("reasoning_content", "reasoning")


def _openai_message(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = payload.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return message
    return {}


def _anthropic_blocks(payload: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    content = payload.get("content")
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind]


def answer_text(provider: ProviderConfig, payload: Mapping[str, Any]) -> str:
    if provider.kind == "anthropic":
        return "".join(str(b.get("text", "")) for b in _anthropic_blocks(payload, "text"))
    content = _openai_message(payload).get("content")
    return content if isinstance(content, str) else ""


def judge_plain_reply(provider: ProviderConfig, plain: Answer) -> CheckResult:
    failure = plain.failure
    if failure is not None:
        if probing_stops(failure) or is_model_failure(failure):
            return CheckResult("plain reply", "SKIP", "not probed: see above")
        return CheckResult(
            "plain reply",
            "FAIL",
            failure_text(failure),
            "read the backend's log for this request; the message above is the backend's own",
        )
    text = answer_text(provider, plain.payload or {}).strip()
    if not text:
        return CheckResult(
            "plain reply",
            "WARN",
            "answered without any text",
            "a thinking model may spend a small max_tokens on reasoning; check the model and its extra_body",
        )
    return CheckResult("plain reply", "OK", f"answered {text[:40]!r}")


def _stream_text(provider: ProviderConfig, events: Sequence[Mapping[str, Any]]) -> str:
    parts: list[str] = []
    for event in events:
        if provider.kind == "anthropic":
            delta = event.get("delta")
            if event.get("type") == "content_block_delta" and isinstance(delta, dict):
                parts.append(str(delta.get("text", "")))
            continue
        choices = event.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            delta = choices[0].get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                parts.append(delta["content"])
    return "".join(parts)


def _stream_finished(provider: ProviderConfig, answer: StreamAnswer) -> bool:
    if provider.kind == "anthropic":
        return any(e.get("type") == "message_stop" for e in answer.events)
    return answer.saw_done


def _stream_error(events: Sequence[Mapping[str, Any]]) -> str | None:
    for event in events:
        error = event.get("error")
        if error is not None and event.get("type") in (None, "error"):
            message = error.get("message") if isinstance(error, dict) else error
            return str(message or "an error event")
    return None


def judge_stream(provider: ProviderConfig, stream: StreamAnswer) -> CheckResult:
    failure = stream.failure
    count = len(stream.events)
    if failure is not None and failure.kind == "mid-stream":
        return CheckResult(
            "streaming",
            "FAIL",
            f"the stream broke off after {count} events: {failure.message}",
            "streaming clients (Claude Code) will see errors: check the backend's log, and that no proxy "
            "between here and it buffers or cuts server-sent events",
        )
    if failure is not None:
        return CheckResult(
            "streaming",
            "FAIL",
            f"a streamed request failed: {failure_text(failure)}",
            "the plain request worked, so the backend refuses `stream: true`: check its log",
        )
    error = _stream_error(stream.events)
    if error is not None:
        return CheckResult(
            "streaming", "FAIL", f"the stream reported an error: {error}", "check the backend's log"
        )
    if count == 0:
        return CheckResult(
            "streaming",
            "FAIL",
            "answered `stream: true` without any stream events (a backend that does not stream)",
            f"declare {entry(provider, 'capabilities: {streaming: false}')} and keep it out of profiles "
            "that streaming clients use",
        )
    if not _stream_finished(provider, stream):
        ending = "message_stop" if provider.kind == "anthropic" else "data: [DONE]"
        return CheckResult(
            "streaming",
            "WARN",
            f"{count} events but no `{ending}` at the end",
            "the gateway accepts a clean end of body, but some clients wait for the terminator",
        )
    text = _stream_text(provider, stream.events).strip()
    return CheckResult("streaming", "OK", f"{count} events, text {text[:40]!r}")


def judge_tools(provider: ProviderConfig, tools: Answer) -> CheckResult:
    fix = (
        f"set {entry(provider, 'capabilities: {tools: false}')} (it declares tools: true), "
        "or choose a model that calls tools"
        if provider.capabilities.tools
        else "choose a model that calls tools, or keep this provider out of profiles agents use"
    )
    if tools.failure is not None:
        return CheckResult(
            "tool calling", "WARN", f"a request with tools failed: {failure_text(tools.failure)}", fix
        )
    payload = tools.payload or {}
    if provider.kind == "anthropic":
        called = [str(b.get("name")) for b in _anthropic_blocks(payload, "tool_use")]
    else:
        calls = _openai_message(payload).get("tool_calls")
        called = [
            str(c.get("function", {}).get("name"))
            for c in (calls if isinstance(calls, list) else [])
            if isinstance(c, dict) and isinstance(c.get("function"), dict)
        ]
    declared = (
        "" if provider.capabilities.tools else f"; declare {entry(provider, 'capabilities: {tools: true}')}"
    )
    if called:
        return CheckResult("tool calling", "OK", f"called {', '.join(called)}{declared}")
    repaired = repair_tool_calls(answer_text(provider, payload), (PROBE_TOOL,))
    if repaired.calls:
        return CheckResult(
            "tool calling", "OK", f"wrote the call as text; the gateway turns it into a real call{declared}"
        )
    return CheckResult("tool calling", "WARN", f"no tool call although `{PROBE_TOOL}` was forced", fix)


def _nonstandard_reasoning(message: Mapping[str, Any]) -> str | None:
    for key, value in message.items():
        if key in STANDARD_REASONING_FIELDS or not isinstance(value, str) or not value.strip():
            continue
        if "reason" in key or "think" in key:
            return key
    return None


_NOT_THINKING = "capabilities: {thinking: false}"


def judge_reasoning(provider: ProviderConfig, plain: Answer, thinking_expected: bool) -> CheckResult:
    """``thinking_expected``: the provider can think (its capabilities or the registry say so), so the
    probe asked an Anthropic provider to think."""
    payload = plain.payload or {}
    if provider.kind == "anthropic":
        return _anthropic_reasoning(provider, payload, thinking_expected)
    return _openai_reasoning(provider, _openai_message(payload), thinking_expected)


def _anthropic_reasoning(
    provider: ProviderConfig, payload: Mapping[str, Any], thinking_expected: bool
) -> CheckResult:
    if _anthropic_blocks(payload, "thinking"):
        return CheckResult("reasoning", "OK", "a thinking block came back")
    if thinking_expected:
        return CheckResult(
            "reasoning",
            "WARN",
            "thinking was requested but no thinking block came back",
            f"set {entry(provider, _NOT_THINKING)} or use a model that thinks",
        )
    # Anthropic providers think unless marked not to (``can_think``), the same rule routing uses.
    return CheckResult("reasoning", "OK", "not requested (marked not to think: routing removes thinking)")


def _openai_reasoning(
    provider: ProviderConfig, message: Mapping[str, Any], thinking_expected: bool
) -> CheckResult:
    standard = next(
        (f for f in STANDARD_REASONING_FIELDS if isinstance(message.get(f), str) and message[f]), None
    )
    if standard is not None:
        hint = "" if thinking_expected else f"; declare {entry(provider, 'capabilities: {thinking: true}')}"
        return CheckResult("reasoning", "OK", f"reasoning arrives in `{standard}`{hint}")
    other = _nonstandard_reasoning(message)
    if other is not None:
        return CheckResult(
            "reasoning",
            "WARN",
            f"reasoning arrives in the non-standard field `{other}`, which the gateway does not read",
            "configure the backend to return `reasoning_content` (or `reasoning`); until then its "
            "reasoning is dropped",
        )
    content = message.get("content")
    if isinstance(content, str) and "<think>" in content:
        return CheckResult(
            "reasoning",
            "WARN",
            "reasoning is written into the text as <think>…</think>",
            f"add {entry(provider, 'output_filters: [strip_thinking]')}",
        )
    if thinking_expected:
        return CheckResult(
            "reasoning",
            "WARN",
            "declared to think, but the answer carried no reasoning",
            f"set {entry(provider, 'capabilities.reasoning_control')} (openai | provider_specific) so "
            f"thinking requests ask for it, or {entry(provider, _NOT_THINKING)}",
        )
    return CheckResult("reasoning", "OK", "no reasoning in the answer (none declared)")


def judge_cache_usage(provider: ProviderConfig, plain: Answer) -> CheckResult:
    usage = (plain.payload or {}).get("usage")
    if not isinstance(usage, dict):
        return CheckResult(
            "prompt cache",
            "WARN",
            "the answer has no usage at all: tokens and cost cannot be counted",
            "use a backend version that reports usage",
        )
    if provider.kind == "anthropic":
        fields = ("cache_read_input_tokens", "cache_creation_input_tokens")
        present = all(isinstance(usage.get(f), int) for f in fields)
        where = " and ".join(fields)
    else:
        details = usage.get("prompt_tokens_details")
        present = isinstance(details, dict) and isinstance(details.get("cached_tokens"), int)
        where = "prompt_tokens_details.cached_tokens"
    if present:
        return CheckResult("prompt cache", "OK", f"usage reports {where}")
    no_cache = entry(provider, "capabilities: {prompt_cache: false}")
    fix = (
        f"informational; it declares prompt_cache: true, so set {no_cache}"
        if provider.capabilities.prompt_cache
        else "informational: cache hits (if any) are not counted or priced as discounted"
    )
    return CheckResult("prompt cache", "WARN", f"usage has no {where}", fix)
