"""``evaluate(expression, fields)``: what Cloudflare's engine would answer for one request.

Semantics from https://developers.cloudflare.com/ruleset-engine/rules-language/ (operators, functions,
values): strings are byte strings compared exactly (case-sensitive); ``contains`` is a substring test;
``matches`` searches (not anchored) with the Rust regex, translated in :mod:`.regex`; ``lower`` converts
only ASCII upper-case bytes; ``xor`` is true when exactly one side is.
"""

from __future__ import annotations

from collections.abc import Mapping

from .ast import Bare, Comparison, Expression, Field, Literal, Logical, Match, Membership, Node, Not, Operand
from .errors import CannotEvaluate
from .parser import parse

__all__ = ["FieldValue", "evaluate"]

FieldValue = str | bytes | bool | int


def _field(name: str, fields: Mapping[str, FieldValue]) -> FieldValue:
    try:
        value = fields[name]
    except KeyError:
        raise CannotEvaluate(f"no value was given for {name}") from None
    return value.encode() if isinstance(value, str) else value


def _value(operand: Operand | Literal, fields: Mapping[str, FieldValue]) -> FieldValue:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Field):
        return _field(operand.name, fields)
    arguments = [_value(argument, fields) for argument in operand.arguments]
    if not all(isinstance(argument, bytes) for argument in arguments):
        raise CannotEvaluate(f"{operand.function}() was given a value that is not a string")
    text = [argument for argument in arguments if isinstance(argument, bytes)]
    if operand.function == "lower":
        return text[0].translate(_ASCII_LOWER)
    if operand.function == "starts_with":
        return text[0].startswith(text[1])
    if operand.function == "ends_with":
        return text[0].endswith(text[1])
    raise CannotEvaluate(f"the function {operand.function}() is outside the client-certificate subset")


_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def _bool(node: Node, fields: Mapping[str, FieldValue]) -> bool:
    if isinstance(node, Logical):
        results = [_bool(operand, fields) for operand in node.operands]
        if node.operator == "and":
            return all(results)
        if node.operator == "or":
            return any(results)
        return sum(results) % 2 == 1 if len(results) > 1 else results[0]
    if isinstance(node, Not):
        return not _bool(node.operand, fields)
    if isinstance(node, Bare):
        value = _value(node.operand, fields)
        if not isinstance(value, bool):
            raise CannotEvaluate(f"{_name(node.operand)} was given a value that is not a Boolean")
        return value
    left = _value(node.left, fields)
    if isinstance(left, bool | str):
        raise CannotEvaluate(f"{_name(node.left)} was given a Boolean where a string is expected")
    if isinstance(node, Membership):
        return left in node.values
    if isinstance(node, Match):
        if not isinstance(left, bytes):
            raise CannotEvaluate(f"{_name(node.left)} was given a value that is not a string")
        try:
            text = left.decode()
        except UnicodeDecodeError:
            raise CannotEvaluate(f"{_name(node.left)} is not UTF-8; its regex match is not evaluated") from None
        return node.compiled.search(text) is not None
    return _compare(node, left)


def _compare(node: Comparison, left: bytes | int) -> bool:
    right = node.right.value
    if node.operator == "eq":
        return left == right
    if node.operator == "ne":
        return left != right
    if isinstance(left, bytes) and isinstance(right, bytes):
        return right in left
    raise CannotEvaluate(f"contains needs strings on both sides ({_name(node.left)})")


def _name(operand: Operand) -> str:
    return operand.name if isinstance(operand, Field) else f"{operand.function}(...)"


def evaluate(expression: Expression | str, fields: Mapping[str, FieldValue]) -> bool:
    """True when ``expression`` matches a request with these field values (strings, bytes or Booleans).

    Every field the expression reads must be in ``fields``; otherwise, or for a value of the wrong type,
    :class:`CannotEvaluate` is raised. A string is parsed first (ExpressionSyntaxError, CannotEvaluate)."""
    parsed = parse(expression) if isinstance(expression, str) else expression
    return _bool(parsed.root, fields)
