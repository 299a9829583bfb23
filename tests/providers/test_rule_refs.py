"""Two rules never share one Cloudflare rule (issue 17, point 1): default refs are unique per (project, stack,
resource) whatever the name, a rule found by ref at create that differs is refused (or adopted on request),
and a rule deployed by an older version keeps its stored ref."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.client_certificate_rule import (
    DEFAULT_REF_MAX,
    ClientCertificateRuleProvider,
    default_ref,
)
from tests.support.providers import ZONE, configured

NAMES = ["edge rule", "edge/rule", "edge_rule", "edge:rule", "Edge rule", "édge rule", "x" * 200, "x" * 201, ""]


def test_default_refs_differ_for_names_that_used_to_collide() -> None:
    refs = [default_ref(name, "proj", "dev") for name in NAMES]
    assert len(set(refs)) == len(refs), refs


def test_default_refs_differ_per_project_and_stack() -> None:
    refs = {
        default_ref("rule", "proj", "dev"),
        default_ref("rule", "proj", "prod"),
        default_ref("rule", "other", "dev"),
    }
    assert len(refs) == 3


def test_default_refs_are_stable_readable_short_and_plain() -> None:
    ref = default_ref("edge rule", "proj", "dev")
    assert ref == default_ref("edge rule", "proj", "dev")
    assert ref.startswith("cfmtls_edge_rule_")
    for name in NAMES:
        made = default_ref(name, "proj", "dev")
        assert len(made) <= DEFAULT_REF_MAX and re.fullmatch(r"[A-Za-z0-9_]+", made), made


@pytest.fixture
def rules(emulator: EmulatorServer) -> ClientCertificateRuleProvider:
    provider: ClientCertificateRuleProvider = configured(ClientCertificateRuleProvider(), emulator)
    return provider


def inputs(rules: ClientCertificateRuleProvider, hostnames: list[str], **extra: Any) -> dict[str, Any]:
    news = {"zone_id": ZONE, "hostnames": hostnames, "ref": "cfmtls_shared_0123", "description": "mtls", **extra}
    return rules.check({}, news).inputs


def live_rules(emulator: EmulatorServer) -> list[tuple[str, str]]:
    [ruleset] = emulator.state()["rulesets"]
    return [(rule["ref"], rule["expression"]) for rule in ruleset["rules"]]


def test_a_different_rule_with_the_same_ref_is_refused_at_create_and_left_alone(
    rules: ClientCertificateRuleProvider, emulator: EmulatorServer
) -> None:
    first = rules.create(inputs(rules, ["a.example.com"]))
    assert first.outs is not None
    before = live_rules(emulator)
    with pytest.raises(ProviderError) as raised:
        rules.create(inputs(rules, ["b.example.com"]))
    assert str(raised.value) == (
        f"Zone {ZONE} already has a rule with ref 'cfmtls_shared_0123' (rule {first.outs['rule_id']}, block "
        f"{first.outs['expression']!r}) that differs from this one in expression. It was not made by this "
        "resource, and two resources must never share one rule. Give this ClientCertificateRule its own ref= (by "
        "default every resource gets a ref unique to its project, stack and name); or, to take that rule over "
        "(it becomes exactly this definition), set adopt_existing=True. Nothing was changed."
    )
    assert live_rules(emulator) == before


def test_adopt_existing_takes_the_rule_over(rules: ClientCertificateRuleProvider, emulator: EmulatorServer) -> None:
    first = rules.create(inputs(rules, ["a.example.com"]))
    adopted = rules.create(inputs(rules, ["b.example.com"], adopt_existing=True))
    assert first.outs is not None and adopted.outs is not None
    assert adopted.outs["rule_id"] == first.outs["rule_id"]
    [(ref, expression)] = live_rules(emulator)
    assert ref == "cfmtls_shared_0123" and r"b\.example\.com" in expression


def test_the_same_rule_left_by_an_interrupted_run_is_taken_back(
    rules: ClientCertificateRuleProvider, emulator: EmulatorServer
) -> None:
    first = rules.create(inputs(rules, ["a.example.com"]))
    again = rules.create(inputs(rules, ["a.example.com"]))
    assert first.outs is not None and again.outs is not None
    assert again.outs["rule_id"] == first.outs["rule_id"] and len(live_rules(emulator)) == 1


def test_a_default_ref_keeps_the_ref_stored_by_an_older_version() -> None:
    provider = ClientCertificateRuleProvider()
    olds = {"zone_id": ZONE, "hostnames": ["a.example.com"], "ref": "cfmtls:proj:dev:edge_rule"}
    news = {**olds, "ref": default_ref("edge rule", "proj", "dev"), "ref_is_default": True}
    checked = provider.check(olds, news).inputs
    assert checked["ref"] == "cfmtls:proj:dev:edge_rule"
    assert not provider.diff("id", olds, checked).replaces


def test_an_explicit_ref_is_never_overridden_by_the_stored_one() -> None:
    provider = ClientCertificateRuleProvider()
    olds = {"zone_id": ZONE, "hostnames": ["a.example.com"], "ref": "old"}
    checked = provider.check(olds, {**olds, "ref": "new"}).inputs
    assert checked["ref"] == "new"
    assert provider.diff("id", olds, checked).replaces == ["ref"]


def test_diff_with_an_unknown_issuer_ski_is_a_possible_change_not_a_traceback() -> None:
    from pulumi.output import UNKNOWN

    olds = {"zone_id": ZONE, "hostnames": ["a.example.com"], "ref": "r", "issuer_ski": "AB" * 20}
    result = ClientCertificateRuleProvider().diff("id", olds, {**olds, "issuer_ski": UNKNOWN})
    assert result.changes and not result.replaces
