"""Our parser against Cloudflare's engine (wirefilter, through the octorules-wirefilter bindings).

Within the client-certificate subset the two must agree on every expression: what we parse, wirefilter
accepts; what we call a syntax error, wirefilter rejects. "Cannot evaluate" makes no claim either way, so the
corpus of in-subset expressions checks that we do not hide behind it. Corpus: every expression the provider
builds, expressions from Cloudflare's Rules language documentation
(https://developers.cloudflare.com/ruleset-engine/rules-language/operators/, .../values/, .../functions/),
hand-written edge cases, and a few thousand generated ones (seeded).
"""

from __future__ import annotations

import random

import octorules_wirefilter
import pytest

from cfmtls_provider.rules_language import FIELDS, CannotEvaluate, ExpressionSyntaxError, FieldType, parse
from cfmtls_provider.rules_language.ast import Literal
from cfmtls_provider.rules_language.enforcement import build_expression

V = "cf.tls_client_auth.cert_verified"
P = "cf.tls_client_auth.cert_presented"
SKI = "cf.tls_client_auth.cert_issuer_ski"


def wirefilter_accepts(expression: str) -> bool:
    return "error" not in octorules_wirefilter.parse_expression(expression)


def ours(expression: str) -> str:
    try:
        parse(expression)
    except ExpressionSyntaxError:
        return "reject"
    except CannotEvaluate:
        return "cannot"
    return "accept"


BUILT = [
    build_expression(["a.example.com"]),
    build_expression(["a.example.com", "b.example.com"], ["ab:cd:ef:01"]),
    build_expression(["*.example.com"]),
    build_expression(["*.example.com", "api.example.com", "*.dev.example.net"], ["0123456789ABCDEF" * 2]),
    build_expression(["x-y.example.com", "0.example.com"], ["AB" * 20, "CD" * 20]),  # a rotation: two issuers
    build_expression([f"h{index}.example.com" for index in range(60)], ["AB" * 20]),
    # The previous version's shape, still deployed until a stack's next `pulumi up`.
    f'(http.host in {{"a.example.com" "b.example.com"}} and not {V})',
    f'((http.host in {{"a.example.com"}} or ends_with(http.host, ".dev.example.com")) and not ({V} and {SKI} eq "AB"))',
    f'(http.host in {{"a.example.com"}} and not ({V} and {SKI} in {{"AB" "CD"}}))',
]

DOCS_VALID = [
    'http.request.uri.path eq "/articles/2008/"',
    'http.request.uri.path contains "/articles/"',
    'http.request.uri.path matches "^/articles/200[7-8]/$"',
    'lower(http.request.uri.path) contains "/wp-login.php"',
    'ends_with(http.request.uri.path, ".html")',
    'http.host in {"example.com" "example.net"}',
    'http.request.uri.path matches "a\\"b"',
    'http.request.uri.path matches "a\\"#b"',
    'http.request.uri.path matches r#"a"b"#',
    'http.request.uri.path matches r##"a"#b"##',
    'http.request.uri.path matches r"/api/login\\.aspx$"',
    f"not {V}",
    f'(http.host in {{"api.example.com"}} and not {V})',
    f'http.host in {{"api.example.com" "shop.example.com"}} and not {V}',
    'lower(http.host) == "www.cloudflare.com"',
    'starts_with(http.request.uri.path, "/blog")',
]

# Client-certificate rules as people publish them (Cloudflare's docs, public repositories).
PUBLISHED_VALID = [
    f"{V} and not cf.tls_client_auth.cert_revoked",
    f'((not {V} or cf.tls_client_auth.cert_revoked) and http.request.uri.path in {{"/admin"}})',
    f'(http.host eq "talon.example.com" and (not {V} or cf.tls_client_auth.cert_revoked))',
    f'(http.host eq "api.example.com" and (not {V} or cf.tls_client_auth.cert_revoked or '
    'cf.tls_client_auth.cert_fingerprint_sha256 ne "ab12"))',
    f'(\n    cf.tls_client_auth.cert_serial ne "SERIAL_NUMBER"\n    or not {V}\n    or not {P}\n'
    '    or cf.tls_client_auth.cert_revoked\n)\nand http.host contains "rmfakecloud.example.com"',
    f'(http.request.uri.path matches "^/api/internal/") and\n  not (\n    {V} and\n'
    '    cf.tls_client_auth.cert_issuer_dn contains "example project-api-ca"\n  )',
]

DOCS_INVALID = [
    "cf.tls_client_auth.cert_revoked = true",
    f'(http.request.uri.path matches "^/api/internal/") and not ({V} eq true)',
    'http.request.uri.path ends_with ".html"',  # the operators page calls it invalid
    f"{V} eq true",
]

DOCS_OUTSIDE = [
    "ip.src ne 203.0.113.0",
    "cf.threat_score lt 10",
    'http.request.full_uri wildcard "https://example.com/a/*"',
    'any(http.request.headers.names[*] == "Content-Type")',
    "(ip.src in $office_network)",
    'http.host eq "www.cloudflare.com" and ip.src in {203.0.113.0/24}',
    'http.request.uri.path lt "/b"',
    'upper(http.host) eq "A"',
    "http.host eq 41:42",
    'http.host in {"a" 41:42}',
    "http.host eq http.host",
]

EDGE_VALID = [
    f"{V}",
    f"!{V}",
    f"!!{V}",
    f"not not {V}",
    f"(({V}))",
    f"not({V})",
    f"not{V}",
    f"{V} and!{P}",
    'http.host eq "a"andhttp.host eq "b"',
    '(http.host eq "a")and(http.host eq "b")',
    f"{V} and {P} or {V} xor {P}",
    f'http.host == "a" || http.host == "b" ^^ !{V}',
    f"{V} && {P} and {V}",
    "http.host in {}",
    'http.host in{"a"}',
    'http.host in {"a""b"}',
    'http.host in { "a"   r"b" r#"c"# }',
    'http.host eq"a"',
    'http.host != "a"',
    'http.host ne "a"',
    'http.host contains ""',
    'http.host eq "\\x41\\x42"',
    'http.host eq "\\101"',
    'http.host eq "a\\\\b"',
    'http.host eq "a\\"b"',
    'http.host eq "é"',
    'http.host eq "a\nb"',
    '\nhttp.host\neq\n"a"\n',
    'http.host eq r##"a"#b"##',
    'lower(lower(http.host)) eq "a"',
    'starts_with(lower(http.host), "a")',
    "ends_with(http.host, http.host)",
    "starts_with(http.host, lower(http.host))",
    'lower (http.host) eq "a"',
    'http.host matches "a\\\\.b"',
    'http.host ~ r"^a$"',
    'http.host matches r"[]a]"',
    'http.host matches r"[^]a]"',
    'http.host matches r"(a)|(?:b)|"',
    'http.host matches r"a{2}b{2,}c{2,3}?"',
    'http.host matches r"\\x41\\.\\-\\/"',
    'http.host matches r"\\A\\z"',
    f'{SKI} eq "AB" and cf.tls_client_auth.cert_fingerprint_sha256 in {{"x"}}',
    'cf.tls_client_auth.cert_subject_dn contains "CN=client"',
]

EDGE_INVALID = [
    "http.host",
    "not http.host",
    "lower(http.host)",
    f'{V} eq "x"',
    f'{V} in {{"a"}}',
    f"{V} == {V}",
    f"{V} ^^ true",
    'starts_with(http.host,"a") eq "x"',
    "http.host eq 41",
    "http.host eq 4",
    "http.host in {41 42}",
    'http.host in {"a", "b"}',
    'http.host in "a"',
    'http.host contains {"a"}',
    'http.host matches {"a"}',
    'http.host matches "a" "b"',
    'http.host eq "a" eq "b"',
    'http.host eq "a" and',
    'http.host eq "a" or',
    "not",
    "(",
    "()",
    'http.host eq "a")',
    '(http.host eq "a"',
    'http.host eq "a" ;',
    'http.host eq "a" # comment',
    'http.host === "a"',
    'http.host = "a"',
    'http.host EQ "a"',
    'http.host eq "a" AND http.host eq "b"',
    'HTTP.HOST eq "a"',
    'LOWER(http.host) eq "a"',
    'lower(http.host, "x") eq "a"',
    'lower() eq "a"',
    "starts_with(http.host)",
    'starts_with(http.host, "a", "b")',
    'starts_with("a", http.host)',
    'http.host eq lower("A")',
    'lower(cf.tls_client_auth.cert_verified) eq "a"',
    f'http.host ne "a" !{V}',
    'http.host eq "\\n"',
    'http.host eq "\\q"',
    'http.host eq "\\x4"',
    'http.host eq "\\1"',
    'http.host eq "\\777"',
    'http.host eq "a',
    'http.host eq r#"a"',
    'http.host eq r"a""',
    'cf.tls_client_auth.cert_bogus eq "x"',
    'cf.tls_client_auth eq "x"',
    'http.host matches "("',
    'http.host matches r"a)"',
    'http.host matches r"*a"',
    'http.host matches r"[a"',
    'http.host matches r"[]"',
    'http.host matches r"a{"',
    'http.host matches r"a{2"',
    'http.host matches r"a{,3}"',
    'http.host matches r"a{x}"',
    'http.host matches r"a{3,2}"',
    'http.host matches r"[z-a]"',
    'http.host matches r"(?=a)"',
    'http.host matches r"(?!a)"',
    'http.host matches r"\\1"',
    'http.host matches r"\\0"',
    'http.host matches r"\\Z"',
    'http.host matches r"\\e"',
    'http.host matches r"{2}"',
    "starts_with(http.host, 41:42)",
]


@pytest.mark.parametrize("expression", BUILT + DOCS_VALID + PUBLISHED_VALID + EDGE_VALID)
def test_valid_expressions_are_parsed_as_cloudflare_accepts_them(expression: str) -> None:
    assert wirefilter_accepts(expression), octorules_wirefilter.parse_expression(expression)["error"]
    assert ours(expression) == "accept"


@pytest.mark.parametrize("expression", DOCS_INVALID + EDGE_INVALID)
def test_invalid_expressions_are_refused_as_cloudflare_refuses_them(expression: str) -> None:
    assert not wirefilter_accepts(expression)
    assert ours(expression) == "reject"


@pytest.mark.parametrize("expression", DOCS_OUTSIDE)
def test_valid_cloudflare_syntax_outside_the_subset_cannot_be_evaluated(expression: str) -> None:
    assert wirefilter_accepts(expression)
    assert ours(expression) == "cannot"


def test_string_literals_decode_as_cloudflare_decodes_them() -> None:
    for expression in BUILT + DOCS_VALID + PUBLISHED_VALID + EDGE_VALID:
        info = octorules_wirefilter.parse_expression(expression)
        literals = _literals(parse(expression).root)
        assert sorted(literals) == sorted(info["string_literals"]), expression


def _literals(node: object) -> list[str]:
    """Decoded string literals (as wirefilter lists them), regexes aside."""
    found: list[str] = []
    if isinstance(node, Literal) and isinstance(node.value, bytes):
        return [node.value.decode(errors="replace")]
    if isinstance(node, tuple | list):
        for item in node:
            found += _literals(item)
    elif isinstance(node, frozenset):
        found += [value.decode(errors="replace") for value in node if isinstance(value, bytes)]
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            if name not in ("compiled", "pattern"):
                found += _literals(getattr(node, name))
    return found


def test_every_field_of_the_subset_has_cloudflares_name_and_type() -> None:
    theirs = {item["name"]: item["type"] for item in octorules_wirefilter.get_schema_info()["fields"]}
    for name, kind in FIELDS.items():
        # The schema listing leaves out http.request.uri.path (callable in transform rules); use it to tell.
        as_string, bare = wirefilter_accepts(f'{name} eq "x"'), wirefilter_accepts(name)
        assert (as_string, bare) == (kind is FieldType.STRING, kind is FieldType.BOOLEAN), name
        assert theirs.get(name, {FieldType.STRING: "STRING", FieldType.BOOLEAN: "BOOL"}[kind]) in ("STRING", "BOOL")
    client_auth = {name for name in theirs if name.startswith("cf.tls_client_auth.")}
    assert client_auth <= set(FIELDS), "a cf.tls_client_auth field is missing from the subset"


# -- generated expressions ---------------------------------------------------------------------------

_STRING_OPERANDS = ["http.host", "http.request.uri.path", SKI, "lower(http.host)", "lower(lower(http.host))"]
_BOOL_OPERANDS = [V, P, "cf.tls_client_auth.cert_revoked", 'starts_with(http.host, "a")', 'ends_with(http.host, r"b")']
_LITERALS = ['"a"', 'r"a"', 'r#"a"b"#', '"\\x41"', '"\\""', '""', "41", "ab:cd", '"\\n"', "true", "-1"]
_OPERATORS = ["eq", "ne", "==", "!=", "contains", "matches", "~", "in", "EQ", "=", "lt", "wildcard"]
_REGEXES = ['"^a.b$"', 'r"[a-z]+\\.com"', 'r"a|b"', 'r"(a"', 'r"a{2,3}"', 'r"\\d"', '"a\\.b"', 'r"(?i)a"']


def _simple(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(_BOOL_OPERANDS)
    left = rng.choice(_STRING_OPERANDS + _BOOL_OPERANDS[:1])
    operator = rng.choice(_OPERATORS)
    if operator == "in":
        items = " ".join(rng.choice(_LITERALS) for _ in range(rng.randint(0, 3)))
        return f"{left} in {{{items}}}"
    if operator in ("matches", "~"):
        return f"{left} {operator} {rng.choice(_REGEXES)}"
    return f"{left} {operator} {rng.choice(_LITERALS)}"


def _expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        return _simple(rng)
    if roll < 0.5:
        return rng.choice(["not ", "!", "not", "! "]) + _expression(rng, depth + 1)
    if roll < 0.65:
        return "(" + _expression(rng, depth + 1) + ")"
    joiner = rng.choice([" and ", " or ", " xor ", " && ", " || ", " ^^ ", "and", " AND ", " , "])
    return _expression(rng, depth + 1) + joiner + _expression(rng, depth + 1)


def _mutate(rng: random.Random, text: str) -> str:
    """Drop, duplicate or swap a character, to reach the edges of the grammar."""
    if not text or rng.random() < 0.6:
        return text
    index = rng.randrange(len(text))
    choice = rng.random()
    if choice < 0.4:
        return text[:index] + text[index + 1 :]
    if choice < 0.7:
        return text[:index] + text[index] + text[index:]
    return text[:index] + rng.choice('(){}"!&|^ ,r#\\') + text[index:]


def test_generated_expressions_get_cloudflares_verdict() -> None:
    rng = random.Random(20261127)
    disagreements, counts = [], {"accept": 0, "reject": 0, "cannot": 0}
    for _ in range(3000):
        expression = _mutate(rng, _expression(rng))
        if not expression.strip():
            continue
        verdict = ours(expression)
        counts[verdict] += 1
        if verdict != "cannot" and (verdict == "accept") != wirefilter_accepts(expression):
            disagreements.append((verdict, expression))
    assert disagreements == [], disagreements[:10]
    # Not vacuous: most generated expressions get a verdict, both ways.
    assert counts["accept"] > 500 and counts["reject"] > 500, counts
