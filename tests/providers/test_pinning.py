"""Two rules pinning a shared hostname to different CAs block it entirely (issue 13, defect 3): a warning."""

from __future__ import annotations

import pytest

from cfmtls_provider.resources import _pinning
from cfmtls_provider.resources._pinning import PinnedRule, conflicting_pins

ZONE, OTHER_ZONE = "f" * 32, "1" * 32


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pinning, "_SEEN", [])


def test_a_shared_hostname_pinned_to_two_cas_is_named_with_both_rules_and_cas() -> None:
    assert conflicting_pins(PinnedRule("partners", ZONE, ("api.example.com", "shop.example.com"), "AA")) == []
    [warning] = conflicting_pins(PinnedRule("staff", ZONE, ("*.example.com", "intranet.example.org"), "BB"))
    assert "'staff' pins *.example.com, api.example.com, shop.example.com (zone" in warning
    assert "SKI BB" in warning and "'partners'" in warning and "SKI AA" in warning
    assert "every request to those hostnames will be blocked" in warning


@pytest.mark.parametrize(
    "second",
    [
        PinnedRule("same-ca", ZONE, ("api.example.com",), "AA"),  # one CA: no conflict
        PinnedRule("other-zone", OTHER_ZONE, ("api.example.com",), "BB"),
        PinnedRule("other-host", ZONE, ("www.example.com",), "BB"),
        PinnedRule("first", ZONE, ("api.example.com",), "BB"),  # the same rule resolving again
    ],
)
def test_no_warning_without_a_shared_hostname_pinned_elsewhere(second: PinnedRule) -> None:
    conflicting_pins(PinnedRule("first", ZONE, ("api.example.com",), "AA"))
    assert conflicting_pins(second) == []
