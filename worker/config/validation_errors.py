"""Turn pydantic's ``ValidationError`` for a ``CodeRouterConfig`` into located ``ConfigProblem`` values.

This is the only place a pydantic error becomes one of ours. Messages say what is expected in the
vocabulary of the YAML file (mapping, list, true/false), never pydantic's type names or URLs.
"""

from __future__ import annotations

import difflib
from typing import get_args

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from coderouter_supervisor.worker.config.errors import ConfigProblem, format_key_path
from coderouter_supervisor.worker.config.references import ReferenceErrors
from coderouter_supervisor.worker.config.schema import CodeRouterConfig
from coderouter_supervisor.worker.config.yaml_document import Loc, YamlDocument, describe_yaml_value

_EXPECTED_BY_TYPE = {
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "string_too_short": "must not be empty",
}
_DICT_KEY_MARKER = "[key]"  # pydantic's last loc item when a mapping's key (not its value) is invalid
_RANGE_TYPES = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def problems_from_validation_error(exc: ValidationError, document: YamlDocument) -> tuple[ConfigProblem, ...]:
    """One problem per pydantic error (a ``ReferenceErrors`` expands to one per broken reference),
    ordered by line, with lines taken from ``document``."""
    errors = exc.errors(include_url=False)
    problems: list[ConfigProblem] = []
    for error in errors:
        loc: Loc = tuple(error["loc"])
        if error["type"] == "too_short" and _has_item_errors(loc, errors):
            continue
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ReferenceErrors):
            for reference in cause.problems:
                full = (*loc, *reference.loc)
                problems.append(
                    ConfigProblem(format_key_path(full), document.line_of(full), reference.message)
                )
            continue
        message = _message(error, loc)
        if loc and loc[-1] == _DICT_KEY_MARKER:
            loc, message = loc[:-1], f"key {message}"
        problems.append(ConfigProblem(format_key_path(loc), document.line_of(loc), message))
    return tuple(sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0)))


def _has_item_errors(loc: Loc, errors: list[ErrorDetails]) -> bool:
    # pydantic also reports a tuple as too short when its items fail validation; only the items matter then.
    return any(len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors)


def _message(error: ErrorDetails, loc: Loc) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "too_short":
        return "must list at least one entry"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "literal_error":
        expected = f"must be {ctx['expected']}"
    elif kind in _RANGE_TYPES:
        expected = _range(loc, ctx)
    elif kind in _EXPECTED_BY_TYPE:
        expected = _EXPECTED_BY_TYPE[kind]
    else:
        return error["msg"]
    return f"{expected} (got {describe_yaml_value(error['input'])})"


def _unknown_key(loc: Loc) -> str:
    owner, _ = _walk(loc)
    if owner is None:
        return "unknown key"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    return f"unknown key (allowed here: {', '.join(allowed)})"


def _range(loc: Loc, ctx: dict[str, object]) -> str:
    _, field = _walk(loc)
    low: object = ctx.get("ge", ctx.get("gt"))
    high: object = ctx.get("le", ctx.get("lt"))
    for constraint in field.metadata if field is not None else ():
        if isinstance(constraint, annotated_types.Ge):
            low = constraint.ge
        elif isinstance(constraint, annotated_types.Le):
            high = constraint.le
    if low is not None and high is not None:
        return f"must be between {describe_yaml_value(low)} and {describe_yaml_value(high)}"
    if low is not None:
        return f"must be at least {describe_yaml_value(low)}"
    return f"must be at most {describe_yaml_value(high)}"


def _walk(loc: Loc) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that owns the last key of ``loc`` and that key's field (``None`` when not a field)."""
    annotation: object = CodeRouterConfig
    owner: type[BaseModel] | None = None
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            annotation = next(
                (arg for arg in get_args(annotation) if arg not in (Ellipsis, type(None))), None
            )
            owner, field = None, None
            continue
        owner = _model_in(annotation)
        field = owner.model_fields.get(part) if owner is not None else None
        annotation = field.annotation if field is not None else None
    return owner, field


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((model for arg in get_args(annotation) if (model := _model_in(arg)) is not None), None)
