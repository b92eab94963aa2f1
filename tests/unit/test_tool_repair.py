from __future__ import annotations

import pytest

from coderouter_supervisor.worker.protocol import ChatCompletion
from coderouter_supervisor.worker.translate import RepairedCall, repair_completion, repair_tool_calls

DECLARED = frozenset({"Bash", "Read"})
FENCE = "```"


@pytest.mark.parametrize(
    ("text", "cleaned", "calls"),
    [
        pytest.param(
            'I will list.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}}\n</tool_call>',
            "I will list.",
            [RepairedCall("Bash", '{"command": "ls"}')],
            id="hermes-tag",
        ),
        pytest.param(
            '{"name": "Read", "arguments": "{\\"path\\": \\"a\\"}"}',
            "",
            [RepairedCall("Read", '{"path": "a"}')],
            id="bare-json-string-arguments",
        ),
        pytest.param(
            f'Example:\n{FENCE}python\nprint("hi")\n{FENCE}\n{FENCE}json\n'
            f'{{"function": {{"name": "Bash", "arguments": {{"command": "pwd"}}}}}}\n{FENCE}\nDone.',
            f'Example:\n{FENCE}python\nprint("hi")\n{FENCE}\n\nDone.',
            [RepairedCall("Bash", '{"command": "pwd"}')],
            id="other-code-blocks-preserved",
        ),
        pytest.param(
            '<tool_call>{"name": "Bash", "arguments": {"command": "a"}}</tool_call>\n'
            '<tool_call>{"name": "Read", "parameters": {"path": "b"}}</tool_call>',
            "",
            [RepairedCall("Bash", '{"command": "a"}'), RepairedCall("Read", '{"path": "b"}')],
            id="two-calls-in-order",
        ),
    ],
)
def test_repairs(text: str, cleaned: str, calls: list[RepairedCall]) -> None:
    repair = repair_tool_calls(text, DECLARED)
    assert repair.text == cleaned
    assert list(repair.calls) == calls


@pytest.mark.parametrize(
    ("text", "declared"),
    [
        pytest.param('{"name": "Bash", "arguments": {"command": "ls"}}', frozenset(), id="no-tools-declared"),
        pytest.param('{"name": "rm_rf", "arguments": {}}', DECLARED, id="undeclared-name"),
        pytest.param('Use {"name": "Bash", "arguments": {}} inline', DECLARED, id="mid-sentence-json"),
        pytest.param('{"name": "Bash", "arguments": [1]}', DECLARED, id="arguments-not-an-object"),
        pytest.param('{"name": "Bash", "arguments": "not json"}', DECLARED, id="arguments-string-not-json"),
        pytest.param(f'{FENCE}json\n{{"config": true}}\n{FENCE}', DECLARED, id="ordinary-json-block"),
        pytest.param("{ unbalanced", DECLARED, id="unbalanced"),
    ],
)
def test_leaves_text_alone(text: str, declared: frozenset[str]) -> None:
    repair = repair_tool_calls(text, declared)
    assert repair.calls == ()
    assert repair.text == text


def test_repair_completion() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "c",
            "model": "m",
            "choices": [
                {
                    "message": {
                        "content": '<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}</tool_call>'
                    },
                    "finish_reason": "stop",
                }
            ],
        }
    )
    repaired = repair_completion(completion, DECLARED)
    choice = repaired.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    assert choice.message.tool_calls[0].id is not None
    assert choice.message.tool_calls[0].id.startswith("call_")
    assert choice.message.tool_calls[0].function.arguments == '{"command": "ls"}'
    assert completion.choices[0].message.tool_calls is None
    assert repair_completion(completion, frozenset()) is completion


def test_json_inside_another_code_block_is_not_a_call() -> None:
    text = f'{FENCE}python\n{{"name": "Bash", "arguments": {{}}}}\n{FENCE}'
    assert repair_tool_calls(text, DECLARED).calls == ()


def test_nested_call_shape_on_its_own_line_counts_once() -> None:
    text = '{"function":\n{"name": "Bash", "arguments": {"command": "ls"}}\n}'
    assert repair_tool_calls(text, DECLARED).calls == (RepairedCall("Bash", '{"command": "ls"}'),)
