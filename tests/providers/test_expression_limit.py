"""Cloudflare's limit of 4,096 characters for a rule expression (issue 17, point 3): an association's rule must fit
it with room for a second issuer (a rotation accepts both for a moment), so the check refuses, at preview, a list
whose rule could not rotate, with the count and what to do; and the emulator refuses what Cloudflare refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import MAX_EXPRESSION_LENGTH, expression_length_problem
from tests.support.certs import make_ca
from tests.support.providers import (
    ZONE,
    association_inputs,
    checked,
    create_association,
    hostname_list,
    next_run,
    rules_of,
    upload,
)

SKI = "AB" * 20


def hosts(count: int) -> list[str]:
    return [f"host-{index:04d}.example.com" for index in range(count)]


def largest_that_rotates() -> int:
    """The most hostnames whose rule still fits while it accepts two issuers."""
    count = 1
    while not expression_length_problem(hosts(count + 1), [SKI, "CD" * 20]):
        count += 1
    return count


def inputs(hostnames: Any, **extra: Any) -> dict[str, Any]:
    ca = {"certificate_id": "c" * 32, "subject_key_identifier": SKI, "revision": "r1"}
    return association_inputs(ca, hostnames, **extra)


def test_the_check_refuses_one_hostname_over_what_a_rotation_needs_with_the_count_and_advice(
    assocs: HostnameAssociationProvider,
) -> None:
    fits = largest_that_rotates()
    provider = assocs
    assert provider.check({}, inputs(hosts(fits))).failures == []
    over = provider.check({}, inputs(hosts(fits + 1))).failures
    [(prop, reason)] = [(failure.property, failure.reason) for failure in over]
    assert prop == "hostnames"
    assert reason.startswith(f"hostnames: the rule expression for these {fits + 1} hostnames would be ")
    assert (
        "over Cloudflare's limit of 4,096 characters for one rule expression (https://developers.cloudflare." in reason
    )
    assert f"list at most about {fits} hostnames in it" in reason
    assert reason.endswith(
        "or cover a subdomain with one wildcard ('*.example.com'). That counts room for a second issuer: a rotation "
        "accepts both CAs for a moment."
    )


@pytest.mark.parametrize("ski", [UNKNOWN, "CD" * 20], ids=["unknown at preview", "known"])
def test_the_issuer_counts_as_a_typical_one_whether_known_or_not(ski: Any) -> None:
    fits = largest_that_rotates()
    provider = HostnameAssociationProvider()  # refused before the zone is read: no credentials needed
    over = provider.check({}, {**inputs(hosts(fits + 1)), "issuer_ski": ski}).failures
    assert [failure.property for failure in over] == ["hostnames"]


def test_an_unpinned_rule_has_room_for_more_hostnames(assocs: HostnameAssociationProvider) -> None:
    fits = largest_that_rotates()
    assert assocs.check({}, inputs(hosts(fits + 1), pin_issuer=False)).failures == []


def test_a_rotation_at_the_limit_widens_the_rule_and_cloudflare_takes_it(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    old, new = upload(certs, make_ca("old"), "old"), upload(certs, make_ca("new"), "new")
    names = [f"host-{index:04d}.example.com" for index in range(largest_that_rotates())]
    association_id, outs = create_association(assocs, old, names)
    next_run()
    updated = assocs.update(association_id, outs, checked(assocs, outs, association_inputs(new, names)))
    assert updated.outs is not None
    [rule] = rules_of(emulator)
    assert len(rule["expression"]) <= MAX_EXPRESSION_LENGTH


def test_create_refuses_a_rule_over_the_limit_when_the_real_ski_is_longer_and_writes_nothing(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """A SKI of a SHA-256 key id (64 hex characters) is longer than the typical one the check counts."""
    ca = upload(certs, make_ca("corp"))
    names = hosts(largest_that_rotates())
    props = {**checked(assocs, {}, association_inputs(ca, names)), "issuer_ski": "CD" * 64}
    with pytest.raises(ProviderError, match=r"^hostnames: the rule expression for these \d+ hostnames would be"):
        assocs.create(props)
    assert rules_of(emulator) == [] and hostname_list(emulator, ca["certificate_id"]) == []


def test_the_emulator_refuses_an_expression_over_the_limit(emulator: EmulatorServer) -> None:
    rule = {"action": "block", "expression": 'http.host eq "' + "a" * 4100 + '"'}
    body = {"name": "default", "kind": "zone", "phase": "http_request_firewall_custom", "rules": [rule]}
    with emulator.client() as api:
        answer: httpx.Response = api.post(f"/zones/{ZONE}/rulesets", json=body)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["message"] == (
        "the expression is 4115 characters long; the maximum length of a rule expression is 4,096 characters"
    )
    rule["expression"] = rule["expression"][: MAX_EXPRESSION_LENGTH - 1] + '"'
    with emulator.client() as api:
        assert api.post(f"/zones/{ZONE}/rulesets", json=body).status_code == 200
