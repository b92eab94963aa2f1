from __future__ import annotations

from typing import Any, cast

import pytest

from coderouter_supervisor.worker.config import MATCHER_FIELDS, AutoRouterConfig, AutoRouteRule, RuleMatcher
from coderouter_supervisor.worker.routing import auto_router
from coderouter_supervisor.worker.routing.auto_router import AutoRoute, classify, request_signals
from coderouter_supervisor.worker.translate import estimate_tokens

PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
ANTHROPIC_IMAGE = {"type": "image", "source": PNG}
OPENAI_IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
FENCED = "```py\nx = 1\n```"  # 15 characters, all of them fence


def anthropic(content: Any, *, history: tuple[dict[str, Any], ...] = (), **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "claude-sonnet-4",
        "max_tokens": 100,
        "messages": [*history, {"role": "user", "content": content}],
    }
    return {**body, **extra}


def openai(content: Any, *, history: tuple[dict[str, Any], ...] = (), **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [*history, {"role": "user", "content": content}]}
    return {**body, **extra}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_result(content: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": "toolu_1", "content": content}


def one_rule(**match: Any) -> AutoRouterConfig:
    return AutoRouterConfig(
        rules=(AutoRouteRule(id="user:under-test", profile="hit", match=RuleMatcher(**match)),),
        default_rule_profile="miss",
    )


READ_TOOL = {"name": "read_file", "input_schema": {"type": "object", "properties": {}}}
OPENAI_TOOL = {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}

MATCHER_CASES = [
    # has_image
    pytest.param(
        {"has_image": True}, anthropic([text("what is this"), ANTHROPIC_IMAGE]), True, id="image-anthropic"
    ),
    pytest.param(
        {"has_image": True}, openai([text("what is this"), OPENAI_IMAGE]), True, id="image-openai-url"
    ),
    pytest.param(
        {"has_image": True},
        openai([{"type": "input_image", "image_url": "data:image/png;base64,AA=="}]),
        True,
        id="image-openai-input-image",
    ),
    pytest.param({"has_image": True}, anthropic("describe it"), False, id="image-absent-anthropic"),
    pytest.param({"has_image": True}, openai("describe it"), False, id="image-absent-openai"),
    pytest.param(
        {"has_image": True},
        anthropic(
            "and now?",
            history=(
                {"role": "user", "content": [ANTHROPIC_IMAGE]},
                {"role": "assistant", "content": "a cat"},
            ),
        ),
        False,
        id="image-only-in-earlier-user-turn-anthropic",
    ),
    pytest.param(
        {"has_image": True},
        openai(
            "and now?",
            history=({"role": "user", "content": [OPENAI_IMAGE]}, {"role": "assistant", "content": "a cat"}),
        ),
        False,
        id="image-only-in-earlier-user-turn-openai",
    ),
    pytest.param(
        {"has_image": True},
        anthropic([tool_result([ANTHROPIC_IMAGE])]),
        False,
        id="image-nested-in-tool-result-is-not-a-block-of-the-message",
    ),
    # code_fence_ratio_min (>=)
    pytest.param({"code_fence_ratio_min": 0.3}, anthropic(f"fix:\n{FENCED}"), True, id="fence-anthropic"),
    pytest.param(
        {"code_fence_ratio_min": 0.3}, openai([text("fix:"), text(FENCED)]), True, id="fence-openai-parts"
    ),
    pytest.param(
        {"code_fence_ratio_min": 0.3}, anthropic("``````" + "x" * 14), True, id="fence-exactly-at-threshold"
    ),
    pytest.param(
        {"code_fence_ratio_min": 0.3}, anthropic("``````" + "x" * 15), False, id="fence-just-below-threshold"
    ),
    pytest.param(
        {"code_fence_ratio_min": 0.3}, openai("```py\nprint(1)\n"), False, id="fence-unclosed-does-not-count"
    ),
    pytest.param(
        {"code_fence_ratio_min": 0.3},
        anthropic("thanks", history=({"role": "user", "content": FENCED},)),
        False,
        id="fence-only-in-earlier-turn",
    ),
    pytest.param(
        {"code_fence_ratio_min": 0.3},
        anthropic([tool_result(FENCED)]),
        False,
        id="fence-in-tool-result-is-not-user-text",
    ),
    # content_contains (case-sensitive substring)
    pytest.param(
        {"content_contains": "TODO"}, anthropic("finish the TODO list"), True, id="contains-anthropic"
    ),
    pytest.param(
        {"content_contains": "TODO"},
        openai([text("see"), text("the TODO")]),
        True,
        id="contains-openai-parts",
    ),
    pytest.param(
        {"content_contains": "TODO"}, anthropic("finish the todo list"), False, id="contains-case-sensitive"
    ),
    pytest.param(
        {"content_contains": "TODO"}, openai("finish the todo list"), False, id="contains-case-openai"
    ),
    pytest.param(
        {"content_contains": "TODO"},
        anthropic("go", system="TODO: be terse"),
        False,
        id="contains-not-system",
    ),
    pytest.param(
        {"content_contains": "TODO"},
        openai("go", history=({"role": "system", "content": "TODO"},)),
        False,
        id="contains-not-openai-system",
    ),
    pytest.param(
        {"content_contains": "TODO"},
        anthropic([tool_result("TODO in file"), text("ok")]),
        False,
        id="contains-not-tool-result",
    ),
    # content_regex (re.search)
    pytest.param(
        {"content_regex": r"\bfix\b"}, anthropic("please fix this"), True, id="regex-search-anthropic"
    ),
    pytest.param(
        {"content_regex": r"\bfix\b"}, openai([text("please fix this")]), True, id="regex-search-openai"
    ),
    pytest.param({"content_regex": r"\bfix\b"}, anthropic("a prefix only"), False, id="regex-no-match"),
    pytest.param(
        {"content_regex": r"^second"},
        openai([text("first"), text("second")]),
        False,
        id="regex-parts-joined-newline",
    ),
    pytest.param(
        {"content_regex": r"first\nsecond"},
        openai([text("first"), text("second")]),
        True,
        id="regex-sees-newline-join",
    ),
    # model_pattern (re.fullmatch)
    pytest.param({"model_pattern": r"claude-.*"}, anthropic("hi"), True, id="model-anthropic"),
    pytest.param({"model_pattern": r"gpt-4o"}, openai("hi"), True, id="model-openai"),
    pytest.param({"model_pattern": r"gpt-4"}, openai("hi"), False, id="model-fullmatch-not-search"),
    pytest.param({"model_pattern": r"sonnet"}, anthropic("hi"), False, id="model-no-substring-match"),
    pytest.param(
        {"model_pattern": r".*"}, anthropic("hi", model=None), False, id="model-absent-never-matches"
    ),
    pytest.param({"model_pattern": r".*"}, openai("hi", model=""), False, id="model-empty-never-matches"),
    pytest.param({"model_pattern": r".*"}, openai("hi", model=4), False, id="model-not-a-string"),
    # content_token_count_min (whole request)
    pytest.param({"content_token_count_min": 500}, anthropic("x" * 4000), True, id="tokens-text-anthropic"),
    pytest.param({"content_token_count_min": 500}, openai([text("x" * 4000)]), True, id="tokens-text-openai"),
    pytest.param({"content_token_count_min": 500}, anthropic("x" * 400), False, id="tokens-below"),
    pytest.param(
        {"content_token_count_min": 500},
        anthropic("short", system="s" * 4000),
        True,
        id="tokens-count-system",
    ),
    pytest.param(
        {"content_token_count_min": 500},
        anthropic([tool_result("r" * 4000)]),
        True,
        id="tokens-count-tool-result-anthropic",
    ),
    pytest.param(
        {"content_token_count_min": 500},
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "user", "content": "read it"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "read", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "r" * 4000},
            ],
        },
        True,
        id="tokens-count-tool-message-openai",
    ),
    # has_tools
    pytest.param({"has_tools": True}, anthropic("hi", tools=[READ_TOOL]), True, id="tools-anthropic"),
    pytest.param({"has_tools": True}, openai("hi", tools=[OPENAI_TOOL]), True, id="tools-openai"),
    pytest.param(
        {"has_tools": True},
        openai("hi", functions=[{"name": "f", "parameters": {}}]),
        True,
        id="tools-legacy-functions",
    ),
    pytest.param({"has_tools": True}, anthropic("hi", tools=[]), False, id="tools-empty-list"),
    pytest.param({"has_tools": True}, openai("hi", functions=[]), False, id="tools-empty-functions"),
    pytest.param({"has_tools": True}, openai("hi", tools={"name": "f"}), False, id="tools-not-a-list"),
    pytest.param({"has_tools": True}, anthropic("hi"), False, id="tools-absent"),
]


@pytest.mark.parametrize(("match", "body", "matched"), MATCHER_CASES)
def test_each_matcher(match: dict[str, Any], body: dict[str, Any], matched: bool) -> None:
    route = classify(body, one_rule(**match))
    if matched:
        assert (route.profile, route.rule_id) == ("hit", "user:under-test")
    else:
        assert (route.profile, route.rule_id) == ("miss", None)


def test_the_matcher_table_covers_every_matcher() -> None:
    covered = {name for case in MATCHER_CASES for name in cast(dict[str, Any], case.values[0])}
    assert covered == set(MATCHER_FIELDS)


def test_tool_content_crosses_a_threshold_the_text_alone_would_not() -> None:
    router = one_rule(content_token_count_min=500)
    bare = anthropic([tool_result("r"), text("continue")])
    heavy = anthropic([tool_result("r" * 4000), text("continue")])
    assert request_signals(bare).latest_user_text == request_signals(heavy).latest_user_text == "continue"
    assert classify(bare, router).profile == "miss"
    assert classify(heavy, router).profile == "hit"


@pytest.mark.parametrize(
    ("body", "profile", "rule_id"),
    [
        pytest.param(anthropic([ANTHROPIC_IMAGE]), "multi", "builtin:image-attachment", id="image-anthropic"),
        pytest.param(openai([OPENAI_IMAGE]), "multi", "builtin:image-attachment", id="image-openai"),
        pytest.param(anthropic(FENCED), "coding", "builtin:code-fence-dense", id="fence-anthropic"),
        pytest.param(openai(FENCED), "coding", "builtin:code-fence-dense", id="fence-openai"),
        pytest.param(
            anthropic([text(FENCED), ANTHROPIC_IMAGE]),
            "multi",
            "builtin:image-attachment",
            id="image-rule-first",
        ),
        pytest.param(anthropic("write a poem"), "writing", None, id="fallthrough-anthropic"),
        pytest.param(openai("write a poem"), "writing", None, id="fallthrough-openai"),
        pytest.param(anthropic([tool_result(FENCED)]), "writing", None, id="claude-code-tool-result-turn"),
    ],
)
def test_bundled_rules_without_a_router_section(
    body: dict[str, Any], profile: str, rule_id: str | None
) -> None:
    route = classify(body, None)
    assert (route.profile, route.rule_id, route.disabled) == (profile, rule_id, False)


def test_empty_rules_use_the_bundled_ones_and_the_configured_fallthrough() -> None:
    router = AutoRouterConfig(default_rule_profile="chat")
    assert classify(anthropic(FENCED), router).rule_id == "builtin:code-fence-dense"
    assert classify(anthropic("hello"), router).profile == "chat"


def test_declared_rules_replace_the_bundled_ones() -> None:
    router = one_rule(has_tools=True)
    route = classify(anthropic([ANTHROPIC_IMAGE]), router)
    assert (route.profile, route.rule_id) == ("miss", None)


def test_first_matching_rule_wins_in_declared_order() -> None:
    tools = AutoRouteRule(id="user:tools", profile="agent", match=RuleMatcher(has_tools=True))
    model = AutoRouteRule(id="user:model", profile="fast", match=RuleMatcher(model_pattern="gpt-.*"))
    never = AutoRouteRule(id="user:never", profile="none", match=RuleMatcher(content_contains="absent"))
    body = openai("hi", tools=[OPENAI_TOOL])
    assert classify(body, AutoRouterConfig(rules=(tools, model))).rule_id == "user:tools"
    assert classify(body, AutoRouterConfig(rules=(model, tools))).rule_id == "user:model"
    assert classify(body, AutoRouterConfig(rules=(never, model, tools))).profile == "fast"


def test_disabled_router_evaluates_no_rule() -> None:
    router = AutoRouterConfig(
        disabled=True,
        rules=(AutoRouteRule(id="user:tools", profile="agent", match=RuleMatcher(has_tools=True)),),
        default_rule_profile="plain",
    )
    route = classify(anthropic("hi", tools=[READ_TOOL]), router)
    assert (route.profile, route.rule_id, route.disabled) == ("plain", None, True)
    assert route.signals.has_tools is True
    name, fields = route.event()
    assert name == "auto-router-fallthrough"
    assert fields["signals"] == {**route.signals.as_event_fields(), "disabled": True}


def test_resolved_event_names_the_rule_and_the_signals() -> None:
    route = classify(openai([text("see"), OPENAI_IMAGE], tools=[OPENAI_TOOL]), None)
    assert route.event() == (
        "auto-router-resolved",
        {
            "rule_id": "builtin:image-attachment",
            "resolved_profile": "multi",
            "signals": {
                "has_image": True,
                "code_fence_ratio": 0.0,
                "content_len": 3,
                "model": "gpt-4o",
                "estimated_tokens": route.signals.estimated_tokens,
                "has_tools": True,
            },
        },
    )


def test_fallthrough_event_says_whether_the_router_was_disabled() -> None:
    body = anthropic("a" * 30 + FENCED)
    route = classify(body, one_rule(has_tools=True))
    assert route.event() == (
        "auto-router-fallthrough",
        {
            "resolved_profile": "miss",
            "signals": {
                "has_image": False,
                "code_fence_ratio": 0.333,
                "content_len": 45,
                "model": "claude-sonnet-4",
                "estimated_tokens": estimate_tokens(body),
                "has_tools": False,
                "disabled": False,
            },
        },
    )


def test_event_fields_and_repr_never_carry_the_prompt() -> None:
    signals = request_signals(anthropic("my secret plan"))
    assert signals.latest_user_text == "my secret plan"
    assert "my secret plan" not in repr(signals)
    assert "my secret plan" not in repr(AutoRoute("writing", None, signals))
    assert "latest_user_text" not in signals.as_event_fields()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            anthropic([text("a"), ANTHROPIC_IMAGE, text("b")]), "a\nb", id="anthropic-text-blocks-joined"
        ),
        pytest.param(openai([text("a"), OPENAI_IMAGE, text("b")]), "a\nb", id="openai-text-parts-joined"),
        pytest.param(anthropic([tool_result("file body")]), "", id="claude-code-tool-result-only"),
        pytest.param(
            anthropic("hi", history=({"role": "user", "content": "earlier"},)), "hi", id="last-user-message"
        ),
        pytest.param(
            {
                "messages": [
                    {"role": "user", "content": "question"},
                    {"role": "assistant", "content": "answer"},
                ]
            },
            "question",
            id="assistant-after-user-is-skipped",
        ),
        pytest.param(
            {
                "messages": [
                    {"role": "developer", "content": "rules"},
                    {"role": "user", "content": "question"},
                    {"role": "tool", "tool_call_id": "c1", "content": "output"},
                ]
            },
            "question",
            id="openai-tool-and-developer-are-not-user",
        ),
    ],
)
def test_latest_user_text(body: dict[str, Any], expected: str) -> None:
    signals = request_signals(body)
    assert signals.latest_user_text == expected
    assert signals.content_len == len(expected)


def test_signals_of_a_typical_request() -> None:
    body = anthropic(f"fix:\n{FENCED}", system="be brief", tools=[READ_TOOL])
    signals = request_signals(body)
    assert signals.code_fence_ratio == 0.75
    assert (signals.model, signals.has_tools, signals.has_image) == ("claude-sonnet-4", True, False)
    assert signals.estimated_tokens == estimate_tokens(body)


def test_empty_text_has_zero_fence_ratio() -> None:
    signals = request_signals(anthropic([tool_result(FENCED)]))
    assert (signals.code_fence_ratio, signals.content_len) == (0.0, 0)


# A rule of every kind that none of the garbage bodies below can satisfy (model_pattern ".*" would
# match an empty string, so it also proves a missing model is not treated as "").
EVERY_MATCHER = AutoRouterConfig(
    rules=tuple(
        AutoRouteRule(id=f"user:{index}", profile="hit", match=RuleMatcher(**match))
        for index, match in enumerate(
            [
                {"has_image": True},
                {"code_fence_ratio_min": 0.5},
                {"content_contains": "needle"},
                {"content_regex": "needle"},
                {"model_pattern": ".*"},
                {"content_token_count_min": 10_000},
                {"has_tools": True},
            ]
        )
    ),
    default_rule_profile="miss",
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty-body"),
        pytest.param({"messages": "hello"}, id="messages-a-string"),
        pytest.param({"messages": {"role": "user", "content": "hi"}}, id="messages-an-object"),
        pytest.param({"messages": 5}, id="messages-an-int"),
        pytest.param({"messages": None}, id="messages-null"),
        pytest.param({"messages": ["user", 3, None, []]}, id="messages-not-objects"),
        pytest.param({"messages": [{"role": "user", "content": 42}]}, id="content-an-int"),
        pytest.param({"messages": [{"role": "user", "content": None}]}, id="content-null"),
        pytest.param({"messages": [{"role": "user", "content": {"type": "image"}}]}, id="content-an-object"),
        pytest.param({"messages": [{"role": "user"}]}, id="content-missing"),
        pytest.param(
            {"messages": [{"role": "user", "content": ["hello", 7, None]}]}, id="blocks-not-objects"
        ),
        pytest.param(
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}, {"text": "loose"}]}]},
            id="text-not-a-string-or-untyped",
        ),
        pytest.param(
            {
                "messages": [
                    {"role": "user", "content": [{"type": ["image"]}, {"type": {"k": 1}}, {"type": None}]}
                ]
            },
            id="block-type-unhashable",
        ),
        pytest.param({"messages": [{"role": ["user"], "content": "x"}, {"role": None}]}, id="role-odd"),
        pytest.param(
            {"model": ["gpt"], "tools": "yes", "functions": {"f": 1}, "system": 7, "messages": []},
            id="top-level-fields-wrong-types",
        ),
        pytest.param({"model": None, "tools": None, "functions": None, "system": None}, id="top-level-nulls"),
    ],
)
def test_odd_shapes_never_raise_and_count_as_absent(body: dict[str, Any]) -> None:
    route = classify(body, EVERY_MATCHER)
    assert (route.profile, route.rule_id) == ("miss", None)
    signals = route.signals
    assert (signals.latest_user_text, signals.has_image, signals.model, signals.has_tools) == (
        "",
        False,
        None,
        False,
    )


def test_blocks_that_are_strings_are_skipped_not_fatal() -> None:
    body = anthropic(["stray", text("kept"), 3, ANTHROPIC_IMAGE])
    signals = request_signals(body)
    assert (signals.latest_user_text, signals.has_image) == ("kept", True)


def test_public_api_is_pinned() -> None:
    assert set(auto_router.__all__) == {"AutoRoute", "RequestSignals", "classify", "request_signals"}
