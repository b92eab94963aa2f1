"""The one-screen summary `check` prints for a valid config."""

from __future__ import annotations

from collections.abc import Mapping

from coderouter_supervisor.worker.config import CodeRouterConfig, LoadedConfig, RuleMatcher, read_api_key


def _matcher_text(match: RuleMatcher) -> str:
    fields = match.model_dump(exclude_none=True)
    return ", ".join(f"{key}={value!r}" for key, value in fields.items())


def render_summary(loaded: LoadedConfig) -> str:
    config = loaded.config
    lines = [f"{loaded.source}: OK (digest {loaded.digest})", "", f"providers ({len(config.providers)}):"]
    width = max(len(p.name) for p in config.providers)
    for provider in config.providers:
        notes = ["paid" if provider.paid else "free"]
        if provider.api_key_env:
            notes.append(f"key from ${provider.api_key_env}")
        if provider.cost and provider.cost.monthly_budget_usd is not None:
            notes.append(f"budget ${provider.cost.monthly_budget_usd:g}/month")
        lines.append(
            f"  {provider.name:<{width}}  {provider.kind:<13}  {provider.model}  "
            f"@ {provider.base_url}  ({', '.join(notes)})"
        )
    lines += ["", f"profiles ({len(config.profiles)}), default: {config.default_profile}"]
    for profile in config.profiles:
        marker = "*" if profile.name == config.default_profile else " "
        lines.append(f" {marker}{profile.name}: {' -> '.join(profile.providers)}")
    if config.mode_aliases:
        aliases = ", ".join(f"{mode}={profile}" for mode, profile in config.mode_aliases.items())
        lines += ["", f"modes: {aliases}"]
    router = config.auto_router
    if config.default_profile == "auto" or router is not None:
        lines += [""]
        if router is None or not router.rules:
            lines.append("auto router: bundled rules")
        else:
            state = " (disabled)" if router.disabled else ""
            lines.append(f"auto router{state}: {len(router.rules)} rules, else {router.default_rule_profile}")
            for rule in router.rules:
                lines.append(f"  {rule.id}: {_matcher_text(rule.match)} -> {rule.profile}")
    lines += ["", f"paid providers {'allowed' if config.allow_paid else 'blocked (allow_paid: false)'}"]
    process = config.supervisor.model_dump(exclude_none=True, exclude={"providers"})
    if process:
        lines.append("supervisor: " + ", ".join(f"{key}={value}" for key, value in process.items()))
    return "\n".join(lines)


def unset_key_warnings(config: CodeRouterConfig, env: Mapping[str, str]) -> list[str]:
    """One line per provider whose ``api_key_env`` is unset or empty in ``env``: a valid config,
    but every request will skip that provider (``skip-missing-api-key``) until the key is set."""
    return [
        f"warning: provider {p.name!r} takes its key from ${p.api_key_env}, which is not set here; "
        "requests skip it until it is set where the gateway runs"
        for p in config.providers
        if p.api_key_env and read_api_key(p, env) is None
    ]
