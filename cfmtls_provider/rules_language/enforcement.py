r"""Write the WAF custom rule expression that enforces client certificates (pure: no I/O, no Pulumi).

The other direction of this package: the parser reads any expression, this module writes ours. A request matches
(and is blocked) when its Host is one the hostname association covers and it has no verified client certificate
(of one of the pinned issuers, when SKIs are given). The resources use it; the emulator shares its length limit.

The host part is one regular expression on ``lower(http.host)``, so the rule covers exactly what
:func:`cfmtls_provider.hostnames.covers` says the association covers, for the Host as a client may send it:

- case: ``http.host`` is the Host header as sent ("contains the Host header from the original request",
  https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/http.host/) and string
  comparison is case-sensitive (https://developers.cloudflare.com/ruleset-engine/rules-language/operators/
  #comparing-string-values), hence ``lower()``, which converts ASCII letters only, as
  :func:`~cfmtls_provider.hostnames.canonical` does (https://developers.cloudflare.com/ruleset-engine/
  rules-language/functions/#lower);
- an optional trailing dot (``\.?``): whether Cloudflare keeps it in ``http.host`` is not documented, so both
  forms are blocked; and an optional ``:port``, should ``http.host`` ever carry one (documented as "the hostname
  used in the full request URI", without one);
- a ``*.`` wildcard covers exactly one label (``[^.]+``), as the association does.

``matches`` is available on Business and Enterprise plans (BYO CA requires Enterprise) and runs Rust's regex
engine (operators page above); a rule holds at most 64 regular expressions (.../rules-language/expressions/
#maximum-regular-expressions-per-rule): this one holds one. Hostnames are validated first (DNS characters only),
every regex metacharacter is escaped anyway, and the pattern is a raw string whose delimiter its text cannot
close, so an expression can never be injected through them; an issuer SKI must be hexadecimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ..hostnames import validate_hostnames

__all__ = [
    "ALLOWED_ACTIONS",
    "MAX_EXPRESSION_LENGTH",
    "ExpressionTooLong",
    "build_expression",
    "expression_length_problem",
    "host_pattern",
    "hostnames_of_pattern",
    "normalise_ski",
    "pinned_issuers",
    "quote",
    "raw_string",
    "regex_escape",
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

#: Rust regex's metacharacters (regex-syntax ``is_meta_character``, what ``regex::escape`` escapes).
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")
#: A wildcard's one label: any characters but a dot, at least one.
_ONE_LABEL = "[^.]+"
_HOST_START = "^(?:"
#: After the name: an optional trailing dot, an optional port, the end of the Host.
_HOST_END = r")\.?(?::[0-9]+)?$"


class ExpressionTooLong(ValueError):
    """The rule expression would be over Cloudflare's limit; the message says how far and what to do."""


def quote(value: str) -> str:
    """A Rules-language string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def raw_string(body: str) -> str:
    """A Rules-language raw string holding ``body`` as is (``r"..."``, or ``r#"..."#`` and so on when ``body``
    holds a quote): nothing in a raw string is an escape (https://developers.cloudflare.com/ruleset-engine/
    rules-language/values/#raw-string-syntax), so a regex needs no second layer of escaping."""
    hashes = 0
    while '"' + "#" * hashes in body:
        hashes += 1
    fence = "#" * hashes
    return f'r{fence}"{body}"{fence}'


def regex_escape(text: str) -> str:
    """``text`` as a Rust regex matching exactly it: every metacharacter escaped."""
    return "".join("\\" + char if char in _REGEX_META else char for char in text)


def _regex_unescape(text: str) -> str | None:
    """The literal text :func:`regex_escape` made ``text`` from, or None when ``text`` is not such an escape."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _REGEX_META:
            out.append(text[index + 1])
            index += 2
        elif char in _REGEX_META:
            return None
        else:
            out.append(char)
            index += 1
    return "".join(out)


def normalise_ski(ski: str) -> str:
    """Upper-case hex without separators; raises ValueError for anything else."""
    compact = ski.replace(":", "").replace(" ", "").upper()
    if not _HEX.match(compact) or len(compact) > 128:
        raise ValueError(
            f"issuer_ski {ski!r} is not a hex subject key identifier; pass MTLSCertificate.subject_key_identifier"
        )
    return compact


def host_pattern(hostnames: Sequence[str]) -> str:
    """The regex ``lower(http.host)`` must match for a request to one of ``hostnames`` (validated, lower-case):
    ``^(?:api\\.example\\.com|[^.]+\\.example\\.com)\\.?(?::[0-9]+)?$``."""
    alternatives = [
        _ONE_LABEL + regex_escape(name[1:]) if name.startswith("*.") else regex_escape(name) for name in hostnames
    ]
    return _HOST_START + "|".join(alternatives) + _HOST_END


def hostnames_of_pattern(pattern: str) -> tuple[str, ...]:
    """The hostnames (``*.`` wildcards included) a :func:`host_pattern` regex names, in its order; () for any other
    regex. What reads it back (``cfmtls``' inventory) still decides coverage by evaluating the rule."""
    if not (pattern.startswith(_HOST_START) and pattern.endswith(_HOST_END)):
        return ()
    names: list[str] = []
    for alternative in pattern[len(_HOST_START) : -len(_HOST_END)].split("|"):
        wildcard = alternative.startswith(_ONE_LABEL)
        name = _regex_unescape(alternative.removeprefix(_ONE_LABEL) if wildcard else alternative)
        if not name:
            return ()
        names.append("*" + name if wildcard else name)
    return tuple(names)


def _skis(issuer_skis: str | Sequence[str] | None) -> list[str]:
    """The SKIs given, normalised, each once, in order (a single string is one SKI, not its characters)."""
    given = [issuer_skis] if isinstance(issuer_skis, str) else list(issuer_skis or ())
    normalised = [normalise_ski(ski) for ski in given if ski]
    return list(dict.fromkeys(normalised))


def _verified(skis: Sequence[str]) -> str:
    verified = "cf.tls_client_auth.cert_verified"
    if len(skis) == 1:
        return f"({verified} and cf.tls_client_auth.cert_issuer_ski eq {quote(skis[0])})"
    if skis:
        return f"({verified} and cf.tls_client_auth.cert_issuer_ski in {{{' '.join(quote(ski) for ski in skis)}}})"
    return verified


def _expression(names: Sequence[str], skis: Sequence[str]) -> str:
    return _expression_of(tuple(names), tuple(skis))


@lru_cache(maxsize=4096)
def _expression_of(names: tuple[str, ...], skis: tuple[str, ...]) -> str:
    """Cached: a preview builds each association's expression several times (its length, the plan, the diff)."""
    return f"(lower(http.host) matches {raw_string(host_pattern(names))} and not {_verified(skis)})"


def expression_length_problem(
    hostnames: Sequence[str],
    issuer_skis: str | Sequence[str] | None = None,
    *,
    skis_known: bool = True,
) -> str:
    """Why the expression for ``hostnames`` would be too long for one rule (a sentence), or "".

    ``skis_known=False`` (at preview, the CA not uploaded yet): each SKI is counted as a typical one (160 bits),
    and at least one."""
    names = validate_hostnames(list(hostnames))
    if skis_known:
        skis = _skis(issuer_skis)
    else:
        count = max(1, len(issuer_skis)) if isinstance(issuer_skis, list | tuple) else 1
        skis = [f"{index:02X}" + _TYPICAL_SKI[2:] for index in range(count)]
    length = len(_expression(names, skis))
    if length <= MAX_EXPRESSION_LENGTH:
        return ""
    per_name = (length - len(_expression(names[:1], skis))) / max(1, len(names) - 1)
    fit = max(1, int((MAX_EXPRESSION_LENGTH - (length - per_name * len(names))) // per_name))
    return (
        f"the rule expression for these {len(names)} hostnames would be {length} characters, over Cloudflare's "
        f"limit of {MAX_EXPRESSION_LENGTH:,} characters for one rule expression (https://developers.cloudflare."
        "com/ruleset-engine/rules-language/expressions/#maximum-rule-expression-length). One rule enforces one "
        f"association's hostnames: list at most about {fit} hostnames in it, or cover a subdomain with one "
        "wildcard ('*.example.com')"
    )


def build_expression(hostnames: Sequence[str], issuer_skis: str | Sequence[str] | None = None) -> str:
    """Requests to ``hostnames`` without a verified client certificate match; with ``issuer_skis``, also those
    whose verified certificate's issuer is none of them (two SKIs: a rotation accepting both issuers).
    Raises :class:`ExpressionTooLong` over Cloudflare's limit."""
    problem = expression_length_problem(hostnames, issuer_skis)
    if problem:
        raise ExpressionTooLong(f"hostnames: {problem}.")
    return _expression(validate_hostnames(list(hostnames)), _skis(issuer_skis))


_PIN = re.compile(r'cf\.tls_client_auth\.cert_issuer_ski (?:eq "([0-9A-F]+)"|in \{((?:"[0-9A-F]+" ?)+)\})')


def pinned_issuers(expression: str) -> tuple[str, ...]:
    """The issuer SKIs a rule made by :func:`build_expression` accepts (one, or several during a rotation); ()
    when it pins no issuer."""
    found = _PIN.search(expression)
    if found is None:
        return ()
    if found.group(1):
        return (found.group(1),)
    return tuple(re.findall(r'"([0-9A-F]+)"', found.group(2)))
