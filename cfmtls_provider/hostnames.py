"""Hostname rules for mTLS hostname associations and the enforcement rule (pure: no I/O, no Pulumi)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = [
    "MAX_HOSTNAME_LENGTH",
    "HostnameError",
    "canonical",
    "covers",
    "hostname_problems",
    "hostnames_outside_zone",
    "in_domain",
    "sample_hostname",
    "validate_hostnames",
]

MAX_HOSTNAME_LENGTH = 253
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class HostnameError(ValueError):
    """A hostname list Cloudflare would refuse; the message names the hostname and the rule."""


def _problem(raw: object) -> str | None:
    """The first problem of one hostname: its spelling as a whole, then its labels."""
    if not isinstance(raw, str):
        return f"{raw!r} is not a string; hostnames are DNS names such as 'api.example.com'"
    return _name_problem(raw)


@lru_cache(maxsize=1 << 16)
def _name_problem(name: str) -> str | None:
    """Cached: a preview checks each association's list several times (check, the rule's length, its expression)."""
    return _spelling_problem(name) or _labels_problem(name)


def _spelling_problem(name: str) -> str | None:
    """Empty, padded, not ASCII, not lower case, a URL, a trailing dot, too long."""
    if not name:
        return "an empty string is not a hostname"
    if name != name.strip():
        return f"{name!r} has surrounding whitespace; remove it"
    if not name.isascii():
        try:
            puny = name.encode("idna").decode("ascii")
        except UnicodeError:
            puny = "its punycode (xn--...) form"
        return f"{name!r} is not ASCII; write internationalised names in punycode: {puny!r}"
    if name != name.lower():
        return f"{name!r} has upper-case letters; write it in lower case: {name.lower()!r}"
    if "://" in name or "/" in name or ":" in name:
        return f"{name!r} is a URL or has a port or path; give the bare hostname, e.g. 'api.example.com'"
    if name.endswith("."):
        return f"{name!r} ends with a dot; drop the trailing dot"
    if len(name) > MAX_HOSTNAME_LENGTH:
        return f"{name!r} is longer than {MAX_HOSTNAME_LENGTH} characters"
    return None


def _labels_problem(name: str) -> str | None:
    """At least two labels, each a DNS label, and '*' only as a whole leftmost label over at least two more."""
    labels = name.split(".")
    if len(labels) < 2:
        return f"{name!r} is not a fully qualified name; use the full hostname, e.g. 'api.example.com'"
    for position, label in enumerate(labels):
        problem = _label_problem(name, label, leftmost=position == 0)
        if problem:
            return problem
    if labels[0] == "*" and len(labels) < 3:
        return f"{name!r} is a wildcard over a whole top-level domain; name a zone, e.g. '*.example.com'"
    return None


def _label_problem(name: str, label: str, *, leftmost: bool) -> str | None:
    if label == "*":
        return (
            None
            if leftmost
            else f"{name!r} has '*' in the middle; a wildcard may only be the leftmost label ('*.example.com')"
        )
    if "*" in label:
        return f"{name!r} has a partial wildcard; only a whole leftmost '*' label is allowed"
    if not label:
        return f"{name!r} has an empty label ('..')"
    if len(label) > 63:
        return f"{name!r} has a label longer than 63 characters"
    if not _LABEL.fullmatch(label):
        return (
            f"{name!r} has an invalid label {label!r}; labels use a-z, 0-9 and '-' and neither start nor end with '-'"
        )
    return None


def hostname_problems(hostnames: object, *, allow_empty: bool = False) -> list[str]:
    """Every problem in a hostname list, each a sentence naming the hostname; empty when the list is valid."""
    if isinstance(hostnames, str) or not isinstance(hostnames, Sequence):
        return ["hostnames must be a list of strings, e.g. ['api.example.com']"]
    if not hostnames and not allow_empty:
        return ["the list is empty; name at least one hostname (to remove every hostname, delete the resource instead)"]
    problems: list[str] = []
    seen: set[str] = set()
    for raw in hostnames:
        problem = _problem(raw)
        if problem:
            problems.append(problem)
            continue
        assert isinstance(raw, str)
        if raw in seen:
            problems.append(f"{raw!r} is listed more than once; list each hostname once")
        seen.add(raw)
    return problems


def validate_hostnames(hostnames: object, *, allow_empty: bool = False) -> list[str]:
    """Return the hostnames as a list if valid, else raise :class:`HostnameError` with every problem."""
    problems = hostname_problems(hostnames, allow_empty=allow_empty)
    if problems:
        raise HostnameError("hostnames: " + "; ".join(problems))
    assert isinstance(hostnames, Sequence)
    return [str(name) for name in hostnames]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def canonical(host: str) -> str:
    """The hostname a request's Host (or SNI) names, to look up what covers it: ASCII letters in lower case (as
    Cloudflare's ``lower()`` converts them, other characters unchanged) and one trailing dot dropped
    (``API.example.com.`` names ``api.example.com``; ``a.example.com..`` stays malformed). The emulator's edge, the
    enforcement rule (:mod:`cfmtls_provider.rules_language.enforcement`) and ``cfmtls`` all read a host this way."""
    lowered = host.translate(_ASCII_LOWER)
    return lowered[:-1] if lowered.endswith(".") else lowered


def covers(association: str, hostname: str) -> bool:
    """Whether a hostname association applies to ``hostname`` (in :func:`canonical` form): the same name, or a
    ``*.`` wildcard one label above it (``*.example.com`` covers ``a.example.com``, not ``example.com`` nor
    ``a.b.example.com``). The emulator's edge asks for a client certificate, ``cfmtls`` finds a hostname's CAs, and
    the enforcement rule blocks requests, by this rule."""
    pattern = association.lower()
    if pattern == hostname:
        return True
    if pattern.startswith("*."):
        head, _, tail = hostname.partition(".")
        return bool(head) and tail == pattern[2:]
    return False


def in_domain(domain: str, hostname: str) -> bool:
    """Whether ``hostname`` (lower case) is ``domain`` or a name below it: the zone ``domain`` holds it."""
    return hostname == domain or hostname.endswith("." + domain)


def sample_hostname(pattern: str) -> str:
    """A hostname an association ``pattern`` covers (a wildcard gets one label)."""
    return "cfmtls-sample" + pattern[1:] if pattern.startswith("*.") else pattern


def hostnames_outside_zone(hostnames: Sequence[str], domain: str) -> list[str]:
    """The hostnames a zone named ``domain`` does not hold, in the order given: neither the domain nor a name below
    it, a ``*.`` wildcard judged by the names it covers, each read as :func:`canonical` reads a host. An association
    in that zone refuses them (Cloudflare associates a zone's own hostnames only)."""
    zone = canonical(domain)
    return [name for name in hostnames if not in_domain(zone, canonical(name).removeprefix("*."))]
