"""Reasoning verdicts the OpenAI-style dialects share: the dialects decide where reasoning may arrive,
these say what it means when it arrived there, as text, or not at all."""

from __future__ import annotations

from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, entry
from coderouter_supervisor.worker.config import ProviderConfig

NOT_THINKING = "capabilities: {thinking: false}"


def reasoning_arrived(provider: ProviderConfig, where: str, thinking_expected: bool) -> CheckResult:
    """Reasoning came back where the gateway reads it (``where``, as the line names it)."""
    hint = "" if thinking_expected else f"; declare {entry(provider, 'capabilities: {thinking: true}')}"
    return CheckResult("reasoning", "OK", f"reasoning arrives in {where}{hint}")


def reasoning_in_text(provider: ProviderConfig, text: str) -> CheckResult | None:
    """A WARN when the answer's text carries ``<think>`` tags, else None."""
    if "<think>" not in text:
        return None
    return CheckResult(
        "reasoning",
        "WARN",
        "reasoning is written into the text as <think>…</think>",
        f"add {entry(provider, 'output_filters: [strip_thinking]')}",
    )


NO_REASONING_UNDECLARED = CheckResult("reasoning", "OK", "no reasoning in the answer (none declared)")
