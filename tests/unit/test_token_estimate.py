from __future__ import annotations

from coderouter_supervisor.worker.translate import estimate_tokens


def test_estimate_counts_every_text_a_model_reads() -> None:
    text_only = {"messages": [{"role": "user", "content": "x" * 400}]}
    base = estimate_tokens(text_only)
    assert base == 100 + 3
    with_system = {**text_only, "system": "y" * 400}
    assert estimate_tokens(with_system) == base + 100
    with_tools = {
        **text_only,
        "tools": [{"name": "read_file", "input_schema": {"type": "object", "properties": {}}}],
    }
    assert estimate_tokens(with_tools) > base
    tool_turns = {
        "messages": [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"p": "z" * 80}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r" * 400}]},
        ]
    }
    assert estimate_tokens(tool_turns) >= 100 + 20


def test_images_count_flat_not_by_base64_size() -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "A" * 1_000_000},
    }
    body = {"messages": [{"role": "user", "content": [image]}]}
    assert estimate_tokens(body) == 1600 + 3


def test_openai_input_image_counts_flat_too() -> None:
    part = {"type": "input_image", "image_url": "data:image/png;base64," + "A" * 100_000}
    body = {"messages": [{"role": "user", "content": [part]}]}
    assert estimate_tokens(body) == 1600 + 3


def test_legacy_functions_are_counted_like_tools() -> None:
    plain = {"messages": [{"role": "user", "content": "hi"}]}
    function = {"name": "lookup", "description": "x" * 400, "parameters": {"type": "object"}}
    assert estimate_tokens({**plain, "functions": [function]}) >= estimate_tokens(plain) + 100
