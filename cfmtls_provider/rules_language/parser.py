"""``parse(source)``: text to a type-checked :class:`~.ast.Expression`, or the reason it is not one.

Three outcomes, never a guess: an expression; :class:`ExpressionSyntaxError` when Cloudflare's engine
rejects the text (syntax, unknown ``cf.tls_client_auth.*`` field, wrong types or arguments); or
:class:`CannotEvaluate` when the text uses something outside the client-certificate subset (another field or
function, another operator, a list), whether or not Cloudflare would accept it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .ast import Bare, Call, Comparison, Expression, Field, Literal, Logical, Match, Membership, Node, Not, Operand
from .errors import CannotEvaluate, ExpressionSyntaxError
from .grammar import parser
from .regex import translate
from .schema import CLIENT_AUTH_PREFIX, FIELDS, FUNCTIONS, FieldType

if TYPE_CHECKING:
    from lark import Token

__all__ = ["parse"]

#: Lark's trees are loosely typed (a child is a Token or a Tree): read as Any, checked by the grammar.
_Tree = Any

#: The operators' canonical (English) names.
_OPERATORS = {"==": "eq", "!=": "ne", "~": "matches", "&&": "and", "||": "or", "^^": "xor", "!": "not"}
_KEYWORDS = frozenset({"not", "and", "or", "xor", "eq", "ne", "contains", "matches", "in"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_STRINGS = re.compile(r'r(#*)"(?s:.*?)"\1|"(?:[^"\\]|\\.)*"', re.DOTALL)
_OUTSIDE_CHARACTERS = frozenset("$[]<>")
_OCTAL = re.compile(r"[0-7]{3}")
_HEX = re.compile(r"[0-9A-Fa-f]{2}")


def _where(item: Token | _Tree) -> dict[str, int | None]:
    meta = getattr(item, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return {"line": meta.line, "column": meta.column}
    return {"line": getattr(item, "line", None), "column": getattr(item, "column", None)}


def _raw_body(text: str) -> str | None:
    """What a raw string ``r#"..."#`` holds (nothing in it is an escape); None for a quoted string."""
    if not text.startswith("r"):
        return None
    hashes = len(text) - len(text.lstrip("r#")) - 1
    return text[2 + hashes : len(text) - 1 - hashes]


def _decode_string(token: Token) -> bytes:
    """A quoted string's bytes: escapes are ``\\"``, ``\\\\``, ``\\xHH`` and three octal digits."""
    text: str = token.value
    raw = _raw_body(text)
    if raw is not None:
        return raw.encode()
    body, out, index = text[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out += char.encode()
            index += 1
            continue
        follower = body[index + 1]
        if follower in '"\\':
            out.append(ord(follower))
            index += 2
        elif follower == "x" and _HEX.fullmatch(body, index + 2, index + 4):
            out.append(int(body[index + 2 : index + 4], 16))
            index += 4
        elif _OCTAL.fullmatch(body, index + 1, index + 4) and int(body[index + 1 : index + 4], 8) < 256:
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
        else:
            raise ExpressionSyntaxError(
                f'the escape "\\{follower}" is not valid in a quoted string: Cloudflare allows \\", \\\\, \\xHH '
                'and three octal digits (use a raw string r"..." to write backslashes freely)',
                **_where(token),
            )
    return bytes(out)


def _regex_source(token: Token) -> str:
    """The regex a string spells: in a quoted string only ``\\"`` is unescaped, the rest is the regex's."""
    text: str = token.value
    raw = _raw_body(text)
    if raw is not None:
        return raw
    body, out, index = text[1:-1], [], 0
    while index < len(body):
        if body[index] == "\\" and body[index + 1] == '"':
            out.append('"')
            index += 2
        elif body[index] == "\\":
            out.append(body[index : index + 2])
            index += 2
        else:
            out.append(body[index])
            index += 1
    return "".join(out)


def _describe(operand: Operand) -> str:
    if isinstance(operand, Field):
        return operand.name
    return f"{operand.function}(...)"


class _Builder:
    """Turns Lark's tree into checked nodes."""

    def node(self, tree: _Tree) -> Node:
        kind = tree.data
        if kind in ("or_expr", "xor_expr", "and_expr"):
            operands = tuple(self.node(child) for child in tree.children[::2])
            return Logical(kind.removesuffix("_expr"), operands)
        if kind == "negation":
            return Not(self.node(tree.children[1]))
        if kind == "bare":
            operand = self.operand(tree.children[0])
            if operand.type is not FieldType.BOOLEAN:
                raise ExpressionSyntaxError(
                    f"{_describe(operand)} is a {operand.type.value}, not a condition: compare it, "
                    f'e.g. {_describe(operand)} eq "..."',
                    **_where(tree),
                )
            return Bare(operand)
        return self.simple(kind, tree)

    def simple(self, kind: str, tree: _Tree) -> Node:
        left = self.operand(tree.children[0])
        operator_token = tree.children[1]
        operator: str = _OPERATORS.get(operator_token.value, operator_token.value)
        if kind == "other_comparison":
            raise CannotEvaluate(f"the operator {operator_token.value!r} is outside the client-certificate subset")
        if kind == "list_membership":
            raise CannotEvaluate(f"the list {tree.children[2].value} is outside the client-certificate subset")
        if left.type is FieldType.BOOLEAN:
            raise ExpressionSyntaxError(
                f"{_describe(left)} is a Boolean: use it alone ({_describe(left)}) or negated "
                f"(not {_describe(left)}); Cloudflare does not compare Booleans with {operator}",
                **_where(operator_token),
            )
        if kind == "match":
            self.require_string(left, operator, tree)
            pattern = _regex_source(tree.children[2].children[0])
            return Match(left, pattern, translate(pattern))
        if kind == "membership":
            values = [self.literal(item) for item in tree.children[2:]]
            for value, item in zip(values, tree.children[2:], strict=True):
                self.require_same(left, value, "in", item)
            return Membership(left, frozenset(value.value for value in values))
        right = self.value(tree.children[2])
        if operator == "contains":
            self.require_string(left, operator, tree)
        self.require_same(left, right, operator, tree.children[2])
        return Comparison(operator, left, right)

    @staticmethod
    def require_string(left: Operand, operator: str, tree: _Tree) -> None:
        if left.type is not FieldType.STRING:
            raise ExpressionSyntaxError(
                f"{operator} needs a String on its left; {_describe(left)} is a {left.type.value}", **_where(tree)
            )

    @staticmethod
    def require_same(left: Operand, right: Literal, operator: str, tree: _Tree) -> None:
        if left.type is not right.type:
            raise ExpressionSyntaxError(
                f"{_describe(left)} is a {left.type.value} and cannot be compared ({operator}) with a "
                f"{right.type.value} literal".replace(" a I", " an I")
                + ('; quote it: "..."' if right.type is FieldType.INTEGER else ""),
                **_where(tree),
            )

    def value(self, item: _Tree) -> Literal:
        if item.data in ("field", "call"):
            self.operand(item)
            raise CannotEvaluate("comparing with a field or a function result is outside the client-certificate subset")
        return self.literal(item)

    @staticmethod
    def literal(item: _Tree) -> Literal:
        token = item.children[0]
        if item.data == "bytes":
            raise CannotEvaluate(f"the byte-string literal {token.value} is outside the client-certificate subset")
        if item.data == "integer":
            return Literal(int(token.value))
        return Literal(_decode_string(token))

    def operand(self, item: _Tree) -> Operand:
        name_token = item.children[0]
        name: str = name_token.value
        if item.data == "field":
            if name in FIELDS:
                return Field(name, FIELDS[name])
            if name.startswith(CLIENT_AUTH_PREFIX) or name == CLIENT_AUTH_PREFIX.rstrip("."):
                raise ExpressionSyntaxError(f"{name} is not a field Cloudflare knows", **_where(name_token))
            if _misspelt(name):
                raise ExpressionSyntaxError(str(_misspelt(name)), **_where(name_token))
            raise CannotEvaluate(f"the field {name} is outside the client-certificate subset")
        signature = FUNCTIONS.get(name)
        if signature is None and _misspelt(name):
            raise ExpressionSyntaxError(str(_misspelt(name)), **_where(name_token))
        if signature is None:
            raise CannotEvaluate(f"the function {name}() is outside the client-certificate subset")
        arguments = [child for child in item.children[1:] if child is not None]
        if len(arguments) != len(signature.arguments):
            raise ExpressionSyntaxError(
                f"{name}() takes {len(signature.arguments)} argument(s), not {len(arguments)}", **_where(name_token)
            )
        checked: list[Operand | Literal] = []
        for position, (argument, wanted) in enumerate(zip(arguments, signature.arguments, strict=True)):
            value: Operand | Literal = (
                self.operand(argument) if argument.data in ("field", "call") else self.literal(argument)
            )
            if position == 0 and isinstance(value, Literal):
                raise ExpressionSyntaxError(
                    f"the first argument of {name}() must be a field or a function, not a literal", **_where(argument)
                )
            if value.type is not wanted:
                raise ExpressionSyntaxError(
                    f"argument {position + 1} of {name}() must be a {wanted.value}, not a {value.type.value}",
                    **_where(argument),
                )
            checked.append(value)
        return Call(name, tuple(checked), signature.result)


def _fields_of(node: Node | Operand | Literal) -> set[str]:
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(_fields_of(argument) for argument in node.arguments))
    if isinstance(node, Bare | Comparison | Match | Membership):
        return _fields_of(node.operand if isinstance(node, Bare) else node.left)
    if isinstance(node, Not):
        return _fields_of(node.operand)
    if isinstance(node, Logical):
        return set().union(*(_fields_of(operand) for operand in node.operands))
    return set()


def _misspelt(word: str) -> str | None:
    """Why Cloudflare rejects ``word`` for sure, if it does: names are lower-case; there are no Boolean literals."""
    if word in ("true", "false"):
        return (
            f"{word!r}: the Rules language has no Boolean literals; use a Boolean field alone "
            "(cf.tls_client_auth.cert_verified) or negated (not cf.tls_client_auth.cert_verified)"
        )
    lowered = word.lower()
    if lowered != word and (lowered in FIELDS or lowered in FUNCTIONS or lowered in _KEYWORDS):
        return f"{word!r}: names and operators are lower-case in the Rules language ({lowered})"
    return None


def _outside_subset(source: str, end: int) -> str | None:
    """Something in ``source[:end]`` (strings aside) that the subset does not know, if any: then a parse
    failure may come from Cloudflare syntax we do not model, and is reported as "cannot evaluate"."""
    text = _STRINGS.sub(" ", source[:end])
    words: list[str] = _WORD.findall(text)
    for word in words:
        if word not in _KEYWORDS and word not in FIELDS and word not in FUNCTIONS and not word.isdigit():
            return word
    outside: str | None = next((char for char in text if char in _OUTSIDE_CHARACTERS), None)
    return outside


def _syntax_error(source: str, error: Exception) -> Exception:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line, column = getattr(error, "line", None), getattr(error, "column", None)
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        end, problem = len(source), "the expression ends too early"
    elif isinstance(error, UnexpectedToken):
        start = getattr(error.token, "start_pos", None)
        end = start if start is not None else len(source)
        problem = f"unexpected {error.token.value!r}"
    elif isinstance(error, UnexpectedCharacters):
        end = int(error.pos_in_stream or 0)
        problem = f"unexpected {source[end]!r}"
    else:
        end, problem = len(source), str(error)
    outside = _outside_subset(source, end)
    if outside is not None and _misspelt(outside):
        return ExpressionSyntaxError(f"not a valid expression: {_misspelt(outside)}", line=line, column=column)
    if outside == "r":  # strings are blanked out before the scan: an "r" left is an unclosed raw string
        return ExpressionSyntaxError(
            'not a valid expression: a raw string r"..." is not closed', line=line, column=column
        )
    if outside is None and end < len(source) and source[end] in _OUTSIDE_CHARACTERS:
        outside = source[end]
    if outside is not None:
        return CannotEvaluate(f"{outside!r} is outside the client-certificate subset ({problem})")
    if isinstance(error, UnexpectedCharacters) and source[end] == '"':
        problem = "a string is not closed"
    return ExpressionSyntaxError(f"not a valid expression: {problem}", line=line, column=column)


def parse(source: str) -> Expression:
    """Parse and type-check ``source``; raises ExpressionSyntaxError or CannotEvaluate."""
    from lark.exceptions import LarkError, UnexpectedInput

    if not source.strip():
        raise ExpressionSyntaxError("the expression is empty")
    try:
        tree = parser().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(source, error) from None
    except LarkError as error:  # pragma: no cover - Lark's other errors are grammar bugs
        raise ExpressionSyntaxError(f"not a valid expression: {error}") from None
    root = _Builder().node(tree)
    return Expression(source, root, frozenset(_fields_of(root)))
