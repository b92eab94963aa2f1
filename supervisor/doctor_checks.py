"""`doctor`'s verdicts: what each observed probe answer and each fact about the box means.

Pure: every function takes what was observed (an :class:`Answer`, a :class:`StreamAnswer`, a
version string, a byte count) and returns a :class:`CheckResult`; the probing lives in
``doctor_probes`` and the printing and exit status in ``doctor_command``. A result on a problem
carries ``fix``: the config entry, command or setting that would make it OK. Nothing here ever
sees a key; upstream messages arrive already redacted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.translate import repair_tool_calls

Verdict = Literal["OK", "WARN", "FAIL", "SKIP"]
FailureKind = Literal["unreachable", "timeout", "http", "bad-answer", "mid-stream"]

PROBE_TOOL = "echo"
STANDARD_REASONING_FIELDS = ("reasoning_content", "reasoning")
CONTEXT_FIELDS = ("context_length", "max_model_len", "max_context_length", "context_window")
# Ollama serves every model with a small default num_ctx unless the request says otherwise.
SUGGESTED_NUM_CTX = 32768
_MODELS_SHOWN = 8
_RANK: dict[Verdict, int] = {"SKIP": 0, "OK": 0, "WARN": 1, "FAIL": 2}


@dataclass(frozen=True)
class CheckResult:
    check: str
    verdict: Verdict
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class ProbeFailure:
    """Why a probe got no usable answer; ``message`` is the upstream's text, key already cut out."""

    kind: FailureKind
    message: str
    status: int | None = None


@dataclass(frozen=True)
class Answer:
    """One request's outcome: the JSON object answered, or the failure."""

    payload: dict[str, Any] | None = None
    failure: ProbeFailure | None = None


@dataclass(frozen=True)
class StreamAnswer:
    """A streamed request's outcome: the JSON payloads of its events, in order, and how it ended."""

    events: tuple[dict[str, Any], ...] = ()
    saw_done: bool = False
    failure: ProbeFailure | None = None


@dataclass(frozen=True)
class Observed:
    """Every probe answer for one provider; ``None`` for a probe that was not sent."""

    plain: Answer | None = None
    models: Answer | None = None
    stream: StreamAnswer | None = None
    tools: Answer | None = None
    show: Answer | None = None


def worst(results: Iterable[CheckResult]) -> Verdict:
    """FAIL over WARN over OK; SKIP counts as OK (a skipped probe's cause has its own line)."""
    verdicts = [r.verdict for r in results]
    return max(verdicts, key=lambda v: _RANK[v], default="OK") if verdicts else "OK"


def _entry(provider: ProviderConfig, text: str) -> str:
    """A config entry as the fix names it: ``capabilities: {tools: false}`` of provider ``ollama``."""
    return f"`{text}` on provider {provider.name}"


def _failure_text(failure: ProbeFailure) -> str:
    if failure.status is not None:
        return f"HTTP {failure.status}: {failure.message}"
    return failure.message


def is_auth_failure(failure: ProbeFailure | None) -> bool:
    return failure is not None and failure.kind == "http" and failure.status in (401, 403)


def is_model_failure(failure: ProbeFailure | None) -> bool:
    """A 404, or a 400 whose message is about the model (OpenRouter: "... is not a valid model ID")."""
    if failure is None or failure.kind != "http":
        return False
    text = failure.message.lower()
    return failure.status == 404 or (failure.status == 400 and "model" in text)


def probing_stops(failure: ProbeFailure | None) -> bool:
    """After this failure of the plain probe, further probes would only repeat it."""
    return (failure is not None and failure.kind in ("unreachable", "timeout")) or is_auth_failure(failure)


# --- reachable, authenticated, model -------------------------------------------------------------


def judge_missing_key(provider: ProviderConfig) -> list[CheckResult]:
    """The lines for a provider whose ``api_key_env`` is unset: nothing was sent."""
    name = provider.api_key_env
    why = f"not probed: {name} is not set"
    return [
        CheckResult("reachable", "SKIP", why),
        CheckResult(
            "authenticated",
            "FAIL",
            f"api_key_env {name} is not set (or empty) in this environment",
            f"export {name}=... (in the environment that runs coderouter-supervisor)",
        ),
        *(CheckResult(check, "SKIP", why) for check in _LATER_CHECKS),
    ]


def judge_reachable(provider: ProviderConfig, plain: Answer) -> CheckResult:
    failure = plain.failure
    if failure is not None and failure.kind == "unreachable":
        return CheckResult(
            "reachable",
            "FAIL",
            failure.message,
            f"start the backend, or correct {_entry(provider, 'base_url')} (now {provider.base_url})",
        )
    if failure is not None and failure.kind == "timeout":
        return CheckResult(
            "reachable",
            "FAIL",
            f"connected, but no answer in time: {failure.message}",
            "a local backend may still be loading the model: retry, or raise "
            f"{_entry(provider, 'timeout_s')} (now {provider.timeout_s:g})",
        )
    return CheckResult("reachable", "OK", f"answered at {provider.base_url}")


def judge_authenticated(provider: ProviderConfig, plain: Answer) -> CheckResult:
    failure = plain.failure
    env = provider.api_key_env
    if is_auth_failure(failure):
        assert failure is not None
        if env:
            fix = f"check the key in {env}: it was sent and refused (wrong, revoked, or for another service)"
        else:
            fix = f"this server wants a key: set {_entry(provider, 'api_key_env: NAME')} and export NAME=..."
        return CheckResult("authenticated", "FAIL", f"not authenticated ({_failure_text(failure)})", fix)
    if failure is not None and failure.kind in ("unreachable", "timeout"):
        return CheckResult("authenticated", "SKIP", "not probed: no answer")
    return CheckResult(
        "authenticated", "OK", f"key from {env} accepted" if env else "no key configured, none asked for"
    )


def listed_models(models: Answer | None) -> list[str] | None:
    """The ids of a ``/models`` listing (OpenAI and Anthropic share the shape), or None without one."""
    if models is None or models.payload is None:
        return None
    data = models.payload.get("data")
    if not isinstance(data, list):
        return None
    return [str(e["id"]) for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _some_models(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MODELS_SHOWN])
    return shown + (f", … ({len(ids)} in all)" if len(ids) > _MODELS_SHOWN else "")


def judge_model(provider: ProviderConfig, plain: Answer, models: Answer | None) -> CheckResult:
    ids = listed_models(models)
    if is_model_failure(plain.failure):
        assert plain.failure is not None
        if ids:
            hint = f"set {_entry(provider, 'model')} to one the server lists: {_some_models(ids)}"
        else:
            hint = f"set {_entry(provider, 'model')} to a model the server has (see its GET /models)"
        return CheckResult(
            "model", "FAIL", f"model {provider.model!r} not found ({_failure_text(plain.failure)})", hint
        )
    if plain.failure is not None:
        return CheckResult("model", "SKIP", "not probed: no answer")
    if ids is None:
        return CheckResult("model", "OK", f"{provider.model!r} answered (the server lists no models)")
    if provider.model in ids:
        return CheckResult("model", "OK", f"{provider.model!r} is listed and answered")
    return CheckResult(
        "model",
        "WARN",
        f"{provider.model!r} answered but is not in the server's list ({_some_models(ids)})",
        f"set {_entry(provider, 'model')} to the listed name, so it keeps working if aliases change",
    )


# --- answers -------------------------------------------------------------------------------------


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
            _failure_text(failure),
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
            f"a streamed request failed: {_failure_text(failure)}",
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
            f"declare {_entry(provider, 'capabilities: {streaming: false}')} and keep it out of profiles "
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
        f"set {_entry(provider, 'capabilities: {tools: false}')} (it declares tools: true), "
        "or choose a model that calls tools"
        if provider.capabilities.tools
        else "choose a model that calls tools, or keep this provider out of profiles agents use"
    )
    if tools.failure is not None:
        return CheckResult(
            "tool calling", "WARN", f"a request with tools failed: {_failure_text(tools.failure)}", fix
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
        "" if provider.capabilities.tools else f"; declare {_entry(provider, 'capabilities: {tools: true}')}"
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
            f"set {_entry(provider, _NOT_THINKING)} or use a model that thinks",
        )
    return CheckResult("reasoning", "OK", "not requested (the provider is not declared to think)")


def _openai_reasoning(
    provider: ProviderConfig, message: Mapping[str, Any], thinking_expected: bool
) -> CheckResult:
    standard = next(
        (f for f in STANDARD_REASONING_FIELDS if isinstance(message.get(f), str) and message[f]), None
    )
    if standard is not None:
        hint = "" if thinking_expected else f"; declare {_entry(provider, 'capabilities: {thinking: true}')}"
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
            f"add {_entry(provider, 'output_filters: [strip_thinking]')}",
        )
    if thinking_expected:
        return CheckResult(
            "reasoning",
            "WARN",
            "declared to think, but the answer carried no reasoning",
            f"set {_entry(provider, 'capabilities.reasoning_control')} (openai | provider_specific) so "
            f"thinking requests ask for it, or {_entry(provider, _NOT_THINKING)}",
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
    no_cache = _entry(provider, "capabilities: {prompt_cache: false}")
    fix = (
        f"informational; it declares prompt_cache: true, so set {no_cache}"
        if provider.capabilities.prompt_cache
        else "informational: cache hits (if any) are not counted or priced as discounted"
    )
    return CheckResult("prompt cache", "WARN", f"usage has no {where}", fix)


def _context_from_models(provider: ProviderConfig, models: Answer | None) -> int | None:
    data = (models.payload or {}).get("data") if models is not None else None
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or entry.get("id") != provider.model:
            continue
        for source in (entry, entry.get("top_provider")):
            if isinstance(source, dict):
                for field in CONTEXT_FIELDS:
                    value = source.get(field)
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        return value
    return None


def _context_from_ollama(show: Answer | None) -> int | None:
    info = (show.payload or {}).get("model_info") if show is not None else None
    if not isinstance(info, dict):
        return None
    for key, value in info.items():
        if key.endswith(".context_length") and isinstance(value, int) and value > 0:
            return value
    return None


def _num_ctx(provider: ProviderConfig) -> int | None:
    options = provider.extra_body.get("options")
    value = options.get("num_ctx") if isinstance(options, dict) else None
    return value if isinstance(value, int) else None


def judge_context(provider: ProviderConfig, models: Answer | None, show: Answer | None) -> CheckResult:
    ollama = _context_from_ollama(show)
    if ollama is not None:
        num_ctx = _num_ctx(provider)
        if num_ctx is None:
            size = min(ollama, SUGGESTED_NUM_CTX)
            return CheckResult(
                "context length",
                "WARN",
                f"the model takes {ollama} tokens, but Ollama serves its small default num_ctx unless told",
                f"add {_entry(provider, f'extra_body: {{options: {{num_ctx: {size}}}}}')}",
            )
        return CheckResult("context length", "OK", f"num_ctx {num_ctx} of the model's {ollama} tokens")
    listed = _context_from_models(provider, models)
    if listed is not None:
        return CheckResult("context length", "OK", f"{listed} tokens (from the model list)")
    return CheckResult("context length", "SKIP", "the backend does not report it")


_LATER_CHECKS = (
    "model",
    "plain reply",
    "streaming",
    "tool calling",
    "reasoning",
    "prompt cache",
    "context length",
)


def judge_provider(
    provider: ProviderConfig, key_present: bool, observed: Observed, *, thinking_expected: bool
) -> list[CheckResult]:
    """Every provider line, in a fixed order; a probe not sent (``None``) is a SKIP."""
    if provider.api_key_env and not key_present:
        return judge_missing_key(provider)
    plain = observed.plain or Answer(failure=ProbeFailure("unreachable", "not probed"))
    results = [
        judge_reachable(provider, plain),
        judge_authenticated(provider, plain),
        judge_model(provider, plain, observed.models),
        judge_plain_reply(provider, plain),
    ]
    if plain.failure is not None:
        why = "not probed: the plain request failed"
        return results + [CheckResult(c, "SKIP", why) for c in _LATER_CHECKS[2:]]
    skipped = CheckResult("", "SKIP", "not probed")
    results.append(
        judge_stream(provider, observed.stream) if observed.stream else _named(skipped, "streaming")
    )
    results.append(
        judge_tools(provider, observed.tools) if observed.tools else _named(skipped, "tool calling")
    )
    results.append(judge_reasoning(provider, plain, thinking_expected))
    results.append(judge_cache_usage(provider, plain))
    results.append(judge_context(provider, observed.models, observed.show))
    return results


def _named(result: CheckResult, check: str) -> CheckResult:
    return CheckResult(check, result.verdict, result.detail, result.fix)


def render_section(title: str, results: Sequence[CheckResult]) -> list[str]:
    lines = [title]
    for result in results:
        lines.append(f"  {result.verdict:<4}  {result.check:<15} {result.detail}")
        if result.fix and result.verdict in ("WARN", "FAIL"):
            lines.append(f"  {'':<4}  {'':<15} fix: {result.fix}")
    return lines


def render_summary(results: Sequence[CheckResult]) -> str:
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("OK", "WARN", "FAIL", "SKIP")}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n) + f": {worst(results)}"
