"""The parsed expression: small immutable nodes, already type-checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .schema import FieldType

__all__ = [
    "Bare",
    "Call",
    "Comparison",
    "Expression",
    "Field",
    "Literal",
    "Logical",
    "Match",
    "Membership",
    "Node",
    "Not",
    "Operand",
]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType


@dataclass(frozen=True)
class Literal:
    """A string literal (as bytes, after unescaping) or an integer literal."""

    value: bytes | int

    @property
    def type(self) -> FieldType:
        return FieldType.INTEGER if isinstance(self.value, int) else FieldType.STRING


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Operand | Literal, ...]
    type: FieldType


Operand = Field | Call


@dataclass(frozen=True)
class Bare:
    """A Boolean field or function call used as a condition on its own."""

    operand: Operand


@dataclass(frozen=True)
class Comparison:
    """``eq`` (``==``), ``ne`` (``!=``) or ``contains`` against a literal."""

    operator: str
    left: Operand
    right: Literal


@dataclass(frozen=True)
class Match:
    """``matches`` (``~``): ``pattern`` is the Rust regex as written; ``compiled`` its Python equivalent."""

    left: Operand
    pattern: str
    compiled: re.Pattern[str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Membership:
    """``in {...}``."""

    left: Operand
    values: frozenset[bytes | int]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Logical:
    """``and`` / ``xor`` / ``or`` over two or more operands, left to right."""

    operator: str
    operands: tuple[Node, ...]


Node = Bare | Comparison | Match | Membership | Not | Logical


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text, its tree and the fields it reads."""

    source: str
    root: Node
    fields: frozenset[str]
