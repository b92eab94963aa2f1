"""What both ingresses do once a request is valid: profile, guards, chain, attempts, explanation.

The two ingresses differ only in wire shapes (:class:`Ingress`); every routing decision is made
here, once, so a providers.yaml routes the same whichever protocol a request came in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal

from starlette.requests import Request

from coderouter_supervisor.state import ClientKey
from coderouter_supervisor.worker.adapters import ClientProtocol
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.errors import (
    KeyBudgetExhausted,
    NoProviderLeft,
    PermissionDenied,
    ToolLoopBroken,
)
from coderouter_supervisor.worker.gateway import gateway_of
from coderouter_supervisor.worker.guards import detect_tool_loop
from coderouter_supervisor.worker.ingress.body import M, validate_body
from coderouter_supervisor.worker.ingress.key_limits import admit_key_request
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.providers import FailedAttempt, ProviderCall, read_api_key
from coderouter_supervisor.worker.routing import (
    ChainPlan,
    RequestTraits,
    Reservation,
    blocked_error,
    missing_keys,
    plan_events,
    request_has_cache_control,
    resolve_chain,
    select_profile,
)
from coderouter_supervisor.worker.telemetry import (
    AttemptRecorder,
    RequestShape,
    current_client_key,
    emit_event,
    is_priced,
    request_worst_case,
)
from coderouter_supervisor.worker.translate import InputBound, input_token_bound


async def authorize(request: Request) -> ClientKey | None:
    """Authenticate the request and scope its events to the key's name."""
    key = await gateway_of(request).keys.authenticate(request.headers)
    request.state.client_key = key
    if key is not None:
        current_client_key.set(key.name)
    return key


def check_profile(request: Request, profile: ProfileConfig) -> None:
    """Raises :class:`PermissionDenied` when the caller's key may not use ``profile``."""
    key: ClientKey | None = getattr(request.state, "client_key", None)
    if key is not None and key.profiles is not None and profile.name not in key.profiles:
        allowed = ", ".join(key.profiles)
        raise PermissionDenied(
            f"client key {key.name!r} may not use profile {profile.name!r}; allowed: {allowed}"
        )


@dataclass(frozen=True)
class RoutedRequest(Generic[M]):
    """A request ready for the attempt loop. ``body`` is the raw body as the guards left it and
    ``parsed`` its validated model (validated again when a guard rewrote it)."""

    profile: ProfileConfig
    body: dict[str, Any]
    parsed: M
    calls: tuple[ProviderCall, ...]
    skipped: tuple[FailedAttempt, ...]
    recorder: AttemptRecorder


def choose_profile(request: Request, body: dict[str, Any], model: str | None) -> ProfileConfig:
    """The profile for ``body``; emits how it was chosen when a mode alias or the auto router did."""
    config = gateway_of(request).config.config
    key: ClientKey | None = getattr(request.state, "client_key", None)
    allowed = None if key is None else key.profiles
    choice = select_profile(config, body=body, headers=request.headers, model=model, allowed=allowed)
    request.state.profile = choice.profile.name  # for the headers of an error answer
    check_profile(request, choice.profile)
    if choice.from_key:
        emit_event("client-key-profile", profile=choice.profile.name)
    if choice.mode is not None:
        emit_event("mode-alias-resolved", mode=choice.mode, profile=choice.profile.name)
    if choice.auto is not None:
        name, fields = choice.auto.event()
        emit_event(name, "info", **fields)
    return choice.profile


def guard_tool_loop(profile: ProfileConfig, body: dict[str, Any], client: ClientProtocol) -> dict[str, Any]:
    """The body to send after the profile's tool-loop guard; raises :class:`ToolLoopBroken` on ``break``."""
    messages = body.get("messages")
    uses = client.tool_uses(messages)
    loop = detect_tool_loop(uses, window=profile.tool_loop_window, threshold=profile.tool_loop_threshold)
    if loop is None:
        return body
    emit_event(
        "tool-loop-detected",
        "warning",
        profile=profile.name,
        tool_name=loop.tool_name,
        repeat_count=loop.repeat_count,
        threshold=profile.tool_loop_threshold,
        window=profile.tool_loop_window,
        action=profile.tool_loop_action,
    )
    if profile.tool_loop_action == "break":
        raise ToolLoopBroken(
            profile=profile.name,
            tool_name=loop.tool_name,
            repeat_count=loop.repeat_count,
            threshold=profile.tool_loop_threshold,
            window=profile.tool_loop_window,
        )
    if profile.tool_loop_action == "inject":
        return client.with_loop_hint(body)
    return body


def _thinking(body: dict[str, Any]) -> Literal["enabled", "adaptive"] | None:
    """The thinking a request asks for: Anthropic ``thinking``, or OpenAI ``reasoning_effort``."""
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind == "enabled":
        return "enabled"
    if kind == "adaptive":
        return "adaptive"
    effort = body.get("reasoning_effort")
    return "enabled" if isinstance(effort, str) and effort not in ("none", "minimal") else None


def _traits(body: dict[str, Any], client: ClientProtocol, cache_control: bool) -> RequestTraits:
    markers = client.keeps_cache_markers and cache_control
    return RequestTraits(thinking=_thinking(body), cache_control=markers)


def message_count(body: dict[str, Any]) -> int:
    """How many messages ``body`` carries: the weight :func:`run_step` gives a walk over it."""
    messages = body.get("messages")
    return len(messages) if isinstance(messages, list) else 0


async def plan_chain(
    request: Request,
    profile: ProfileConfig,
    body: dict[str, Any],
    client: ClientProtocol,
    *,
    cache_control: bool,
) -> ChainPlan:
    """The profile's chain after every gate and reorder, each explained by one event.
    ``cache_control``: whether ``body`` carries prompt-cache markers (the caller has walked it)."""
    gateway = gateway_of(request)
    now = time.time()
    facts = await gateway.facts.snapshot(profile.providers, now, observations=profile.adaptive)
    config = gateway.config.config
    plan = resolve_chain(
        config,
        profile,
        facts,
        now,
        traits=_traits(body, client, cache_control),
        registry=gateway.capabilities,
        rank_memory=gateway.rank_memory.get(profile.name),
        missing_keys=missing_keys(config, profile, os.environ),
    )
    if plan.adaptive is not None:
        gateway.rank_memory[profile.name] = plan.adaptive.memory
    for event in plan_events(plan):
        emit_event(event.name, event.level, **event.fields)
    return plan


async def route_request(
    request: Request,
    body: dict[str, Any],
    parsed: M,
    *,
    client: ClientProtocol,
) -> RoutedRequest[M]:
    """Profile, tool-loop guard and chain for ``body`` (``parsed`` is it validated), and the
    recorder for its attempts, in ``client``'s protocol. Budget holds reserve for the output limit
    every attempt sends upstream (per choice, for every choice asked).

    Raises :class:`InvalidRequest` (unknown profile, or a body a guard rewrote into an invalid one),
    :class:`ToolLoopBroken`,
    :class:`NoProviderLeft` when the gates left nothing to try, :class:`KeyRateLimited` or
    :class:`KeyBudgetExhausted`. Once it returns, the recorder's ``close`` must run (it releases
    the key's slot and budget hold).
    """
    gateway = gateway_of(request)
    profile = choose_profile(request, body, client.requested_model(parsed))
    # Walks over every message run off the event loop for a long conversation (see ``offload``).
    weight = message_count(body)
    guarded = await run_step(weight, guard_tool_loop, profile, body, client)
    if guarded is not body:
        # Before any slot or hold is taken, so a refusal here has nothing to give back.
        parsed = validate_body(type(parsed), guarded)
    cache_control = await run_step(weight, request_has_cache_control, guarded)
    plan = await plan_chain(request, profile, guarded, client, cache_control=cache_control)
    if not plan.attempts:
        raise blocked_error(plan)
    tuning = gateway.config.config.supervisor.providers
    beta = request.headers.get("anthropic-beta")
    version = request.headers.get("anthropic-version")
    calls = tuple(
        ProviderCall(
            attempt.provider,
            profile,
            read_api_key(attempt.provider, os.environ),
            anthropic_beta=beta,
            anthropic_version=version,
            drop_thinking=attempt.drop_thinking,
            first_token_timeout_s=tuning[attempt.name].first_token_timeout_s
            if attempt.name in tuning
            else None,
            max_answer_bytes=gateway.max_upstream_answer_bytes,
        )
        for attempt in plan.attempts
    )
    suffixes = [call.system_suffix or "" for call in calls]
    longest_suffix = max(suffixes, key=lambda text: len(text.encode()))
    priced = any(is_priced(call.provider.cost) for call in calls)
    shape = RequestShape(
        # Only a priced provider's hold or estimate reads the bound, and it walks every text.
        input=await run_step(weight, input_token_bound, guarded, extra_text=longest_suffix)
        if priced
        else InputBound(0),
        max_tokens=client.output_limit(parsed),
        streaming=client.streaming(parsed),
        cache_control=cache_control,
        choices=client.choices(parsed),
    )
    key: ClientKey | None = getattr(request.state, "client_key", None)
    calls, unchecked = drop_unchecked_spend(gateway.facts.problem, key, calls, shape)
    slot = await admit_key_request(gateway, key)
    try:
        key_hold = await hold_key_budget(request, [call.provider for call in calls], shape)
    except BaseException:
        if slot is not None:
            await slot.release()
        raise
    return RoutedRequest(
        profile=profile,
        body=guarded,
        parsed=parsed,
        calls=calls,
        skipped=(
            *(FailedAttempt(name, deferred="thinking") for name in plan.deferred_for_thinking),
            *(FailedAttempt(skip.provider, skipped=skip.reason) for skip in plan.skips),
            *unchecked,
        ),
        recorder=AttemptRecorder(
            gateway.facts,
            profile,
            shape,
            key_ledger=None if key is None else KEY_LEDGER_PREFIX + key.name,
            key_hold=key_hold,
            key_budget_usd=None if key is None else key.monthly_budget_usd,
            release_slot=None if slot is None else slot.release,
        ),
    )


KEY_LEDGER_PREFIX = "key:"


def drop_unchecked_spend(
    problem: str | None, key: ClientKey | None, calls: tuple[ProviderCall, ...], shape: RequestShape
) -> tuple[tuple[ProviderCall, ...], tuple[FailedAttempt, ...]]:
    """While the state file is unusable (``problem``) a key's budget cannot be held, so that key's
    request may only go to providers that cost nothing; the others are skipped as ``state-unavailable``.
    Raises :class:`NoProviderLeft` naming the cause when none is left."""
    if problem is None or key is None or key.monthly_budget_usd is None:
        return calls, ()
    free = tuple(call for call in calls if request_worst_case([call.provider], shape) <= 0)
    if not free:
        raise _budget_unchecked(key, problem)
    return free, tuple(
        FailedAttempt(call.name, skipped="state-unavailable", detail=problem)
        for call in calls
        if call not in free
    )


def _budget_unchecked(key: ClientKey, problem: str) -> NoProviderLeft:
    emit_event("key-budget-unavailable", "warning", error=problem)
    return NoProviderLeft(
        f"client key {key.name!r} has a monthly budget, which cannot be checked while the state file "
        f"is unusable: {problem}"
    )


async def hold_key_budget(
    request: Request, providers: Sequence[ProviderConfig], shape: RequestShape
) -> Reservation | None:
    """Reserve the request's worst case against the caller's key budget (same exact ledger as
    providers, under ``key:NAME``); raises :class:`KeyBudgetExhausted` when it does not fit and
    :class:`NoProviderLeft` when the state file cannot say (a budget that cannot be checked is not lifted)."""
    key: ClientKey | None = getattr(request.state, "client_key", None)
    if key is None or key.monthly_budget_usd is None:
        return None
    worst = request_worst_case(providers, shape)
    if worst <= 0:
        return None  # only free providers in the chain: nothing to hold
    now = time.time()
    facts = gateway_of(request).facts
    hold = await facts.reserve_spend(KEY_LEDGER_PREFIX + key.name, worst, key.monthly_budget_usd, now)
    if hold is None and facts.problem is not None:  # the state file failed since the request was planned
        raise _budget_unchecked(key, facts.problem)
    if hold is None:
        emit_event("key-budget-exceeded", "warning", monthly_budget_usd=key.monthly_budget_usd)
        raise KeyBudgetExhausted(
            f"client key {key.name!r} has spent its monthly budget of ${key.monthly_budget_usd:g}; "
            f"it resets at the start of the next UTC month",
            resets_in_s=seconds_to_next_month(now),
        )
    return hold


def seconds_to_next_month(now: float) -> float:
    today = datetime.fromtimestamp(now, UTC)
    first = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=UTC)
    return first.timestamp() - now


def explain_headers(
    profile: ProfileConfig, call: ProviderCall, passed: Sequence[FailedAttempt]
) -> dict[str, str]:
    """``X-CodeRouter-*`` headers: which profile and provider answered, and what was passed over first."""
    headers = {"x-coderouter-profile": profile.name, "x-coderouter-provider": call.name}
    if passed:
        tried = [f.chain_entry for f in passed]
        headers["x-coderouter-fallback-chain"] = ", ".join([*tried, f"{call.name};ok"])
    return headers
