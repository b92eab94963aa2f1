"""`doctor`'s verdicts on one provider: reachable, authenticated, model, context length, and the
whole list of its lines in a fixed order.

Pure: every function takes what was observed (see ``doctor_results``) and returns results; the
probing lives in ``doctor_probes`` and the printing and exit status in ``doctor_command``.
"""

from __future__ import annotations

from collections.abc import Sequence

from coderouter_supervisor.supervisor.commands.doctor.answers import (
    judge_cache_usage,
    judge_plain_reply,
    judge_reasoning,
    judge_stream,
    judge_tools,
)
from coderouter_supervisor.supervisor.commands.doctor.results import (
    Answer,
    CheckResult,
    Observed,
    ProbeFailure,
    entry,
    failure_text,
    is_auth_failure,
    is_model_failure,
)
from coderouter_supervisor.worker.config import ProviderConfig

CONTEXT_FIELDS = ("context_length", "max_model_len", "max_context_length", "context_window")
# Ollama serves every model with a small default num_ctx unless the request says otherwise.
SUGGESTED_NUM_CTX = 32768
_MODELS_SHOWN = 8
# The lines after reachable and authenticated, in report order.
_LATER_CHECKS = (
    "model",
    "plain reply",
    "streaming",
    "tool calling",
    "reasoning",
    "prompt cache",
    "context length",
)


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
            f"start the backend, or correct {entry(provider, 'base_url')} (now {provider.base_url})",
        )
    if failure is not None and failure.kind == "timeout":
        return CheckResult(
            "reachable",
            "FAIL",
            f"connected, but no answer in time: {failure.message}",
            "a local backend may still be loading the model: retry, or raise "
            f"{entry(provider, 'timeout_s')} (now {provider.timeout_s:g})",
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
            fix = f"this server wants a key: set {entry(provider, 'api_key_env: NAME')} and export NAME=..."
        return CheckResult("authenticated", "FAIL", f"not authenticated ({failure_text(failure)})", fix)
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
            hint = f"set {entry(provider, 'model')} to one the server lists: {_some_models(ids)}"
        else:
            hint = f"set {entry(provider, 'model')} to a model the server has (see its GET /models)"
        return CheckResult(
            "model", "FAIL", f"model {provider.model!r} not found ({failure_text(plain.failure)})", hint
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
        f"set {entry(provider, 'model')} to the listed name, so it keeps working if aliases change",
    )


def _context_from_models(provider: ProviderConfig, models: Answer | None) -> int | None:
    data = (models.payload or {}).get("data") if models is not None else None
    for listed in data if isinstance(data, list) else []:
        if not isinstance(listed, dict) or listed.get("id") != provider.model:
            continue
        for source in (listed, listed.get("top_provider")):
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
                f"add {entry(provider, f'extra_body: {{options: {{num_ctx: {size}}}}}')}",
            )
        return CheckResult("context length", "OK", f"num_ctx {num_ctx} of the model's {ollama} tokens")
    listed = _context_from_models(provider, models)
    if listed is not None:
        return CheckResult("context length", "OK", f"{listed} tokens (from the model list)")
    return CheckResult("context length", "SKIP", "the backend does not report it")


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
    results.append(
        judge_stream(provider, observed.stream)
        if observed.stream
        else CheckResult("streaming", "SKIP", "not probed")
    )
    results.append(
        judge_tools(provider, observed.tools)
        if observed.tools
        else CheckResult("tool calling", "SKIP", "not probed")
    )
    results.append(judge_reasoning(provider, plain, thinking_expected))
    results.append(judge_cache_usage(provider, plain))
    results.append(judge_context(provider, observed.models, observed.show))
    return results
