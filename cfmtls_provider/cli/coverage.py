"""What a zone's rules do to a request: evaluated with the rules-language evaluator on the fields Cloudflare
would compute (:mod:`cfmtls_provider.client_auth`), never by reading the expression's text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..client_auth import NOT_PRESENTED, ClientAuth
from ..cloudflare.models import Rule
from ..rules_language import CannotEvaluate, Expression, ExpressionSyntaxError, evaluate, parse
from ..rules_language.ast import Bare, Call, Comparison, Field, Literal, Logical, Membership, Node, Not

__all__ = [
    "BLOCKING_ACTIONS",
    "Outcome",
    "covers",
    "host_literals",
    "outcome",
    "parsed",
    "pinned_skis",
    "request_fields",
    "sample_host",
]

#: Actions that stop a request a browserless client makes (a challenge is a page it cannot pass).
#: https://developers.cloudflare.com/ruleset-engine/rules-language/actions/
BLOCKING_ACTIONS = frozenset({"block", "challenge", "js_challenge", "managed_challenge"})

_HOST = "http.host"
_ISSUER_SKI = "cf.tls_client_auth.cert_issuer_ski"


@dataclass(frozen=True)
class Outcome:
    """One rule against one request: ``matched`` is None when the rule cannot be evaluated (``reason``)."""

    rule: Rule
    matched: bool | None
    reason: str = ""

    @property
    def blocks(self) -> bool:
        return bool(self.matched) and self.rule.enabled and self.rule.action in BLOCKING_ACTIONS


def request_fields(hostname: str, auth: ClientAuth = NOT_PRESENTED, path: str = "/") -> dict[str, str | bool]:
    """The fields of a request to ``hostname`` whose client sent what ``auth`` describes."""
    return {"http.host": hostname, "http.request.uri.path": path, **auth.fields()}


def parsed(rule: Rule) -> Expression | Exception:
    """The rule's expression parsed, or the error that says why it is not evaluated."""
    return _parsed(rule.expression)


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> Expression | Exception:
    try:
        return parse(expression)
    except (CannotEvaluate, ExpressionSyntaxError) as error:
        return error


def outcome(rule: Rule, fields: Mapping[str, str | bool]) -> Outcome:
    expression = parsed(rule)
    if isinstance(expression, ExpressionSyntaxError):
        return Outcome(rule, None, f"Cloudflare's engine would reject it: {expression}")
    if isinstance(expression, Exception):
        return Outcome(rule, None, f"cannot evaluate: {expression}")
    try:
        return Outcome(rule, evaluate(expression, fields))
    except CannotEvaluate as error:
        return Outcome(rule, None, f"cannot evaluate: {error}")


def covers(association: str, hostname: str) -> bool:
    """An association ``*.example.com`` covers one more label (``a.example.com``); others cover themselves."""
    if association == hostname:
        return True
    if association.startswith("*."):
        head, _, tail = hostname.partition(".")
        return bool(head) and "*" not in head and tail == association[2:]
    return False


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


def host_literals(expression: Expression) -> list[str]:
    """Hostnames the expression names: ``http.host eq/in`` literals, and ``*.suffix`` for ``ends_with``."""
    found: list[str] = []
    for node in _walk(expression.root):
        found += _literals_against(node, _HOST)
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
