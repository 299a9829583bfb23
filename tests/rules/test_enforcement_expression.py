"""The enforcement rule's expression: what it blocks, and that it cannot be injected."""

from __future__ import annotations

import pytest

from cfmtls_provider.hostnames import HostnameError
from cfmtls_provider.rules_language.enforcement import build_expression, normalise_ski, quote


def test_blocks_listed_hosts_without_a_verified_certificate() -> None:
    assert build_expression(["a.example.com", "b.example.com"]) == (
        '(http.host in {"a.example.com" "b.example.com"} and not cf.tls_client_auth.cert_verified)'
    )


def test_pinned_to_an_issuer_ski() -> None:
    expression = build_expression(["a.example.com"], "ab:cd")
    assert expression.endswith('(cf.tls_client_auth.cert_verified and cf.tls_client_auth.cert_issuer_ski eq "ABCD"))')


def test_wildcards_become_suffix_matches() -> None:
    expression = build_expression(["a.example.com", "*.internal.example.com"])
    assert 'ends_with(http.host, ".internal.example.com")' in expression
    assert expression.startswith('((http.host in {"a.example.com"} or ends_with(')


@pytest.mark.parametrize("evil", ['a.example.com" or true or "', "a.example.com} or true", "a b.example.com"])
def test_injection_through_a_hostname_is_refused(evil: str) -> None:
    with pytest.raises(HostnameError):
        build_expression([evil])


def test_quote_escapes_quotes_and_backslashes() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'


def test_non_hex_ski_is_refused() -> None:
    with pytest.raises(ValueError, match="subject_key_identifier"):
        normalise_ski('AB" or true')
