"""Which hostnames and issuer SKIs a rule names (read from its parsed expression), and the hosts to try an
association with (its sample in the forms a client may send, a name below a wildcard's reach). What a rule does to a request is :mod:`cfmtls_provider.custom_rules`' to say (evaluated on the
fields Cloudflare would compute, never by reading the expression's text); which association covers a hostname is
:func:`cfmtls_provider.hostnames.covers`'."""

from __future__ import annotations

from collections.abc import Iterator

from ..rules_language import Expression
from ..rules_language.ast import Bare, Call, Comparison, Field, Literal, Logical, Match, Membership, Node, Not, Operand
from ..rules_language.enforcement import hostnames_of_pattern

__all__ = ["deeper_sample", "host_forms", "host_literals", "pinned_skis", "sample_host"]

_HOST = "http.host"
_ISSUER_SKI = "cf.tls_client_auth.cert_issuer_ski"


_SAMPLE_LABEL = "cfmtls-sample"


def sample_host(association: str) -> str:
    """A hostname a request for ``association`` could carry (a wildcard gets a label)."""
    return _SAMPLE_LABEL + association[1:] if association.startswith("*.") else association


def host_forms(association: str) -> tuple[str, ...]:
    """The Host a client may send for a request to ``association``'s sample: as is, in upper case, and with a
    trailing dot. ``http.host`` is the Host as sent (docs/cloudflare-api.md), so a rule that protects the first
    form must protect the others too; the package's rule does (``lower()``, an optional dot)."""
    sample = sample_host(association)
    return (sample, sample.upper(), sample + ".")


def deeper_sample(wildcard: str) -> str:
    """A name two labels below a ``*.`` wildcard's domain, which the wildcard association does not cover."""
    return f"{_SAMPLE_LABEL}.{sample_host(wildcard)}"


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
