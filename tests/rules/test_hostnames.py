"""validate_hostnames: what Cloudflare accepts in a hostname association, and a clear sentence for every refusal."""

from __future__ import annotations

import pytest

from cfmtls_provider.hostnames import (
    MAX_HOSTNAME_LENGTH,
    HostnameError,
    covers,
    hostname_problems,
    hostnames_outside_zone,
    in_domain,
    validate_hostnames,
)


def _refusal(hostnames: object, **kwargs: bool) -> str:
    with pytest.raises(HostnameError) as info:
        validate_hostnames(hostnames, **kwargs)
    message = str(info.value)
    assert message.startswith("hostnames: ")
    return message


@pytest.mark.parametrize(
    "names",
    [
        ["api.example.com"],
        ["example.com"],
        ["a.example.com", "b.example.com"],
        ["xn--bcher-kva.example.com"],
        ["a-b.c-d.example.co.uk", "0.example.com", "123.example.com"],
        ["*.example.com"],
        ["*.internal.example.com", "internal.example.com"],
        ["a" * 63 + ".example.com"],
    ],
)
def test_valid_hostnames_are_returned_as_a_list(names: list[str]) -> None:
    assert validate_hostnames(names) == names
    assert hostname_problems(names) == []


def test_a_tuple_is_accepted_and_returned_as_a_list() -> None:
    assert validate_hostnames(("a.example.com", "*.example.org")) == ["a.example.com", "*.example.org"]


def test_a_name_of_exactly_the_maximum_length_is_accepted() -> None:
    name = ".".join(["a" * 61] * 4) + ".com"  # 4*61 + 3 dots + 4 = 251
    name = "ab" + name
    assert len(name) == MAX_HOSTNAME_LENGTH
    assert validate_hostnames([name]) == [name]


def test_an_empty_list_is_refused_by_default() -> None:
    message = _refusal([])
    assert "the list is empty" in message
    assert "name at least one hostname" in message


def test_an_empty_list_is_accepted_with_allow_empty() -> None:
    assert validate_hostnames([], allow_empty=True) == []


def test_allow_empty_still_checks_every_name() -> None:
    assert "upper-case" in _refusal(["A.example.com"], allow_empty=True)


@pytest.mark.parametrize("value", ["a.example.com", None, 5, {"a.example.com"}, {"a.example.com": 1}])
def test_a_value_that_is_not_a_list_is_refused(value: object) -> None:
    assert "hostnames must be a list of strings, e.g. ['api.example.com']" in _refusal(value)


def test_a_non_string_item_is_refused_by_its_repr() -> None:
    assert "42 is not a string" in _refusal(["a.example.com", 42])


def test_duplicates_are_refused_once_each() -> None:
    message = _refusal(["a.example.com", "b.example.com", "a.example.com"])
    assert "'a.example.com' is listed more than once; list each hostname once" in message
    assert "b.example.com" not in message


def test_an_empty_string_is_refused() -> None:
    assert "an empty string is not a hostname" in _refusal(["a.example.com", ""])


@pytest.mark.parametrize("name", [" a.example.com", "a.example.com ", "a.example.com\n", "\ta.example.com"])
def test_surrounding_whitespace_is_refused(name: str) -> None:
    assert f"{name!r} has surrounding whitespace; remove it" in _refusal([name])


@pytest.mark.parametrize("name", ["a b.example.com", "a\tb.example.com"])
def test_inner_whitespace_is_refused(name: str) -> None:
    assert "has an invalid label" in _refusal([name])


@pytest.mark.parametrize("name", ["api\n.example.com", "api.example\n.com"])
def test_a_newline_inside_a_name_is_refused(name: str) -> None:
    assert "has an invalid label" in _refusal([name])


def test_upper_case_is_refused_with_the_lower_case_suggestion() -> None:
    assert "'API.Example.com' has upper-case letters; write it in lower case: 'api.example.com'" in _refusal(
        ["API.Example.com"]
    )


@pytest.mark.parametrize("name", ["https://api.example.com", "api.example.com/path", "http://api.example.com/"])
def test_a_url_is_refused_asking_for_the_bare_hostname(name: str) -> None:
    assert f"{name!r} is a URL or has a port or path; give the bare hostname" in _refusal([name])


def test_a_port_is_refused() -> None:
    assert "'api.example.com:443' is a URL or has a port or path" in _refusal(["api.example.com:443"])


def test_a_trailing_dot_is_refused() -> None:
    assert "'api.example.com.' ends with a dot; drop the trailing dot" in _refusal(["api.example.com."])


@pytest.mark.parametrize("name", ["localhost", "com", "*"])
def test_a_single_label_is_refused_as_not_fully_qualified(name: str) -> None:
    assert f"{name!r} is not a fully qualified name" in _refusal([name])


def test_a_wildcard_in_the_middle_is_refused() -> None:
    assert "'a.*.example.com' has '*' in the middle; a wildcard may only be the leftmost label" in _refusal(
        ["a.*.example.com"]
    )


@pytest.mark.parametrize("name", ["api*.example.com", "*api.example.com", "a.b*.example.com"])
def test_a_partial_wildcard_is_refused(name: str) -> None:
    assert f"{name!r} has a partial wildcard; only a whole leftmost '*' label is allowed" in _refusal([name])


def test_a_wildcard_over_a_top_level_domain_is_refused() -> None:
    assert "'*.com' is a wildcard over a whole top-level domain" in _refusal(["*.com"])


def test_an_empty_label_is_refused() -> None:
    assert "'a..example.com' has an empty label" in _refusal(["a..example.com"])


def test_a_label_longer_than_63_characters_is_refused() -> None:
    name = "a" * 64 + ".example.com"
    assert f"{name!r} has a label longer than 63 characters" in _refusal([name])


def test_a_name_longer_than_253_characters_is_refused() -> None:
    name = ".".join(["a" * 60] * 4) + ".example.com"
    assert len(name) > MAX_HOSTNAME_LENGTH
    assert "is longer than 253 characters" in _refusal([name])


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("_dmarc.example.com", "_dmarc"),
        ("a!b.example.com", "a!b"),
        ("a_b.example.com", "a_b"),
        ('a".example.com', 'a"'),
        ("-api.example.com", "-api"),
        ("api-.example.com", "api-"),
    ],
)
def test_bad_characters_and_edge_hyphens_are_refused_naming_the_label(name: str, label: str) -> None:
    message = _refusal([name])
    assert f"{name!r} has an invalid label {label!r}" in message
    assert "labels use a-z, 0-9 and '-' and neither start nor end with '-'" in message


def test_non_ascii_is_refused_with_the_punycode_suggestion() -> None:
    message = _refusal(["bücher.example.com"])
    assert "'bücher.example.com' is not ASCII; write internationalised names in punycode" in message
    assert "'xn--bcher-kva.example.com'" in message


def test_non_ascii_that_idna_cannot_encode_still_gets_a_punycode_hint() -> None:
    message = _refusal(["ü" * 70 + ".example.com"])
    assert "is not ASCII" in message
    assert "punycode" in message


def test_every_problem_is_reported_at_once() -> None:
    problems = hostname_problems(["A.example.com", "good.example.com", "", "x.example.com."])
    assert len(problems) == 3
    assert "upper-case" in problems[0]
    assert "empty string" in problems[1]
    assert "trailing dot" in problems[2]
    assert _refusal(["A.example.com", "", "x.example.com."]).count(";") >= 2


def test_an_association_covers_its_name_and_a_wildcard_one_label_below() -> None:
    """What the emulator's edge asks a client certificate for, and where check-client finds a hostname's CAs."""
    assert covers("api.example.com", "api.example.com")
    assert covers("*.example.com", "api.example.com") and covers("*.Example.com", "api.example.com")
    assert not covers("*.example.com", "example.com")
    assert not covers("*.example.com", "a.api.example.com")
    assert not covers("api.example.com", "www.example.com")


def test_a_zone_holds_its_domain_and_the_names_below_it() -> None:
    assert in_domain("example.com", "example.com") and in_domain("example.com", "a.b.example.com")
    assert not in_domain("example.com", "badexample.com") and not in_domain("example.com", "example.org")


def test_the_hostnames_outside_a_zone_are_named_in_the_order_given() -> None:
    hosts = ["api.example.com", "API.Example.com.", "*.example.com", "example.com", "api.example.org", "*.com"]
    assert hostnames_outside_zone(hosts, "example.com") == ["api.example.org", "*.com"]
    assert hostnames_outside_zone(["a.badexample.com", "a.b.example.com"], "Example.com.") == ["a.badexample.com"]
    assert hostnames_outside_zone([], "example.com") == []
