"""The one error a bad providers.yaml (or a bad config environment variable) produces.

``ConfigError`` is raised by the loader for everything a user can get wrong: a missing or unreadable file,
YAML syntax, schema violations, broken cross-references and bad ``ALLOW_PAID`` / ``CODEROUTER_MODE`` values.
``str(error)`` is a short human message with no traceback, fit to print as-is:

    providers.yaml:14: profiles[1].providers[0]: unknown provider 'olama' (declared: ollama, openrouter)

or, when there are several problems, one header line and at most ``MAX_SHOWN_PROBLEMS`` indented lines.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config.

    ``key_path`` uses ``a.b[i].c`` notation and is ``""`` when the problem is not about one key (an
    unreadable file, a bad environment variable). ``line`` is 1-based, ``None`` when unknown.
    """

    key_path: str
    line: int | None
    message: str


class ConfigError(Exception):
    """A config that cannot be used; ``problems`` is never empty and is ordered as shown."""

    def __init__(self, source: str, problems: tuple[ConfigProblem, ...]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.source = source
        self.problems = problems
        super().__init__(render_problems(source, problems))

    @classmethod
    def single(cls, source: str, message: str, *, key_path: str = "", line: int | None = None) -> ConfigError:
        return cls(source, (ConfigProblem(key_path=key_path, line=line, message=message),))


def render_problems(source: str, problems: tuple[ConfigProblem, ...]) -> str:
    """Render problems as one line, or a header plus up to ``MAX_SHOWN_PROBLEMS`` lines and ``(+N more)``."""
    if len(problems) == 1:
        problem = problems[0]
        where = source if problem.line is None else f"{source}:{problem.line}"
        return f"{where}: {_describe(problem)}"
    lines = [f"{source}: {len(problems)} problems"]
    for problem in problems[:MAX_SHOWN_PROBLEMS]:
        prefix = "" if problem.line is None else f"line {problem.line}: "
        lines.append(f"  {prefix}{_describe(problem)}")
    hidden = len(problems) - MAX_SHOWN_PROBLEMS
    if hidden > 0:
        lines.append(f"  (+{hidden} more)")
    return "\n".join(lines)


def format_key_path(loc: tuple[str | int, ...]) -> str:
    """``("profiles", 1, "providers", 0)`` -> ``"profiles[1].providers[0]"``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _describe(problem: ConfigProblem) -> str:
    return f"{problem.key_path}: {problem.message}" if problem.key_path else problem.message
