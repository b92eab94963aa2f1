"""Planning one request: its profile, the tool-loop guard, its chain of provider calls, the client
key's admission and budget hold.

Client protocols differ only in wire shapes (:class:`ClientProtocol`); every routing decision is
made here, once, so a providers.yaml routes the same whichever protocol a request came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from coderouter_supervisor.state import ClientKey
from coderouter_supervisor.worker.adapters import CHOICE_ANSWERING_KINDS, ClientProtocol, adapter_for
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig, read_api_key
from coderouter_supervisor.worker.engine.attempts import FailedAttempt
from coderouter_supervisor.worker.engine.context import Caller, EngineContext
from coderouter_supervisor.worker.engine.key_admission import admit_key_request
from coderouter_supervisor.worker.engine.recorder import AttemptRecorder
from coderouter_supervisor.worker.errors import ToolLoopBroken
from coderouter_supervisor.worker.guards import detect_tool_loop
from coderouter_supervisor.worker.money import (
    RequestShape,
    barred_while_unchecked,
    hold_key_budget,
    is_priced,
)
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.routing import (
    ChainPlan,
    RequestTraits,
    blocked_error,
    missing_keys,
    plan_events,
    request_has_cache_control,
    resolve_chain,
)
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import InputBound, input_token_bound

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RoutedRequest(Generic[M]):
    """A request ready for the attempt loop. ``body`` is the raw body as the guards left it and
    ``parsed`` its validated model."""

    profile: ProfileConfig
    body: dict[str, Any]
    parsed: M
    calls: tuple[ProviderCall, ...]
    skipped: tuple[FailedAttempt, ...]
    recorder: AttemptRecorder


def guard_tool_loop(profile: ProfileConfig, body: dict[str, Any], client: ClientProtocol) -> dict[str, Any]:
    """The body to send after the profile's tool-loop guard; raises :class:`ToolLoopBroken` on ``break``."""
    loop = detect_tool_loop(
        client.tool_uses(body),
        window=profile.tool_loop_window,
        threshold=profile.tool_loop_threshold,
    )
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


async def guard_request(
    profile: ProfileConfig, body: dict[str, Any], client: ClientProtocol
) -> dict[str, Any]:
    """:func:`guard_tool_loop`, off the event loop for a long conversation (see ``offload``). A body
    it returns other than ``body`` was rewritten, and must be validated again."""
    return await run_step(message_count(body), guard_tool_loop, profile, body, client)


def _thinking(body: dict[str, Any]) -> Literal["enabled", "adaptive"] | None:
    """The thinking a request asks for: Anthropic ``thinking``, OpenAI ``reasoning_effort`` or
    Responses ``reasoning.effort``."""
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind == "enabled":
        return "enabled"
    if kind == "adaptive":
        return "adaptive"
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else body.get("reasoning_effort")
    return "enabled" if isinstance(effort, str) and effort not in ("none", "minimal") else None


def message_count(body: dict[str, Any]) -> int:
    """How many messages ``body`` carries: the weight :func:`run_step` gives a walk over it."""
    messages = body.get("messages")
    return len(messages) if isinstance(messages, list) else 0


async def plan_chain(
    ctx: EngineContext,
    profile: ProfileConfig,
    body: dict[str, Any],
    client: ClientProtocol,
    *,
    cache_control: bool,
) -> ChainPlan:
    """The profile's chain after every gate and reorder, each explained by one event.
    ``cache_control``: whether ``body`` carries prompt-cache markers (the caller has walked it)."""
    now = ctx.clock.wall()
    facts = await ctx.facts.read_chain_facts(profile.providers, now, observations=profile.adaptive)
    plan = resolve_chain(
        ctx.config,
        profile,
        facts,
        now,
        traits=RequestTraits(
            thinking=_thinking(body), cache_control=client.keeps_cache_markers and cache_control
        ),
        registry=ctx.capabilities,
        rank_memory=ctx.rank_memory.get(profile.name),
        missing_keys=missing_keys(ctx.config, profile, ctx.env),
    )
    if plan.adaptive is not None:
        ctx.rank_memory[profile.name] = plan.adaptive.memory
    for event in plan_events(plan):
        emit_event(event.name, event.level, **event.fields)
    return plan


def provider_call(
    ctx: EngineContext,
    caller: Caller,
    profile: ProfileConfig,
    provider: ProviderConfig,
    *,
    drop_thinking: bool = False,
) -> ProviderCall:
    """The call of ``provider`` for ``caller`` under ``profile``, with the provider's own key read now
    (so a rotated key applies without restart)."""
    tuning = ctx.config.supervisor.providers.get(provider.name)
    return ProviderCall(
        provider,
        profile,
        read_api_key(provider, ctx.env),
        anthropic_beta=caller.headers.get("anthropic-beta"),
        anthropic_version=caller.headers.get("anthropic-version"),
        drop_thinking=drop_thinking,
        first_token_timeout_s=None if tuning is None else tuning.first_token_timeout_s,
        max_answer_bytes=ctx.max_upstream_answer_bytes,
    )


async def route_request(
    ctx: EngineContext,
    caller: Caller,
    client: ClientProtocol,
    profile: ProfileConfig,
    body: dict[str, Any],
    parsed: M,
) -> RoutedRequest[M]:
    """The chain for ``body`` (as the guards left it; ``parsed`` is it validated) under ``profile``,
    and the recorder for its attempts. Budget holds reserve for the output limit every attempt sends
    upstream (per choice, for every choice asked).

    Raises :class:`NoProviderLeft` when the gates left nothing to try, :class:`KeyRateLimited` or
    :class:`KeyBudgetExhausted`. Once it returns, the recorder's ``close`` must run (it releases
    the key's slot and budget hold).
    """
    # Walks over every message run off the event loop for a long conversation (see ``offload``).
    weight = message_count(body)
    cache_control = await run_step(weight, request_has_cache_control, body)
    plan = await plan_chain(ctx, profile, body, client, cache_control=cache_control)
    if not plan.attempts:
        raise blocked_error(plan)
    calls = tuple(
        provider_call(ctx, caller, profile, attempt.provider, drop_thinking=attempt.drop_thinking)
        for attempt in plan.attempts
    )
    priced = any(is_priced(call.provider.cost) for call in calls)
    shape = RequestShape(
        # Only a priced provider's hold or estimate reads the bound, and it walks every text.
        input=await run_step(weight, input_token_bound, body, extra_text=_longest_suffix(calls))
        if priced
        else InputBound(0),
        max_tokens=client.output_limit(parsed),
        streaming=client.streaming(parsed),
        cache_control=cache_control,
        choices=client.choices(parsed),
        choices_answered_by=CHOICE_ANSWERING_KINDS,
    )
    key = caller.key
    calls, unchecked = drop_unchecked_spend(ctx.facts.problem, key, calls, shape)
    slot = await admit_key_request(ctx.store, ctx.worker_id(), key, now=ctx.clock.wall())
    try:
        key_hold = (
            None
            if key is None or key.monthly_budget_usd is None
            else await hold_key_budget(
                ctx.facts,
                key.name,
                key.monthly_budget_usd,
                [call.provider for call in calls],
                shape,
                ctx.clock.wall(),
            )
        )
    except BaseException:
        if slot is not None:
            await slot.release()
        raise
    _note_dropped_fields(client, calls, parsed)
    return RoutedRequest(
        profile=profile,
        body=body,
        parsed=parsed,
        calls=calls,
        skipped=(
            *(FailedAttempt(name, deferred="thinking") for name in plan.deferred_for_thinking),
            *(FailedAttempt(skip.provider, skipped=skip.reason) for skip in plan.skips),
            *unchecked,
        ),
        recorder=AttemptRecorder(
            ctx.facts,
            profile,
            shape,
            key_name=None if key is None else key.name,
            key_hold=key_hold,
            key_budget_usd=None if key is None else key.monthly_budget_usd,
            release_slot=None if slot is None else slot.release,
            clock=ctx.clock,
        ),
    )


def _longest_suffix(calls: tuple[ProviderCall, ...]) -> str:
    """The longest system-prompt suffix (in UTF-8 bytes) any of ``calls`` adds."""
    return max((call.system_suffix or "" for call in calls), key=lambda text: len(text.encode()))


def _note_dropped_fields(client: ClientProtocol, calls: tuple[ProviderCall, ...], parsed: BaseModel) -> None:
    """One event naming the request's fields some upstream in the chain cannot honour."""
    for call in calls:
        adapter = adapter_for(client.name, call.provider.kind)
        dropped = adapter.dropped_fields(parsed)
        if dropped:
            emit_event("request-fields-dropped", fields=list(dropped), reason=adapter.dropped_reason)
            return


def drop_unchecked_spend(
    problem: str | None, key: ClientKey | None, calls: tuple[ProviderCall, ...], shape: RequestShape
) -> tuple[tuple[ProviderCall, ...], tuple[FailedAttempt, ...]]:
    """``calls`` without those money bars while the state file is unusable (``problem``), and the
    barred ones as ``state-unavailable`` skips."""
    if problem is None:
        return calls, ()
    barred = barred_while_unchecked(problem, key, [call.provider for call in calls], shape)
    return tuple(call for call in calls if call.name not in barred), tuple(
        FailedAttempt(call.name, skipped="state-unavailable", detail=problem)
        for call in calls
        if call.name in barred
    )
