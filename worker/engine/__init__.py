"""The engine: plan a request, admit its client key, hold budgets, try providers in order, settle.

Its functions take explicit collaborators (:class:`EngineContext`: config, state store, provider
facts, HTTP client, clock; :class:`Caller`: the client key and headers) and the client protocol
being spoken, never a web framework's request: the ingress edge parses, calls the engine, renders.
"""

from __future__ import annotations

from coderouter_supervisor.worker.engine.answers import Answer, StreamSession, answer_whole, open_stream
from coderouter_supervisor.worker.engine.attempts import FailedAttempt
from coderouter_supervisor.worker.engine.context import SYSTEM_CLOCK, Caller, Clock, EngineContext
from coderouter_supervisor.worker.engine.fact_cache import FactCache, FactStore, HealthChange
from coderouter_supervisor.worker.engine.key_admission import KeySlot, refusal_message
from coderouter_supervisor.worker.engine.planning import (
    RoutedRequest,
    guard_request,
    message_count,
    plan_chain,
    provider_call,
    route_request,
)
from coderouter_supervisor.worker.engine.profile_choice import accept_profile, select_request_profile
from coderouter_supervisor.worker.engine.recorder import AttemptRecorder

__all__ = [
    "SYSTEM_CLOCK",
    "Answer",
    "AttemptRecorder",
    "Caller",
    "Clock",
    "EngineContext",
    "FactCache",
    "FactStore",
    "FailedAttempt",
    "HealthChange",
    "KeySlot",
    "RoutedRequest",
    "StreamSession",
    "accept_profile",
    "answer_whole",
    "guard_request",
    "message_count",
    "open_stream",
    "plan_chain",
    "provider_call",
    "refusal_message",
    "route_request",
    "select_request_profile",
]
