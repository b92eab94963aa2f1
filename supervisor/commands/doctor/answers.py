"""`doctor`'s verdicts on what a provider answered: plain text, a stream, a tool call, reasoning, usage.

Pure: each function takes the provider and one probe's :class:`Answer` or :class:`StreamAnswer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coderouter_supervisor.supervisor.commands.doctor.dialects import dialect_for
from coderouter_supervisor.supervisor.commands.doctor.probe_dialect import PROBE_TOOL
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
    text = dialect_for(provider).answer_text(plain.payload or {}).strip()
    if not text:
        return CheckResult(
            "plain reply",
            "WARN",
            "answered without any text",
            "a thinking model may spend a small max_tokens on reasoning; check the model and its extra_body",
        )
    return CheckResult("plain reply", "OK", f"answered {text[:40]!r}")


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
    dialect = dialect_for(provider)
    error = dialect.stream_error(stream.events)
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
    if not dialect.stream_finished(stream):
        return CheckResult(
            "streaming",
            "WARN",
            f"{count} events but no `{dialect.stream_ending}` at the end",
            "the gateway accepts a clean end of body, but some clients wait for the terminator",
        )
    text = dialect.stream_text(stream.events).strip()
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
    dialect = dialect_for(provider)
    called = dialect.called_tools(payload)
    declared = (
        "" if provider.capabilities.tools else f"; declare {entry(provider, 'capabilities: {tools: true}')}"
    )
    if called:
        return CheckResult("tool calling", "OK", f"called {', '.join(called)}{declared}")
    repaired = repair_tool_calls(dialect.answer_text(payload), (PROBE_TOOL,))
    if repaired.calls:
        return CheckResult(
            "tool calling", "OK", f"wrote the call as text; the gateway turns it into a real call{declared}"
        )
    return CheckResult("tool calling", "WARN", f"no tool call although `{PROBE_TOOL}` was forced", fix)


def judge_reasoning(provider: ProviderConfig, plain: Answer, thinking_expected: bool) -> CheckResult:
    """``thinking_expected``: the provider can think (its capabilities or the registry say so), so the
    probe asked it to where its API says how."""
    return dialect_for(provider).judge_reasoning(provider, plain.payload or {}, thinking_expected)


def _field(usage: Mapping[str, Any], path: tuple[str, ...]) -> object:
    found: object = usage
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return found


def judge_cache_usage(provider: ProviderConfig, plain: Answer) -> CheckResult:
    usage = (plain.payload or {}).get("usage")
    if not isinstance(usage, dict):
        return CheckResult(
            "prompt cache",
            "WARN",
            "the answer has no usage at all: tokens and cost cannot be counted",
            "use a backend version that reports usage",
        )
    paths = dialect_for(provider).cache_fields
    present = all(isinstance(_field(usage, path), int) for path in paths)
    where = " and ".join(".".join(path) for path in paths)
    if present:
        return CheckResult("prompt cache", "OK", f"usage reports {where}")
    no_cache = entry(provider, "capabilities: {prompt_cache: false}")
    fix = (
        f"informational; it declares prompt_cache: true, so set {no_cache}"
        if provider.capabilities.prompt_cache
        else "informational: cache hits (if any) are not counted or priced as discounted"
    )
    return CheckResult("prompt cache", "WARN", f"usage has no {where}", fix)
