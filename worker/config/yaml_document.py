"""Read a providers.yaml into plain data plus the line of every key, for error messages.

The document is composed once with ``yaml.SafeLoader`` (the same safe subset coderouter-cli 1.10.1 reads)
and constructed from that node tree, so the data and the line index always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from coderouter_supervisor.worker.config.errors import ConfigError

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """``data`` is whatever the document holds (``None`` for an empty one); ``lines`` maps a key path in
    pydantic's loc form to the 1-based line where that key (or sequence item) starts."""

    data: object
    lines: Mapping[Loc, int]

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest ancestor present in the file (a missing key reports
        the line of the entry that lacks it); ``None`` when nothing along the path is known."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def read_yaml_document(text: str, source: str) -> YamlDocument:
    """Parse ``text``; raises ``ConfigError`` (with the line) on a YAML syntax or construction error."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, source) from exc
    except yaml.YAMLError as exc:
        raise ConfigError.single(source, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _index_lines(node, (), lines, set())
    return YamlDocument(data=data, lines=lines)


def _index_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], open_nodes: set[int]) -> None:
    if id(node) in open_nodes:  # an alias that refers back to one of its own ancestors
        return
    open_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_loc = (*loc, key_node.value)
                # For a repeated key the last occurrence wins, as it does in the constructed data.
                lines[key_loc] = key_node.start_mark.line + 1
                _index_lines(value_node, key_loc, lines, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            item_loc = (*loc, index)
            lines[item_loc] = item.start_mark.line + 1
            _index_lines(item, item_loc, lines, open_nodes)
    open_nodes.discard(id(node))


def _syntax_error(exc: yaml.MarkedYAMLError, source: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "cannot be parsed"
    if mark is None:
        return ConfigError.single(source, f"invalid YAML: {what}")
    return ConfigError.single(source, f"invalid YAML: {what} (column {mark.column + 1})", line=mark.line + 1)


def describe_yaml_value(value: object) -> str:
    """A short description of a value for "got ..." in messages: scalars as written, containers by kind."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    return _CONTAINER_KINDS.get(type(value), type(value).__name__)


_CONTAINER_KINDS: dict[type, str] = {list: "a list", tuple: "a list", dict: "a mapping"}
