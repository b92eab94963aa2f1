"""The probe dialects, one per provider kind: the one place `doctor` looks up a provider's kind."""

from __future__ import annotations

from coderouter_supervisor.supervisor.commands.doctor.anthropic_dialect import ANTHROPIC_DIALECT
from coderouter_supervisor.supervisor.commands.doctor.openai_compat_dialect import OPENAI_COMPAT_DIALECT
from coderouter_supervisor.supervisor.commands.doctor.openai_responses_dialect import OPENAI_RESPONSES_DIALECT
from coderouter_supervisor.supervisor.commands.doctor.probe_dialect import ProbeDialect
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind

DIALECTS: dict[ProviderKind, ProbeDialect] = {
    d.kind: d for d in (ANTHROPIC_DIALECT, OPENAI_COMPAT_DIALECT, OPENAI_RESPONSES_DIALECT)
}


def dialect_for(provider: ProviderConfig) -> ProbeDialect:
    """How to probe ``provider`` and read its answers (every kind has a dialect)."""
    return DIALECTS[provider.kind]
