from __future__ import annotations

import json
from typing import Any

import pytest

from coderouter_supervisor.worker.providers.transport import _encode_by_message

LONG = 'ab"c\\é😀\n' * 300_000  # past one slice, with every kind of character JSON escapes


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"messages": [{"role": "user", "content": "hi"}]}, id="only-messages"),
        pytest.param(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}] * 3, "max_tokens": 5},
            id="fields-around",
        ),
        pytest.param(
            {
                "model": "m",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image", "source": {"data": LONG}},
                            {"type": "text", "text": ""},
                        ],
                    },
                    {"role": "assistant", "content": [], "extra": {"n": 1.5, "ok": True, "none": None}},
                ],
            },
            id="a-long-string-and-nested-values",
        ),
    ],
)
def test_encoding_by_message_says_what_json_dumps_says(body: dict[str, Any]) -> None:
    encoded = _encode_by_message(body, body["messages"])
    assert encoded.isascii()  # escaped as json.dumps escapes, whatever the upstream's decoder
    assert json.loads(encoded) == body
