"""Two associations of a zone covering a hostname under two CAs (issue 13, defect 3): each rule admits only its
own CA's clients and Cloudflare verifies a client against one CA of a hostname, so one population is refused; the
program warns at preview, naming both (``declared.shared_with_other_cas``, indexed by zone)."""

from __future__ import annotations

import pytest

from cfmtls_provider.resources._declared import declared

ZONE, OTHER_ZONE = "f" * 32, "1" * 32
PARTNERS, STAFF = "a" * 32, "b" * 32


def test_a_hostname_covered_under_two_cas_is_named_with_both_associations_and_cas() -> None:
    assert declared.shared_with_other_cas("partners", ZONE, PARTNERS, ["api.example.com", "shop.example.com"]) == {}
    shared = declared.shared_with_other_cas("staff", ZONE, STAFF, ["*.example.com", "intranet.example.org"])
    assert shared == {("partners", PARTNERS): ["api.example.com", "shop.example.com"]}


def test_an_exact_hostname_declared_after_a_wildcard_covering_it_is_named_too() -> None:
    declared.shared_with_other_cas("staff", ZONE, STAFF, ["*.example.com"])
    assert declared.shared_with_other_cas("partners", ZONE, PARTNERS, ["api.example.com"]) == {
        ("staff", STAFF): ["api.example.com"]
    }


@pytest.mark.parametrize(
    ("name", "zone", "ca", "hostnames"),
    [
        ("same-ca", ZONE, PARTNERS, ["api.example.com"]),  # one CA: one population
        ("other-zone", OTHER_ZONE, STAFF, ["api.example.com"]),
        ("other-host", ZONE, STAFF, ["www.example.com"]),
        ("deeper", ZONE, STAFF, ["a.b.internal.example.com", "*.x.internal.example.com"]),  # one label only
        ("first", ZONE, STAFF, ["api.example.com"]),  # the same association resolving again with its new CA
    ],
)
def test_no_warning_without_a_hostname_both_cover(name: str, zone: str, ca: str, hostnames: list[str]) -> None:
    declared.shared_with_other_cas("first", ZONE, PARTNERS, ["api.example.com", "*.internal.example.com"])
    assert declared.shared_with_other_cas(name, zone, ca, hostnames) == {}


def test_among_many_associations_of_a_zone_only_the_one_sharing_a_hostname_is_named() -> None:
    for index in range(1000):
        ca = f"{index:032x}"
        assert declared.shared_with_other_cas(f"hosts-{index}", ZONE, ca, [f"h{index}.example.com"]) == {}
    shared = declared.shared_with_other_cas("late", ZONE, STAFF, ["h500.example.com", "new.example.com"])
    assert shared == {("hosts-500", f"{500:032x}"): ["h500.example.com"]}
