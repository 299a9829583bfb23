"""The one rules runner the emulator's edge and check-client share: a zone's custom rules, in order."""

from __future__ import annotations

from typing import Any

from cfmtls_provider.client_auth import ClientAuth
from cfmtls_provider.cloudflare.models import Rule
from cfmtls_provider.custom_rules import RulesDecision, request_fields, run_custom_rules

HOST = 'http.host eq "api.example.com"'
UNVERIFIED = "not cf.tls_client_auth.cert_verified"


def rule(rule_id: str, action: str, expression: str, **extra: Any) -> Rule:
    return Rule.from_api({"id": rule_id, "action": action, "expression": expression, **extra})


def run(*rules: Rule, verified: bool = False) -> RulesDecision[Rule]:
    auth = ClientAuth(cert_presented=verified, cert_verified=verified)
    return run_custom_rules(rules, request_fields("api.example.com", auth, "/"))


def ids(decision: RulesDecision[Rule]) -> list[str]:
    return [item.rule.id for item in decision.outcomes]


def test_the_first_matching_blocking_rule_ends_the_run_and_log_does_not() -> None:
    decision = run(rule("log", "log", HOST), rule("mtls", "block", UNVERIFIED), rule("after", "block", HOST))
    assert ids(decision) == ["log", "mtls"]
    assert decision.deciding is not None and decision.deciding.rule.id == "mtls" and decision.deciding.blocks
    assert not run(rule("mtls", "block", UNVERIFIED), verified=True).deciding  # on to the origin


def test_skip_of_the_current_ruleset_ends_the_run_other_skips_do_not() -> None:
    current = rule("skip", "skip", HOST, action_parameters={"ruleset": "current"})
    phases = rule("skip", "skip", HOST, action_parameters={"phases": ["http_ratelimit"]})
    block = rule("mtls", "block", UNVERIFIED)
    skipped = run(current, block)
    assert ids(skipped) == ["skip"] and skipped.deciding is not None and skipped.deciding.effect == "skips_rest"
    assert ids(run(phases, block)) == ["skip", "mtls"]


def test_a_rule_that_cannot_be_evaluated_leaves_the_verdict_open_and_the_run_goes_on() -> None:
    decision = run(
        rule("odd", "block", "ip.src in {192.0.2.0/24}"),
        rule("broken", "block", "http.host eq"),
        rule("disabled", "block", HOST, enabled=False),
        rule("execute", "execute", HOST, action_parameters={"id": "x"}),
        rule("mtls", "block", UNVERIFIED),
    )
    assert ids(decision) == ["odd", "broken", "execute", "mtls"]
    odd, broken = decision.not_evaluated
    assert odd.matched is None and "ip.src" in odd.reason and odd.reason.startswith("cannot evaluate")
    assert broken.reason.startswith("Cloudflare's engine would reject it")
    assert [item.rule.id for item in decision.not_modelled] == ["execute"]
    assert decision.deciding is not None and decision.deciding.rule.id == "mtls"
