"""Two associations never share one Cloudflare rule (issue 17, point 1): the default ref is unique per (project,
stack, resource name) whatever the name, and an association keeps the ref its state records through a rename, a
``pulumi stack rename``, or a stack deployed by another version (issue 21, point 2)."""

from __future__ import annotations

import re

from pulumi.output import UNKNOWN

from cfmtls_provider.resources._association_rule import default_rule_ref
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from tests.support.providers import ZONE

NAMES = ["edge hosts", "edge/hosts", "edge_hosts", "edge:hosts", "Edge hosts", "édge hosts", "x" * 200, "x" * 201, ""]
#: Cloudflare documents no maximum length for a rule's ``ref`` (the Rulesets API schema gives ``minLength: 1``
#: only); default refs stay far under any plausible one.
REF_MAX = 64


def test_default_refs_differ_for_names_that_would_collide_once_made_readable() -> None:
    refs = [default_rule_ref(name, "proj", "dev") for name in NAMES]
    assert len(set(refs)) == len(refs), refs


def test_default_refs_differ_per_project_and_stack() -> None:
    refs = {
        default_rule_ref("hosts", "proj", "dev"),
        default_rule_ref("hosts", "proj", "prod"),
        default_rule_ref("hosts", "other", "dev"),
    }
    assert len(refs) == 3


def test_default_refs_are_stable_readable_short_and_plain() -> None:
    ref = default_rule_ref("edge hosts", "proj", "dev")
    assert ref == default_rule_ref("edge hosts", "proj", "dev")
    assert ref.startswith("cfmtls_edge_hosts_")
    for name in NAMES:
        made = default_rule_ref(name, "proj", "dev")
        assert len(made) <= REF_MAX and re.fullmatch(r"[A-Za-z0-9_]+", made), made


def inputs(ref: str, **extra: object) -> dict[str, object]:
    return {
        "zone_id": ZONE,
        "mtls_certificate_id": "c" * 32,
        "hostnames": ["a.example.com"],
        "issuer_ski": "AB" * 20,
        "declared_by": "hosts",
        "rule_ref": ref,
        **extra,
    }


def test_a_renamed_association_keeps_the_ref_its_state_records() -> None:
    """After a rename with an alias or a `pulumi stack rename`, the program derives another default ref: the
    state's wins, so the rule is found again (a rotation then widens the rule that really stands)."""
    provider = HostnameAssociationProvider()
    recorded = {**inputs("cfmtls_hosts_0123456789abcdef01234567"), "rule_id": "r" * 32}
    news = inputs(default_rule_ref("corp-hosts", "proj", "prod"), declared_by="corp-hosts")
    checked = provider.check(recorded, news).inputs
    assert checked["rule_ref"] == "cfmtls_hosts_0123456789abcdef01234567"
    assert not provider.diff("id", recorded, checked).replaces


def test_an_association_deployed_before_it_had_a_rule_takes_the_default_ref() -> None:
    provider = HostnameAssociationProvider()
    of_01 = {"zone_id": ZONE, "mtls_certificate_id": "c" * 32, "hostnames": ["a.example.com"]}
    ref = default_rule_ref("hosts", "proj", "dev")
    checked = provider.check(of_01, inputs(ref)).inputs
    assert checked["rule_ref"] == ref
    diff = provider.diff(f"{ZONE}/{'c' * 32}", of_01, checked)
    assert diff.changes and not diff.replaces  # the next `pulumi up` adds its rule in place


def test_diff_with_an_unknown_issuer_ski_is_a_possible_change_not_a_traceback() -> None:
    olds = {**inputs("r"), "pin_issuer": True, "action": "block", "rule_id": "u" * 32}
    result = HostnameAssociationProvider().diff("id", olds, {**olds, "issuer_ski": UNKNOWN})
    assert result.changes and not result.replaces
