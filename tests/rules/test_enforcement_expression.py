"""The enforcement rule's expression: its shape, what it blocks, and that it cannot be injected."""

from __future__ import annotations

import pytest

from cfmtls_provider.hostnames import HostnameError
from cfmtls_provider.rules_language import evaluate
from cfmtls_provider.rules_language.enforcement import (
    MAX_EXPRESSION_LENGTH,
    build_expression,
    expression_length_problem,
    host_pattern,
    hostnames_of_pattern,
    normalise_ski,
    pinned_issuers,
    quote,
    raw_string,
    regex_escape,
)

V = "cf.tls_client_auth.cert_verified"
SKI = "cf.tls_client_auth.cert_issuer_ski"


def blocks(expression: str, host: str, *, verified: bool = False, ski: str = "") -> bool:
    return evaluate(expression, {"http.host": host, V: verified, SKI: ski})


def test_one_regex_on_the_lower_cased_host_for_names_and_wildcards() -> None:
    assert build_expression(["a.example.com", "*.internal.example.com"]) == (
        r'(lower(http.host) matches r"^(?:a\.example\.com|[^.]+\.internal\.example\.com)\.?(?::[0-9]+)?$"'
        f" and not {V})"
    )


def test_pinned_to_one_issuer_or_to_two_during_a_rotation() -> None:
    one = build_expression(["a.example.com"], ["ab:cd"])
    assert one.endswith(f'and not ({V} and {SKI} eq "ABCD"))')
    two = build_expression(["a.example.com"], ["ab:cd", "EF01", "abcd"])  # normalised, each once
    assert two.endswith(f'and not ({V} and {SKI} in {{"ABCD" "EF01"}}))')
    assert pinned_issuers(one) == ("ABCD",) and pinned_issuers(two) == ("ABCD", "EF01")
    assert pinned_issuers(build_expression(["a.example.com"])) == ()
    assert build_expression(["a.example.com"], "ab:cd") == one  # one SKI as a string: not its characters


def test_a_rotation_admits_both_issuers_and_no_other() -> None:
    rule = build_expression(["api.example.com"], ["AA", "BB"])
    assert not blocks(rule, "api.example.com", verified=True, ski="AA")
    assert not blocks(rule, "api.example.com", verified=True, ski="BB")
    assert blocks(rule, "api.example.com", verified=True, ski="CC")
    assert blocks(rule, "api.example.com", verified=False, ski="AA")  # presented, not verified


@pytest.mark.parametrize(
    ("host", "blocked"),
    [
        ("api.example.com", True),
        ("API.Example.COM", True),
        ("api.example.com.", True),
        ("api.example.com:8443", True),
        ("api.example.com.:443", True),
        ("api.example.com..", False),
        ("xapi.example.com", False),
        ("api.example.com.evil", False),
        ("apixexample.com", False),  # the dot is escaped
        ("a.example.net", True),
        ("A.EXAMPLE.NET.", True),
        ("a.b.example.net", False),  # a wildcard covers one label
        ("example.net", False),
        (".example.net", False),
    ],
)
def test_the_host_forms_a_client_may_send(host: str, blocked: bool) -> None:
    assert blocks(build_expression(["api.example.com", "*.example.net"]), host) is blocked


def test_the_pattern_reads_back_as_its_hostnames() -> None:
    names = ["api.example.com", "*.dev.example.com", "x-y.example.org"]
    assert hostnames_of_pattern(host_pattern(names)) == tuple(names)
    assert hostnames_of_pattern(r"^(?:www|store)\.example\.com") == ()
    assert hostnames_of_pattern(r"^(?:a.b)\.?(?::[0-9]+)?$") == ()  # an unescaped metacharacter: not ours


@pytest.mark.parametrize("evil", ['a.example.com" or true or "', "a.example.com} or true", "a b.example.com"])
def test_injection_through_a_hostname_is_refused(evil: str) -> None:
    with pytest.raises(HostnameError):
        build_expression([evil])


def test_quoting_and_escaping() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert regex_escape("a.b-c*d(e)") == r"a\.b\-c\*d\(e\)"
    assert raw_string("a.b") == 'r"a.b"'
    assert raw_string('a"b') == 'r#"a"b"#'
    assert raw_string('a"#b"') == 'r##"a"#b""##'


def test_non_hex_ski_is_refused() -> None:
    with pytest.raises(ValueError, match="subject_key_identifier"):
        normalise_ski('AB" or true')


def test_over_the_limit_the_sentence_advises_fewer_hostnames_or_a_wildcard() -> None:
    hosts = [f"host-{index:04d}.example.com" for index in range(200)]
    problem = expression_length_problem(hosts, ["AB" * 20])
    assert problem.startswith("the rule expression for these 200 hostnames would be ")
    assert "One rule enforces one association's hostnames: list at most about " in problem
    assert problem.endswith("or cover a subdomain with one wildcard ('*.example.com')")
    assert "several" not in problem
    fits = int(problem.split("at most about ")[1].split()[0])
    assert len(build_expression(hosts[:fits], ["AB" * 20])) <= MAX_EXPRESSION_LENGTH
    assert expression_length_problem(hosts[: fits + 2], ["AB" * 20])


def test_unknown_skis_are_counted_as_typical_ones() -> None:
    hosts = [f"host-{index:04d}.example.com" for index in range(200)]
    short = expression_length_problem(hosts, ["AB"])
    typical = expression_length_problem(hosts, ["AB"], skis_known=False)
    two = expression_length_problem(hosts, ["AB", "CD"], skis_known=False)
    length = [int(text.split("would be ")[1].split()[0]) for text in (short, typical, two)]
    assert length[0] < length[1] < length[2]
