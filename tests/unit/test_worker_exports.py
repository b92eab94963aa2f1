"""What the worker's stage packages offer each other: each ``__init__`` exports the names other
packages import, and nothing more (tests/unit/test_import_boundaries.py checks that nothing reaches
past them). adapters and engine are pinned in test_engine_boundaries.py, config, guards, protocol
and translate beside their own tests."""

from __future__ import annotations

import types

import pytest

from coderouter_supervisor.worker import ingress, money, providers, reporting, routing, telemetry

from support.exports import public_names

PINNED = {
    ingress: {
        "DASHBOARD_HTML",
        "Dispatcher",
        "Gateway",
        "GatewaySlot",
        "FrontDoor",
        "KeyRing",
        "gateway_routes",
        "is_loopback",
        "key_hash",
        "max_upstream_answer_bytes",
    },
    money: {
        "EstimateReason",
        "add_spend",
        "maybe_billed",
        "price_attempt",
        "BUDGET_HINT",
        "KEY_LEDGER_PREFIX",
        "NotAdmitted",
        "RequestShape",
        "Reservation",
        "Spend",
        "SpendLedger",
        "attempt_worst_case",
        "barred_while_unchecked",
        "cache_outcome",
        "hold_key_budget",
        "hold_provider_budget",
        "is_priced",
        "key_ledger",
        "month_key",
        "month_resets_at",
        "price_usage",
        "request_worst_case",
        "seconds_to_next_month",
        "top_up_key_budget",
        "usage_to_record",
    },
    providers: {
        "ClientStream",
        "PING_INTERVAL_S",
        "ProviderCall",
        "StreamRelay",
        "UpstreamClient",
        "UpstreamEvent",
        "anthropic_headers",
        "anthropic_messages_url",
        "anthropic_models_url",
        "count_tokens_upstream",
        "get_json",
        "ollama_show_url",
        "open_stream",
        "openai_chat_url",
        "openai_headers",
        "openai_models_url",
        "openai_responses_url",
        "upstream_client",
        "post_json",
        "read_api_key",
    },
    reporting: {
        "collect_dashboard",
        "collect_snapshot",
        "dashboard_history",
    },
    routing: {
        "BudgetStatus",
        "CapabilityRegistry",
        "ChainFacts",
        "ChainPlan",
        "ProfileChoice",
        "RequestTraits",
        "blocked_error",
        "bundled_rules",
        "can_think",
        "chain_facts_from",
        "health_from",
        "load_registry",
        "missing_keys",
        "plan_events",
        "request_has_cache_control",
        "resolve_chain",
        "select_profile",
    },
    telemetry: {
        "Gauge",
        "HEALTH_LEVEL",
        "JsonLineFormatter",
        "Level",
        "MetricRecorder",
        "MetricsSnapshot",
        "ProfileOrder",
        "RequestAnswer",
        "StateStatus",
        "Window",
        "WritePolicy",
        "WriteProfile",
        "configure_event_log",
        "current_client_key",
        "current_request_answer",
        "current_request_id",
        "emit_event",
        "events_path",
        "labels_of",
        "metrics_json",
        "month_bounds",
        "project_month",
        "prometheus_text",
        "spend_by_day",
        "traffic_chart",
        "write_policy",
    },
}


@pytest.mark.parametrize("package", list(PINNED), ids=lambda package: package.__name__.rsplit(".", 1)[-1])
def test_exports_are_pinned(package: types.ModuleType) -> None:
    assert set(package.__all__) == PINNED[package] == public_names(package)
