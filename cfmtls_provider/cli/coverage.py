"""Which hostnames and issuer SKIs a rule names (read from its parsed expression), and a hostname to try an
association with. What a rule does to a request is :mod:`cfmtls_provider.custom_rules`' to say (evaluated on the
fields Cloudflare would compute, never by reading the expression's text); which association covers a hostname is
:func:`cfmtls_provider.hostnames.covers`'."""

from __future__ import annotations

from collections.abc import Iterator

from ..rules_language import Expression
from ..rules_language.ast import Bare, Call, Comparison, Field, Literal, Logical, Match, Membership, Node, Not, Operand
from ..rules_language.enforcement import hostnames_of_pattern

__all__ = ["host_literals", "pinned_skis", "sample_host"]

_HOST = "http.host"
_ISSUER_SKI = "cf.tls_client_auth.cert_issuer_ski"


def sample_host(association: str) -> str:
    """A hostname a request for ``association`` could carry (a wildcard gets a label)."""
    return "cfmtls-sample" + association[1:] if association.startswith("*.") else association


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Not):
        yield from _walk(node.operand)
    elif isinstance(node, Logical):
        for operand in node.operands:
            yield from _walk(operand)


def _literals_against(node: Node, field: str) -> Iterator[str]:
    if isinstance(node, Comparison | Membership) and isinstance(node.left, Field) and node.left.name == field:
        if isinstance(node, Comparison) and node.operator == "eq" and isinstance(node.right.value, bytes):
            yield node.right.value.decode(errors="replace")
        if isinstance(node, Membership):
            yield from (value.decode(errors="replace") for value in node.values if isinstance(value, bytes))


def _is_host(operand: Operand | Literal) -> bool:
    """``http.host`` or ``lower(http.host)``."""
    if isinstance(operand, Call) and operand.function == "lower":
        return _is_host(operand.arguments[0])
    return isinstance(operand, Field) and operand.name == _HOST


def host_literals(expression: Expression) -> list[str]:
    """Hostnames the expression names: ``http.host eq/in`` literals, ``*.suffix`` for ``ends_with``, and the names
    of the enforcement rule's regex (``lower(http.host) matches ...``, as the package builds it)."""
    found: list[str] = []
    for node in _walk(expression.root):
        found += _literals_against(node, _HOST)
        if isinstance(node, Match) and _is_host(node.left):
            found += hostnames_of_pattern(node.pattern)
        if isinstance(node, Bare) and isinstance(node.operand, Call) and node.operand.function == "ends_with":
            subject, suffix = node.operand.arguments
            if isinstance(subject, Field) and subject.name == _HOST and isinstance(suffix, Literal):
                text = suffix.value.decode(errors="replace") if isinstance(suffix.value, bytes) else ""
                if text.startswith("."):
                    found.append("*" + text)
    return sorted(set(found))


def pinned_skis(expression: Expression) -> list[str]:
    """Issuer SKIs the expression compares ``cf.tls_client_auth.cert_issuer_ski`` with."""
    return sorted({ski for node in _walk(expression.root) for ski in _literals_against(node, _ISSUER_SKI)})
