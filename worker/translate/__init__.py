"""Anthropic Messages <-> OpenAI Chat Completions <-> OpenAI Responses: requests, answers and
streams; tool repair; output filters.

Pure: every function takes wire models (or parsed stream payloads) and returns wire models.
"""

from __future__ import annotations

from coderouter_supervisor.worker.translate.anthropic_reasoning import (
    ANTHROPIC_REASONING_PREFIX,
    is_anthropic_reasoning,
    pack_thinking,
    unpack_thinking,
    without_anthropic_reasoning,
)
from coderouter_supervisor.worker.translate.anthropic_response_to_openai import anthropic_message_to_openai
from coderouter_supervisor.worker.translate.anthropic_to_openai import (
    ReasoningFields,
    anthropic_request_to_openai,
)
from coderouter_supervisor.worker.translate.anthropic_to_responses import anthropic_request_to_responses
from coderouter_supervisor.worker.translate.chat_deltas import ChatDelta, ChatDeltaField
from coderouter_supervisor.worker.translate.message_to_response import (
    anthropic_message_to_response,
    function_call_item,
    openai_completion_to_response,
)
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import (
    RAW_ARGUMENTS_KEY,
    openai_completion_to_anthropic,
    tool_input,
)
from coderouter_supervisor.worker.translate.openai_target import OpenAITarget, ReasoningControl
from coderouter_supervisor.worker.translate.openai_to_anthropic import (
    DEFAULT_MAX_TOKENS,
    openai_output_limit,
    openai_request_to_anthropic,
    unsupported_openai_fields,
)
from coderouter_supervisor.worker.translate.openai_to_responses import openai_request_to_responses
from coderouter_supervisor.worker.translate.output_filters import (
    DEFAULT_STOP_MARKERS,
    FilterChain,
    OutputFilterName,
    StopMarkerFilter,
    ThinkingFilter,
    apply_filters,
    build_filter_chain,
    strip_stop_markers,
    strip_thinking,
)
from coderouter_supervisor.worker.translate.plain_completion_to_message import plain_completion_to_message
from coderouter_supervisor.worker.translate.plain_completion_to_response import plain_completion_to_response
from coderouter_supervisor.worker.translate.plain_message_to_completion import plain_message_to_completion
from coderouter_supervisor.worker.translate.plain_message_to_response import plain_message_to_response
from coderouter_supervisor.worker.translate.plain_response_to_message import (
    plain_response_to_completion,
    plain_response_to_message,
)
from coderouter_supervisor.worker.translate.response_to_message import (
    response_to_anthropic_message,
    response_to_openai_completion,
)
from coderouter_supervisor.worker.translate.responses_event_writer import (
    IncompleteReason,
    ResponseEcho,
    ResponsesEventWriter,
    echo_fields,
)
from coderouter_supervisor.worker.translate.responses_ids import (
    item_id,
    response_id,
)
from coderouter_supervisor.worker.translate.responses_item_events import ResponsesDelta
from coderouter_supervisor.worker.translate.responses_to_anthropic import responses_request_to_anthropic
from coderouter_supervisor.worker.translate.responses_to_openai import (
    ChatTranslation,
    responses_output_limit,
    responses_request_to_openai,
    stateful_responses_fields,
)
from coderouter_supervisor.worker.translate.responses_tools import (
    NAMESPACE_SEPARATOR,
    DeclaredName,
    FlatTools,
    ToolNames,
    flat_name,
    flatten_tools,
)
from coderouter_supervisor.worker.translate.responses_usage import (
    plain_responses_usage,
    responses_usage,
    usage_from_responses,
    usage_from_responses_event,
)
from coderouter_supervisor.worker.translate.stop_reasons import (
    finish_reason_from_stop,
    stop_reason_from_finish,
)
from coderouter_supervisor.worker.translate.stream_anthropic_to_openai import AnthropicToOpenAIStream
from coderouter_supervisor.worker.translate.stream_anthropic_to_responses import (
    AnthropicToResponsesStream,
)
from coderouter_supervisor.worker.translate.stream_openai_to_anthropic import (
    BlockKind,
    OpenAIToAnthropicStream,
)
from coderouter_supervisor.worker.translate.stream_openai_to_responses import (
    OpenAIToResponsesStream,
)
from coderouter_supervisor.worker.translate.stream_responses_to_anthropic import (
    ResponsesToAnthropicStream,
)
from coderouter_supervisor.worker.translate.stream_responses_to_openai import (
    ResponsesToOpenAIStream,
)
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.thinking_hygiene import strip_unsigned_thinking
from coderouter_supervisor.worker.translate.token_estimate import (
    InputBound,
    estimate_tokens,
    input_token_bound,
)
from coderouter_supervisor.worker.translate.tool_repair import (
    RepairedCall,
    ToolRepair,
    repair_completion,
    repair_tool_calls,
)
from coderouter_supervisor.worker.translate.usage import (
    NO_USAGE,
    TokenUsage,
    UsageReport,
    anthropic_usage,
    openai_usage,
    usage_from_anthropic,
    usage_from_openai,
)

__all__ = [
    "ANTHROPIC_REASONING_PREFIX",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_STOP_MARKERS",
    "NAMESPACE_SEPARATOR",
    "NO_USAGE",
    "RAW_ARGUMENTS_KEY",
    "AnthropicToOpenAIStream",
    "AnthropicToResponsesStream",
    "BlockKind",
    "ChatDelta",
    "ChatDeltaField",
    "ChatTranslation",
    "DeclaredName",
    "FilterChain",
    "FlatTools",
    "IncompleteReason",
    "InputBound",
    "OpenAITarget",
    "OpenAIToAnthropicStream",
    "OpenAIToResponsesStream",
    "OutputFilterName",
    "ReasoningControl",
    "ReasoningFields",
    "RepairedCall",
    "ResponseEcho",
    "ResponsesDelta",
    "ResponsesEventWriter",
    "ResponsesToAnthropicStream",
    "ResponsesToOpenAIStream",
    "StopMarkerFilter",
    "TextFilter",
    "ThinkingFilter",
    "TokenUsage",
    "ToolNames",
    "ToolRepair",
    "UsageReport",
    "anthropic_message_to_openai",
    "anthropic_message_to_response",
    "anthropic_request_to_openai",
    "anthropic_request_to_responses",
    "anthropic_usage",
    "apply_filters",
    "build_filter_chain",
    "echo_fields",
    "estimate_tokens",
    "finish_reason_from_stop",
    "flat_name",
    "flatten_tools",
    "function_call_item",
    "input_token_bound",
    "is_anthropic_reasoning",
    "item_id",
    "openai_completion_to_anthropic",
    "openai_completion_to_response",
    "openai_output_limit",
    "openai_request_to_anthropic",
    "openai_request_to_responses",
    "openai_usage",
    "pack_thinking",
    "plain_completion_to_message",
    "plain_completion_to_response",
    "plain_message_to_completion",
    "plain_message_to_response",
    "plain_response_to_completion",
    "plain_response_to_message",
    "plain_responses_usage",
    "repair_completion",
    "repair_tool_calls",
    "response_id",
    "response_to_anthropic_message",
    "response_to_openai_completion",
    "responses_output_limit",
    "responses_request_to_anthropic",
    "responses_request_to_openai",
    "responses_usage",
    "stateful_responses_fields",
    "stop_reason_from_finish",
    "strip_stop_markers",
    "strip_thinking",
    "strip_unsigned_thinking",
    "tool_input",
    "unpack_thinking",
    "unsupported_openai_fields",
    "usage_from_anthropic",
    "usage_from_openai",
    "usage_from_responses",
    "usage_from_responses_event",
    "without_anthropic_reasoning",
]
