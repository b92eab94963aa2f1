"""What a budget hold reserves, and what an attempt whose usage never fully arrived is recorded at.

Pure. The promise: recorded spend is at least what the upstream billed and at most the cap.

* **The hold bounds the attempt.** Input is :func:`input_token_bound` of the request (one token
  per UTF-8 byte, images at their provider's ceiling, priced at the dearest input rate); output
  is the limit the gateway sends upstream (the client's, or one it injects for a priced
  provider) times the choices asked for (OpenAI ``n``, which only an OpenAI-compatible upstream
  answers). An upstream that honours its limit cannot bill more than its hold.
* **Unknown usage is recorded at the bound, never at zero.** A stream that ends without usage,
  an answer without it, an upstream that broke off or timed out once it had the request, a
  client that left: the attempt is recorded
  at the input the upstream reported (an Anthropic stream's ``message_start``) or the input
  bound, plus every output token it was allowed. A client that leaves does not stop the
  upstream at once: it generates until it notices the closed connection, and bills what it
  generated, which the gateway never sees. Reading on until usage arrives would spend money
  the client no longer wants and keep a connection per abandoned request; settling at the
  allowed output is what keeps recorded ≥ billed whatever the upstream does, at the cost of
  over-recording a request the client abandoned.
* **Only money needs the bound.** A request whose chain is all free is not measured (a walk over
  every text of every request), and a free provider's unknown usage is recorded as seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.telemetry.cost import is_priced, worst_case_cost
from coderouter_supervisor.worker.translate import InputBound, TokenUsage, UsageReport


@dataclass(frozen=True)
class RequestShape:
    """What the budget needs to know about the request: ``input`` bounds what it reads,
    ``max_tokens`` is the output limit each attempt sends upstream (per choice), ``choices``
    the answers asked for (OpenAI ``n``)."""

    input: InputBound
    max_tokens: int
    streaming: bool
    cache_control: bool
    choices: int = 1


def allowed_output_tokens(provider: ProviderConfig, shape: RequestShape) -> int:
    """The most output tokens ``provider`` may write for the request, over all its choices."""
    choices = shape.choices if provider.kind == "openai_compat" else 1  # Anthropic has no ``n``
    return shape.max_tokens * max(choices, 1)


def attempt_worst_case(provider: ProviderConfig, shape: RequestShape) -> float:
    """The most one attempt on ``provider`` can cost: what its hold reserves (0 when free)."""
    return worst_case_cost(
        provider.cost,
        input_tokens=shape.input.tokens_for(provider.kind),
        max_tokens=allowed_output_tokens(provider, shape),
    )


def request_worst_case(providers: Sequence[ProviderConfig], shape: RequestShape) -> float:
    """The most one request may cost on any of ``providers`` (0 when all are free): a key's hold."""
    return max((attempt_worst_case(p, shape) for p in providers), default=0.0)


def usage_to_record(report: UsageReport, provider: ProviderConfig, shape: RequestShape) -> TokenUsage:
    """The usage an attempt is recorded at: the upstream's final report, else the estimate
    described in the module docstring (never below what was seen)."""
    seen = report.usage
    if report.final and seen is not None:
        return seen
    if not is_priced(provider.cost):
        return seen or TokenUsage()  # costs nothing; an estimate would only inflate its token counts
    limit = allowed_output_tokens(provider, shape)
    if seen is None or seen.total_input_tokens == 0:
        return TokenUsage(input_tokens=shape.input.tokens_for(provider.kind), output_tokens=limit)
    return TokenUsage(
        input_tokens=seen.input_tokens,
        output_tokens=max(seen.output_tokens, limit),
        cache_read_tokens=seen.cache_read_tokens,
        cache_creation_tokens=seen.cache_creation_tokens,
    )
