"""`doctor`'s probes: a few small requests per provider, every provider at once, each time-limited.

Each probe is cheap (an output limit of 16 to 64 tokens, one short message, in the words of the
provider kind's dialect) and waits at most the doctor's ``--timeout`` (or the provider's
``timeout_s`` when shorter). What came back becomes an :class:`Answer` or :class:`StreamAnswer`
for ``doctor_checks`` to judge; errors arrive typed and with the key already cut out of their
message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from coderouter_supervisor.supervisor.commands.doctor.checks import CONTEXT_FIELDS
from coderouter_supervisor.supervisor.commands.doctor.dialects import dialect_for
from coderouter_supervisor.supervisor.commands.doctor.probe import (
    probe_answer,
    probe_models,
    probe_ollama_details,
    probe_stream,
)
from coderouter_supervisor.supervisor.commands.doctor.results import (
    Answer,
    Observed,
    ProbeFailure,
    StreamAnswer,
    probing_stops,
)
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.errors import (
    MidStreamFailure,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.providers import ProviderCall, UpstreamClient, upstream_client


def probe_failure(error: UpstreamError) -> ProbeFailure:
    if isinstance(error, UpstreamConnectError):
        return ProbeFailure("unreachable", error.message)
    if isinstance(error, UpstreamTimeout):
        return ProbeFailure("timeout", error.message)
    if isinstance(error, MidStreamFailure):
        return ProbeFailure("mid-stream", error.message)
    if isinstance(error, UpstreamHTTPError):
        return ProbeFailure("http", error.message, error.upstream_status)
    return ProbeFailure("bad-answer", error.message)


async def _answer(request: Awaitable[dict[str, Any]]) -> Answer:
    try:
        return Answer(payload=await request)
    except UpstreamError as error:
        return Answer(failure=probe_failure(error))


async def _stream(http: UpstreamClient, call: ProviderCall, timeout_s: float) -> StreamAnswer:
    body = dialect_for(call.provider).plain_body(call.provider, thinking=False)
    try:
        streamed = await probe_stream(http, call, body, timeout_s=timeout_s)
    except UpstreamError as error:
        return StreamAnswer(failure=probe_failure(error))
    failure = probe_failure(streamed.broke_off) if streamed.broke_off is not None else None
    return StreamAnswer(streamed.payloads, streamed.saw_done, failure)


def _lists_context(provider: ProviderConfig, models: Answer) -> bool:
    data = (models.payload or {}).get("data")
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    return any(e.get("id") == provider.model and any(f in e for f in CONTEXT_FIELDS) for e in entries)


async def observe_provider(
    http: UpstreamClient,
    provider: ProviderConfig,
    api_key: str | None,
    *,
    timeout_s: float,
    thinking: bool,
) -> Observed:
    """Every probe for one provider: the plain request first, the rest only when it got an answer."""
    call = ProviderCall(provider, ProfileConfig(name="doctor", providers=(provider.name,)), api_key)
    limit = min(timeout_s, provider.timeout_s)
    dialect = dialect_for(provider)
    plain_body = dialect.plain_body(provider, thinking=thinking)
    plain = await _answer(probe_answer(http, call, plain_body, timeout_s=limit))
    if probing_stops(plain.failure):
        return Observed(plain=plain)
    models = await _answer(probe_models(http, call, timeout_s=limit))
    if plain.failure is not None:
        return Observed(plain=plain, models=models)
    stream, tools = await asyncio.gather(
        _stream(http, call, limit),
        _answer(probe_answer(http, call, dialect.tools_body(provider), timeout_s=limit)),
    )
    show = None
    if dialect.may_be_ollama and not _lists_context(provider, models):
        show = await _answer(probe_ollama_details(http, call, timeout_s=limit))
    return Observed(plain=plain, models=models, stream=stream, tools=tools, show=show)


async def observe_providers(
    providers: Sequence[ProviderConfig],
    keys: Mapping[str, str | None],
    thinking: Mapping[str, bool],
    *,
    timeout_s: float,
) -> dict[str, Observed]:
    """Probe every provider that has its key, all at once; one client for the whole run."""
    async with upstream_client() as http:
        ready = [p for p in providers if not p.api_key_env or keys.get(p.name)]
        found = await asyncio.gather(
            *(
                observe_provider(http, p, keys.get(p.name), timeout_s=timeout_s, thinking=thinking[p.name])
                for p in ready
            )
        )
    return {p.name: observed for p, observed in zip(ready, found, strict=True)}
