"""The two ways an expression can fail: Cloudflare would reject it, or it is outside what we evaluate."""

from __future__ import annotations

__all__ = ["CannotEvaluate", "ExpressionSyntaxError", "RulesLanguageError"]


class RulesLanguageError(ValueError):
    """Base class; ``str()`` is a sentence for a user."""


class ExpressionSyntaxError(RulesLanguageError):
    """Cloudflare's engine (wirefilter) rejects this expression: a syntax or type error.

    ``line`` and ``column`` (1-based) point at the problem when known.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None and column is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


class CannotEvaluate(RulesLanguageError):
    """The expression (or a value it needs) is outside the client-certificate subset we evaluate.

    Never a verdict: the caller reports "cannot evaluate" instead of guessing.
    """
