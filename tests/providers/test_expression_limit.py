"""Cloudflare's limit of 4,096 characters for a rule expression (issue 17, point 3): refused at preview with
the count and what to do, at create if the real SKI makes it longer, and by the emulator."""

from __future__ import annotations

import httpx
import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.rules_language.enforcement import (
    MAX_EXPRESSION_LENGTH,
    build_expression,
    expression_length_problem,
)
from tests.support.providers import ZONE, configured

SKI = "AB" * 20


def hosts(count: int) -> list[str]:
    return [f"host-{index:04d}.example.com" for index in range(count)]


def largest_that_fits(ski: str | None) -> int:
    count = 1
    while not expression_length_problem(hosts(count + 1), ski):
        count += 1
    return count


def test_the_check_refuses_one_hostname_over_the_limit_with_the_count_and_advice() -> None:
    fits = largest_that_fits(SKI)
    provider = ClientCertificateRuleProvider()
    ok = provider.check({}, {"zone_id": ZONE, "hostnames": hosts(fits), "ref": "r", "issuer_ski": SKI})
    assert ok.failures == []
    over = provider.check({}, {"zone_id": ZONE, "hostnames": hosts(fits + 1), "ref": "r", "issuer_ski": SKI})
    [(prop, reason)] = [(failure.property, failure.reason) for failure in over.failures]
    assert prop == "hostnames"
    assert reason.startswith(f"hostnames: the rule expression for these {fits + 1} hostnames would be 41")
    assert (
        "over Cloudflare's limit of 4,096 characters for one rule expression (https://developers.cloudflare." in reason
    )
    assert f"One rule enforces one association's hostnames: list at most about {fits} hostnames in it" in reason
    assert reason.endswith("or cover a subdomain with one wildcard ('*.example.com').")


def test_at_preview_an_unknown_ski_is_counted_as_a_typical_one() -> None:
    fits = largest_that_fits(SKI)
    provider = ClientCertificateRuleProvider()
    news = {"zone_id": ZONE, "hostnames": hosts(fits + 1), "ref": "r", "issuer_ski": UNKNOWN}
    assert [failure.property for failure in provider.check({}, news).failures] == ["hostnames"]


def test_create_refuses_it_too_when_the_real_ski_is_longer(emulator: EmulatorServer) -> None:
    long_ski = "CD" * 64
    rules: ClientCertificateRuleProvider = configured(ClientCertificateRuleProvider(), emulator)
    count = largest_that_fits(SKI)
    assert len(build_expression(hosts(count), SKI)) <= MAX_EXPRESSION_LENGTH
    with pytest.raises(ProviderError, match=r"^hostnames: the rule expression for these \d+ hostnames would be"):
        rules.create({"zone_id": ZONE, "hostnames": hosts(count), "ref": "r", "issuer_ski": long_ski})
    assert emulator.state()["rulesets"] == []


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
