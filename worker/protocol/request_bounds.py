"""Bounds on the numbers of a request, as the public Anthropic and OpenAI APIs define them.

Checked at validation, so a value out of range is a 400 in the caller's envelope rather than an
error wherever it is first used (``max_tokens: 10**400`` raised ``OverflowError`` when recorded as
a metric; ``max_tokens: -1`` failed the translation to Anthropic). JSON carries integers of any
size, so every integer has an upper bound too; non-finite floats are refused outright.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

INT32_MAX: Final = 2**31 - 1
INT64_MAX: Final = 2**63 - 1

# max_tokens, max_completion_tokens, a thinking budget: at least one token.
TokenLimit = Annotated[int, Field(ge=1, le=INT32_MAX)]
# top_p on both APIs, temperature on Anthropic's.
UnitFraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# OpenAI's temperature.
OpenAITemperature = Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)]
# OpenAI's presence and frequency penalties.
Penalty = Annotated[float, Field(ge=-2.0, le=2.0, allow_inf_nan=False)]
# Anthropic's top_k (0 and up); vLLM and llama.cpp also take -1 for "no limit".
AnthropicTopK = Annotated[int, Field(ge=0, le=INT32_MAX)]
OpenAITopK = Annotated[int, Field(ge=-1, le=INT32_MAX)]
# OpenAI's n: how many choices, 1 to 128.
ChoiceCount = Annotated[int, Field(ge=1, le=128)]
Seed = Annotated[int, Field(ge=-(2**63), le=INT64_MAX)]
TopLogprobs = Annotated[int, Field(ge=0, le=20)]
# OpenAI's stop: one string or up to four.
StopList = Annotated[list[str], Field(max_length=4)]
