"""Write the WAF custom rule expression that enforces client certificates (pure: no I/O, no Pulumi).

The other direction of this package: the parser reads any expression, this module writes ours (and widens it
to a second issuer in a rotation). ``ClientCertificateRule`` and ``IssuerHandover`` use it; the emulator
shares its length limit.

Hostnames are validated first (DNS characters only) and quoted anyway, so an expression can never be
injected through them; the issuer SKI must be hexadecimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..hostnames import validate_hostnames

__all__ = [
    "ALLOWED_ACTIONS",
    "MAX_EXPRESSION_LENGTH",
    "ExpressionTooLong",
    "accept_issuer",
    "build_expression",
    "expression_length_problem",
    "normalise_ski",
    "pinned_issuers",
    "quote",
]

#: Actions that make sense for a request without a valid client certificate.
ALLOWED_ACTIONS = ("block", "managed_challenge", "challenge", "js_challenge", "log")

_HEX = re.compile(r"^(?:[0-9A-F]{2})+$")

#: "The maximum length of a rule expression is 4,096 characters."
#: https://developers.cloudflare.com/ruleset-engine/rules-language/expressions/#maximum-rule-expression-length
MAX_EXPRESSION_LENGTH = 4096

#: A SubjectKeyIdentifier as Cloudflare's SKIs usually are (160 bits, RFC 5280 method 1): what a preview
#: assumes while the CA (and so its SKI) is not known yet.
_TYPICAL_SKI = "00" * 20


class ExpressionTooLong(ValueError):
    """The rule expression would be over Cloudflare's limit; the message says how far and what to do."""


def quote(value: str) -> str:
    """A Rules-language string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalise_ski(ski: str) -> str:
    """Upper-case hex without separators; raises ValueError for anything else."""
    compact = ski.replace(":", "").replace(" ", "").upper()
    if not _HEX.match(compact) or len(compact) > 128:
        raise ValueError(
            f"issuer_ski {ski!r} is not a hex subject key identifier; pass MTLSCertificate.subject_key_identifier"
        )
    return compact


def _host_condition(hostnames: Sequence[str]) -> str:
    exact = [name for name in hostnames if not name.startswith("*.")]
    wildcards = [name[1:] for name in hostnames if name.startswith("*.")]
    parts = []
    if exact:
        parts.append("http.host in {" + " ".join(quote(name) for name in exact) + "}")
    parts.extend(f"ends_with(http.host, {quote(suffix)})" for suffix in wildcards)
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


#: The issuers a rule accepts: one SKI, several (a rotation), or None (any certificate Cloudflare verifies).
Issuers = str | Sequence[str] | None


def _skis(issuers: Issuers) -> list[str]:
    return [issuers] if isinstance(issuers, str) else list(issuers or ())


def _issuer_condition(issuer_skis: Sequence[str]) -> str:
    skis = [quote(normalise_ski(ski)) for ski in issuer_skis]
    if len(skis) == 1:
        return f"cf.tls_client_auth.cert_issuer_ski eq {skis[0]}"
    return "cf.tls_client_auth.cert_issuer_ski in {" + " ".join(skis) + "}"


def _expression(names: Sequence[str], issuers: Issuers) -> str:
    verified = "cf.tls_client_auth.cert_verified"
    if _skis(issuers):
        verified = f"({verified} and {_issuer_condition(_skis(issuers))})"
    return f"({_host_condition(names)} and not {verified})"


def expression_length_problem(hostnames: Sequence[str], issuer_skis: Issuers, *, skis_known: bool = True) -> str:
    """Why the expression for ``hostnames`` would be too long for one rule (a sentence), or "". ``skis_known``
    False: the SKIs are not known yet (a preview), typical ones are assumed."""
    names = validate_hostnames(list(hostnames))
    skis = _skis(issuer_skis) if skis_known else [_TYPICAL_SKI] * len(_skis(issuer_skis))
    length = len(_expression(names, skis))
    if length <= MAX_EXPRESSION_LENGTH:
        return ""
    per_name = (length - len(_expression(names[:1], skis))) / max(1, len(names) - 1)
    fit = max(1, int((MAX_EXPRESSION_LENGTH - (length - per_name * len(names))) // per_name))
    return (
        f"the rule expression for these {len(names)} hostnames would be {length} characters, over Cloudflare's "
        f"limit of {MAX_EXPRESSION_LENGTH:,} characters for one rule expression (https://developers.cloudflare."
        "com/ruleset-engine/rules-language/expressions/#maximum-rule-expression-length), counting room for a second "
        f"issuer during a CA rotation. List at most about {fit} hostnames per association, or cover a subdomain "
        "with one wildcard ('*.example.com')"
    )


def build_expression(hostnames: Sequence[str], issuer_skis: Issuers = None) -> str:
    """Requests to ``hostnames`` without a verified client certificate (issued by one of ``issuer_skis``, when
    given) match. Raises :class:`ExpressionTooLong` over Cloudflare's limit."""
    problem = expression_length_problem(hostnames, issuer_skis)
    if problem:
        raise ExpressionTooLong(f"hostnames: {problem}.")
    return _expression(validate_hostnames(list(hostnames)), issuer_skis)


_PIN = re.compile(r'cf\.tls_client_auth\.cert_issuer_ski (?:eq "([0-9A-F]+)"|in \{((?:"[0-9A-F]+" ?)+)\})')


def pinned_issuers(expression: str) -> tuple[str, ...]:
    """The issuer SKIs a rule made by :func:`build_expression` (or widened by :func:`accept_issuer`) accepts;
    () when it pins no issuer."""
    found = _PIN.search(expression)
    if found is None:
        return ()
    if found.group(1):
        return (found.group(1),)
    return tuple(re.findall(r'"([0-9A-F]+)"', found.group(2)))


def accept_issuer(expression: str, issuer_ski: str) -> str | None:
    """The pinned ``expression`` accepting ``issuer_ski`` too (``cert_issuer_ski in {"OLD" "NEW"}``), or None
    when there is nothing to do (no issuer pinned, or this one accepted already). Raises
    :class:`ExpressionTooLong` over Cloudflare's limit."""
    ski = normalise_ski(issuer_ski)
    accepted = pinned_issuers(expression)
    if not accepted or ski in accepted:
        return None
    both = " ".join(quote(value) for value in (*accepted, ski))
    widened = _PIN.sub(lambda _: f"cf.tls_client_auth.cert_issuer_ski in {{{both}}}", expression, count=1)
    if len(widened) > MAX_EXPRESSION_LENGTH:
        raise ExpressionTooLong(
            f"accepting issuer {ski} too would make the rule expression {len(widened)} characters, over "
            f"Cloudflare's limit of {MAX_EXPRESSION_LENGTH:,}: split the hostnames over several rules."
        )
    return widened
