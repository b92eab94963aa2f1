"""Responses tools for upstreams that only take flat function tools.

A ``namespace`` tool (a named group of function tools, as Codex sends ``multi_agent_v1``) is
flattened to one function per member, named ``<namespace>__<name>``; :class:`ToolNames` maps
those names back so a call is reported to the client under the namespace and name it declared.
Hosted tools (``web_search``, ``file_search``, ``custom``, ...) need an upstream that runs them:
they are left out and their types reported, so the caller can say so in an event rather than
fail the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from coderouter_supervisor.worker.protocol import (
    FunctionTool,
    FunctionToolChoice,
    NamespaceTool,
    ResponsesTool,
    ResponsesToolChoice,
)

NAMESPACE_SEPARATOR = "__"


def flat_name(name: str, namespace: str | None) -> str:
    """The flattened name of ``name`` within ``namespace`` (itself when there is no namespace)."""
    return name if namespace is None else f"{namespace}{NAMESPACE_SEPARATOR}{name}"


@dataclass(frozen=True)
class DeclaredName:
    """A tool's name as the client declared it: ``namespace`` is set for a namespace member."""

    name: str
    namespace: str | None = None


@dataclass(frozen=True)
class ToolNames:
    """Flat upstream tool names -> the names the client declared (only those that differ)."""

    declared: dict[str, DeclaredName] = field(default_factory=dict)

    def flat(self, name: str, namespace: str | None) -> str:
        """The upstream name of ``name`` within ``namespace`` (itself when there is no namespace)."""
        if namespace is None:
            return name
        for flat, declared in self.declared.items():
            if declared == DeclaredName(name, namespace):
                return flat
        return flat_name(name, namespace)

    def client_name(self, flat: str) -> DeclaredName:
        """What the client calls the upstream's ``flat`` name."""
        return self.declared.get(flat, DeclaredName(flat))


@dataclass(frozen=True)
class FlatTools:
    """Function tools an upstream without namespaces or hosted tools can take."""

    functions: tuple[FunctionTool, ...] = ()
    names: ToolNames = ToolNames()
    dropped: tuple[str, ...] = ()
    """Types of the hosted tools left out, in request order (``("web_search",)``)."""


def _unique(name: str, taken: set[str]) -> str:
    candidate, suffix = name, 2
    while candidate in taken:
        candidate, suffix = f"{name}_{suffix}", suffix + 1
    return candidate


def flatten_tools(tools: list[ResponsesTool] | None) -> FlatTools:
    """Function tools as they are, namespace members flattened, hosted tools dropped and named."""
    functions: list[FunctionTool] = []
    declared: dict[str, DeclaredName] = {}
    dropped: list[str] = []
    members: list[tuple[NamespaceTool, FunctionTool]] = []
    for tool in tools or []:
        if isinstance(tool, FunctionTool):
            functions.append(tool)
        elif isinstance(tool, NamespaceTool):
            for member in tool.tools:
                if isinstance(member, FunctionTool):
                    members.append((tool, member))
                else:
                    dropped.append(member.type)
        else:
            dropped.append(tool.type)
    # Plain functions keep their names; a flattened name that would collide gets a suffix.
    taken = {function.name for function in functions}
    for namespace, member in members:
        flat = _unique(flat_name(member.name, namespace.name), taken)
        taken.add(flat)
        declared[flat] = DeclaredName(member.name, namespace.name)
        description = " ".join(part for part in (namespace.description, member.description) if part)
        functions.append(member.model_copy(update={"name": flat, "description": description or None}))
    return FlatTools(tuple(functions), ToolNames(declared), tuple(dropped))


@dataclass(frozen=True)
class ForcedTool:
    """A tool choice that forces one function, named as the upstream knows it."""

    name: str


def flat_tool_choice(
    choice: ResponsesToolChoice | None, names: ToolNames
) -> Literal["none", "auto", "required"] | ForcedTool | None:
    """``choice`` for an upstream of flat function tools: a namespace member is forced under its flat
    name; a hosted tool or an allowed-tools list has no such form, so the model chooses (``auto``)."""
    if choice is None or isinstance(choice, str):
        return choice
    if isinstance(choice, FunctionToolChoice):
        namespace = (choice.model_extra or {}).get("namespace")
        return ForcedTool(names.flat(choice.name, namespace if isinstance(namespace, str) else None))
    return "auto"
