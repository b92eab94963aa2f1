"""A provider's key is read from the environment for every request, never kept from an earlier one:
a key set, changed or unset while the worker runs counts for the next request."""

from __future__ import annotations

from typing import Any, cast

from starlette.datastructures import Headers

from coderouter_supervisor.worker.config import parse_config
from coderouter_supervisor.worker.engine import Caller, EngineContext, provider_call
from coderouter_supervisor.worker.routing import CapabilityRegistry, bundled_rules, missing_keys

CONFIG_TEXT = """
default_profile: main
providers:
  - {name: keyed, kind: anthropic, base_url: "http://127.0.0.1:1", model: m, api_key_env: KEYED_KEY}
  - {name: keyless, base_url: "http://127.0.0.1:1/v1", model: m}
profiles:
  - {name: main, providers: [keyed, keyless]}
"""


def _context(env: dict[str, str]) -> EngineContext:
    config = parse_config(CONFIG_TEXT, "providers.yaml", {}).config
    unused = cast(Any, None)  # provider_call and missing_keys reach no store, cache or client
    return EngineContext(
        config=config,
        facts=unused,
        store=unused,
        http=unused,
        capabilities=CapabilityRegistry(bundled_rules()),
        worker_id=lambda: 1,
        max_upstream_answer_bytes=1024,
        env=env,
    )


def test_a_changed_key_goes_with_the_next_call() -> None:
    env = {"KEYED_KEY": "sk-old"}
    ctx = _context(env)
    profile, keyed = ctx.config.profile("main"), ctx.config.provider("keyed")
    caller = Caller(None, Headers())
    assert provider_call(ctx, caller, profile, keyed).api_key == "sk-old"
    env["KEYED_KEY"] = " sk-new\n"
    assert provider_call(ctx, caller, profile, keyed).api_key == "sk-new"


def test_a_key_set_or_unset_while_running_changes_the_next_requests_skips() -> None:
    env: dict[str, str] = {}
    ctx = _context(env)
    profile = ctx.config.profile("main")
    assert missing_keys(ctx.config, profile, ctx.env) == {"keyed"}
    env["KEYED_KEY"] = "sk-set"
    assert missing_keys(ctx.config, profile, ctx.env) == frozenset()
    env["KEYED_KEY"] = "  "
    assert missing_keys(ctx.config, profile, ctx.env) == {"keyed"}
