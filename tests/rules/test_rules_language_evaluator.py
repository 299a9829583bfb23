"""What the evaluator answers for a request: the verdicts a user of check-client or the edge sees."""

from __future__ import annotations

import pytest

from cfmtls_provider.rules_language import CannotEvaluate, ExpressionSyntaxError, FieldValue, evaluate, parse
from cfmtls_provider.rules_language.enforcement import build_expression

V = "cf.tls_client_auth.cert_verified"
SKI = "cf.tls_client_auth.cert_issuer_ski"


def request(
    host: str = "a.example.com", verified: bool = False, ski: str = "", path: str = "/"
) -> dict[str, FieldValue]:
    return {"http.host": host, "http.request.uri.path": path, V: verified, SKI: ski}


def test_our_rule_blocks_a_protected_hostname_without_a_verified_certificate() -> None:
    rule = parse(build_expression(["a.example.com", "*.api.example.com"], "ab:cd"))
    assert evaluate(rule, request()) is True
    assert evaluate(rule, request(host="x.api.example.com")) is True
    assert evaluate(rule, request(verified=True, ski="ABCD")) is False
    assert evaluate(rule, request(verified=True, ski="EEEE")) is True  # another CA
    assert evaluate(rule, request(host="other.example.com")) is False  # not protected
    assert evaluate(rule, request(host="api.example.com")) is False  # the wildcard needs a label


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('http.host eq "a.example.com"', True),
        ('http.host == "A.example.com"', False),  # case-sensitive
        ('lower(http.host) eq "a.example.com"', True),
        ('http.host ne "a.example.com"', False),
        ('http.host contains "example"', True),
        ('http.host in {"b.example.com" "a.example.com"}', True),
        ("http.host in {}", False),
        ('starts_with(http.host, "a.")', True),
        ('ends_with(http.host, ".com")', True),
        ('http.host matches r"^a\\.example\\.com$"', True),
        ('http.host ~ "example"', True),  # a search, not anchored
        ('http.host matches r"^example"', False),
        ('http.request.uri.path matches "^/$"', True),
        (f'{V} or http.host eq "a.example.com" and false_alarm_is_not_here eq "x"', None),
        (f'not {V} and http.host eq "a.example.com"', True),
        (f'!{V} && http.host == "b" || http.host == "a.example.com"', True),  # and binds tighter than or
        (f'{V} xor http.host eq "a.example.com"', True),
        (f'!{V} ^^ http.host eq "a.example.com"', False),
        ('http.host eq "\\x61.example.com"', True),
        ('http.host eq r#"a.example.com"#', True),
    ],
)
def test_operators_functions_and_precedence(expression: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(CannotEvaluate):
            evaluate(expression, request())
        return
    assert evaluate(expression, request()) is expected


def test_lower_changes_ascii_letters_only() -> None:
    assert evaluate('lower(http.host) eq "émile.example.com"', request(host="éMILE.EXAMPLE.COM")) is True
    assert evaluate('lower(http.host) eq "émile.example.com"', request(host="ÉMILE.EXAMPLE.COM")) is False


def test_dollar_matches_only_at_the_very_end_as_in_rust() -> None:
    assert evaluate('http.request.uri.path matches "a$"', request(path="/a\n")) is False
    assert evaluate('http.request.uri.path matches "a$"', request(path="/a")) is True


def test_a_field_without_a_value_is_not_guessed() -> None:
    with pytest.raises(CannotEvaluate, match=r"no value was given for cf\.tls_client_auth\.cert_verified"):
        evaluate(f"not {V}", {"http.host": "a"})


def test_regex_constructs_whose_meaning_differs_are_not_guessed() -> None:
    for pattern in (r"\d", r"(?i)a", r"\w+", r"[[:alpha:]]", r"[a&&b]", r"\bx", r"a**", r"\<"):
        with pytest.raises(CannotEvaluate):
            parse(f'http.host matches r"{pattern}"')


def test_errors_say_what_is_wrong_and_where() -> None:
    with pytest.raises(ExpressionSyntaxError, match="use it alone") as caught:
        parse(f"{V} eq true")
    assert "not cf.tls_client_auth.cert_verified" in str(caught.value)
    with pytest.raises(ExpressionSyntaxError, match=r"escape .* \(line 1, column 14\)"):
        parse('http.host eq "\\n"')
    with pytest.raises(ExpressionSyntaxError, match="is not a field Cloudflare knows"):
        parse('cf.tls_client_auth.cert_sha256 eq "x"')
    with pytest.raises(ExpressionSyntaxError, match="empty"):
        parse("  ")
    with pytest.raises(CannotEvaluate, match=r"ip\.src"):
        parse("ip.src in {192.0.2.0/24}")


def test_expression_lists_the_fields_it_reads() -> None:
    assert parse(build_expression(["a.example.com"], "AB")).fields == {"http.host", V, SKI}
