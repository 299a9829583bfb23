"""The rule covers exactly what the association covers (issue 21, points 5 and 6).

For generated hostname lists (names, wildcards) and generated request hosts (case, one or two trailing dots,
depth, neighbours such as ``xapi.example.com`` or ``api.example.com.evil``), the built expression, evaluated by the
project's evaluator (the edge's and check-client's) with ``http.host`` as the client sent it, matches exactly
when :func:`~cfmtls_provider.hostnames.covers` covers :func:`~cfmtls_provider.hostnames.canonical` of that host,
and the certificate part lets through exactly a verified certificate of a pinned issuer (of any issuer when none
is pinned). Two universes: every list of one or two patterns from a set of ten (55 lists), and 60 seeded random
lists of one to eight; each against 360 request hosts and five client certificates (about 200,000 evaluations).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence

from cfmtls_provider.hostnames import canonical, covers
from cfmtls_provider.rules_language import Expression, FieldValue, evaluate, parse
from cfmtls_provider.rules_language.enforcement import build_expression

V = "cf.tls_client_auth.cert_verified"
SKI = "cf.tls_client_auth.cert_issuer_ski"

LABELS = ["api", "xapi", "apix", "a", "b", "x-y", "0", "cfmtls-sample"]
DOMAINS = ["example.com", "b.example.com", "example.net"]
#: Hosts that differ from a protected name by one character, a dot or a suffix.
NEIGHBOURS = [
    "api.example.com.evil",
    "api.example.comx",
    "apixexample.com",
    "api-example.com",
    "api.example.co",
    "pi.example.com",
    "example.com",
    "com",
    "",
    ".",
    ".example.com",
    "..example.com",
    "api..example.com",
    "*.example.com",
    "a*.example.com",
]
#: What a client presents, and the SKI of its verified certificate.
CERTIFICATES = [
    (False, ""),  # no certificate
    (False, "AA"),  # presented, does not verify
    (True, "AA"),
    (True, "BB"),
    (True, "CC"),
]
SKI_CHOICES: list[list[str]] = [[], ["AA"], ["AA", "BB"], ["CC"]]


def base_hosts() -> list[str]:
    depth1 = [f"{label}.{domain}" for label in LABELS for domain in DOMAINS]
    depth2 = [f"{label}.{other}" for label in LABELS[:3] for other in depth1[:6]]
    return [*DOMAINS, *depth1, *depth2, *NEIGHBOURS]


def forms(host: str, rng: random.Random) -> Iterator[str]:
    """The host as clients may send it: as is, upper case, mixed case, one or two trailing dots."""
    yield host
    yield host.upper()
    yield "".join(char.upper() if rng.random() < 0.5 else char for char in host)
    yield host + "."
    yield host.upper() + "."
    yield host + ".."


def patterns_universe() -> list[str]:
    exact = [f"{label}.{domain}" for label in ("api", "a", "x-y") for domain in DOMAINS[:2]]
    return [*exact, "*.example.com", "*.b.example.com", "*.example.net", "example.com"]


def expected(hostnames: Sequence[str], skis: Sequence[str], host: str, verified: bool, ski: str) -> bool:
    protected = any(covers(pattern, canonical(host)) for pattern in hostnames)
    admitted = verified and (not skis or ski in skis)
    return protected and not admitted


def disagreements(
    hostnames: Sequence[str], skis: Sequence[str], hosts: Sequence[str]
) -> Iterator[tuple[str, bool, str]]:
    rule: Expression = parse(build_expression(hostnames, skis))
    for host in hosts:
        for verified, ski in CERTIFICATES:
            fields: dict[str, FieldValue] = {"http.host": host, V: verified, SKI: ski}
            if evaluate(rule, fields) != expected(hostnames, skis, host, verified, ski):
                yield host, verified, ski


def request_hosts(rng: random.Random) -> list[str]:
    return [form for host in base_hosts() for form in forms(host, rng)]


def test_every_small_hostname_list_blocks_exactly_what_its_association_covers() -> None:
    rng = random.Random(2021)
    hosts = request_hosts(rng)
    universe = patterns_universe()
    checked = 0
    for size in (1, 2):
        for hostnames in itertools.combinations(universe, size):
            skis = SKI_CHOICES[checked % len(SKI_CHOICES)]
            assert list(disagreements(hostnames, skis, hosts)) == [], (hostnames, skis)
            checked += 1
    assert checked == len(universe) + len(universe) * (len(universe) - 1) // 2


def test_random_hostname_lists_block_exactly_what_their_association_covers() -> None:
    rng = random.Random(20260521)
    names = [f"{label}.{domain}" for label in LABELS for domain in DOMAINS]
    universe = sorted(set(patterns_universe() + names))
    hosts = request_hosts(rng)
    blocked_somewhere = 0
    for _ in range(60):
        hostnames = rng.sample(universe, rng.randint(1, 8))
        skis = rng.choice(SKI_CHOICES)
        assert list(disagreements(hostnames, skis, hosts)) == [], (hostnames, skis)
        blocked_somewhere += any(expected(hostnames, skis, host, False, "") for host in hosts)
    assert blocked_somewhere == 60  # not vacuous: every list protects some generated host


def test_a_port_changes_nothing() -> None:
    """Should ``http.host`` ever carry the port (it is documented as the hostname alone), the rule still holds."""
    rule = parse(build_expression(["api.example.com", "*.example.net"]))
    for host in ["api.example.com", "API.example.com.", "a.example.net", "xapi.example.com", "a.b.example.net"]:
        plain = evaluate(rule, {"http.host": host, V: False, SKI: ""})
        assert evaluate(rule, {"http.host": host + ":8443", V: False, SKI: ""}) is plain
