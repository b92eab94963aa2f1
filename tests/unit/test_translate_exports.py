from __future__ import annotations

import types

from coderouter_supervisor.worker import translate


def test_public_api_is_pinned() -> None:
    public = {
        name
        for name, value in vars(translate).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(translate.__all__) == public
    for name in ("OpenAIToAnthropicStream", "AnthropicToOpenAIStream", "anthropic_request_to_openai"):
        assert name in translate.__all__
