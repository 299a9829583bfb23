"""IssuerHandover: in a rotation the pinned rule accepts the new issuer before the hostnames move to it."""

from __future__ import annotations

from typing import Any

import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.issuer_handover import IssuerHandoverProvider
from cfmtls_provider.rules_language import FieldValue, evaluate
from cfmtls_provider.rules_language.enforcement import (
    MAX_EXPRESSION_LENGTH,
    ExpressionTooLong,
    accept_issuer,
    build_expression,
    pinned_issuers,
)
from tests.support.providers import ZONE, configured

OLD, NEW, THIRD = "AA" * 20, "BB" * 20, "CC" * 20
HOSTS = ["api.example.com"]
REF = "cfmtls_require_0123"


def _blocks(expression: str, *, verified: bool, ski: str) -> bool:
    fields: dict[str, FieldValue] = {
        "http.host": "api.example.com",
        "http.request.uri.path": "/",
        "cf.tls_client_auth.cert_verified": verified,
        "cf.tls_client_auth.cert_issuer_ski": ski,
    }
    return evaluate(expression, fields)


def test_a_pinned_expression_accepts_one_more_issuer() -> None:
    pinned = build_expression(HOSTS, OLD)
    assert pinned_issuers(pinned) == (OLD,)
    widened = accept_issuer(pinned, NEW.lower())
    assert widened is not None and pinned_issuers(widened) == (OLD, NEW)
    for ski, blocked in ((OLD, False), (NEW, False), (THIRD, True)):
        assert _blocks(widened, verified=True, ski=ski) is blocked, ski
    assert _blocks(widened, verified=False, ski=NEW)
    assert accept_issuer(widened, NEW) is None  # already accepted
    assert accept_issuer(widened, THIRD) is not None
    assert pinned_issuers(build_expression(HOSTS, NEW)) == (NEW,)  # the rule's own update narrows again


def test_an_unpinned_or_foreign_expression_is_left_alone() -> None:
    assert accept_issuer(build_expression(HOSTS), NEW) is None
    assert accept_issuer('http.host eq "a.example.com"', NEW) is None
    with pytest.raises(ValueError, match="not a hex subject key identifier"):
        accept_issuer(build_expression(HOSTS, OLD), "not-hex")


def test_widening_past_cloudflares_limit_is_refused_with_advice() -> None:
    long = build_expression(HOSTS, OLD) + " " * (MAX_EXPRESSION_LENGTH - len(build_expression(HOSTS, OLD)))
    with pytest.raises(ExpressionTooLong, match="split the hostnames"):
        accept_issuer(long, NEW)


@pytest.fixture
def handover(emulator: EmulatorServer) -> IssuerHandoverProvider:
    provider: IssuerHandoverProvider = configured(IssuerHandoverProvider(), emulator)
    return provider


def _rule(emulator: EmulatorServer, ski: str | None) -> tuple[ClientCertificateRuleProvider, dict[str, Any]]:
    rules: ClientCertificateRuleProvider = configured(ClientCertificateRuleProvider(), emulator)
    news = rules.check({}, {"zone_id": ZONE, "hostnames": HOSTS, "ref": REF, "issuer_ski": ski}).inputs
    created = rules.create(news)
    assert created.outs is not None
    return rules, created.outs


def _live_expression(emulator: EmulatorServer) -> str:
    [ruleset] = emulator.state()["rulesets"]
    [rule] = ruleset["rules"]
    return str(rule["expression"])


def _inputs(provider: IssuerHandoverProvider, ski: str) -> dict[str, Any]:
    checked = provider.check({}, {"zone_id": ZONE, "rule_ref": REF, "issuer_ski": ski})
    assert not checked.failures
    return checked.inputs


def test_first_up_no_rule_yet_nothing_is_written(handover: IssuerHandoverProvider, emulator: EmulatorServer) -> None:
    created = handover.create(_inputs(handover, OLD))
    assert created.outs is not None and created.outs["widened"] is False
    assert emulator.state()["rulesets"] == []


def test_rotation_widens_then_the_rule_narrows(handover: IssuerHandoverProvider, emulator: EmulatorServer) -> None:
    first = handover.create(_inputs(handover, OLD))
    rules, outs = _rule(emulator, OLD)
    assert pinned_issuers(_live_expression(emulator)) == (OLD,)
    assert first.outs is not None
    diff = handover.diff(first.id, first.outs, _inputs(handover, NEW))
    assert diff.changes and not diff.replaces
    updated = handover.update(first.id, first.outs, _inputs(handover, NEW))
    assert updated.outs is not None and updated.outs["widened"] is True
    assert pinned_issuers(_live_expression(emulator)) == (OLD, NEW)  # before the hostnames move
    news = rules.check(outs, {**outs, "issuer_ski": NEW}).inputs
    rules.update(f"{ZONE}/{outs['rule_id']}", outs, news)
    assert pinned_issuers(_live_expression(emulator)) == (NEW,)  # after: only the new issuer
    handover.delete(first.id, updated.outs)  # nothing: the rule stays as its resource made it
    assert pinned_issuers(_live_expression(emulator)) == (NEW,)


def test_an_unpinned_rule_is_not_touched(handover: IssuerHandoverProvider, emulator: EmulatorServer) -> None:
    _rule(emulator, None)
    before = _live_expression(emulator)
    created = handover.create(_inputs(handover, NEW))
    assert created.outs is not None and created.outs["widened"] is False
    assert _live_expression(emulator) == before


def test_bad_inputs_are_refused_at_check(handover: IssuerHandoverProvider) -> None:
    failures = handover.check({}, {"zone_id": "nope", "rule_ref": "", "issuer_ski": "xyz"}).failures
    assert {failure.property for failure in failures} == {"zone_id", "rule_ref", "issuer_ski"}


def test_api_errors_become_sentences(handover: IssuerHandoverProvider, emulator: EmulatorServer) -> None:
    emulator.add_fault("GET:/zones/*/rulesets/phases/*/entrypoint:status=403")
    with pytest.raises(ProviderError, match="accept issuer"):
        handover.create(_inputs(handover, NEW))
