"""Records of a stack deployed with cfmtls-provider 0.1 (``ClientCertificateRule``, ``IssuerHandover``): the engine
unpickles their providers by module path to refresh and delete them; a program still declaring them is told, in one
sentence, how to upgrade. The upgrade itself is one ``pulumi up``: the association gains its own rule while the old
one still stands, then the old record goes."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

import cfmtls_provider
from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.issuer_handover import IssuerHandoverProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.edge_watch import watching
from tests.support.providers import (
    ZONE,
    add_entrypoint_by_hand,
    api_calls,
    association_inputs,
    checked,
    entrypoint,
    hostname_list,
    next_run,
    put_list_by_hand,
    rules_of,
    upload,
)

HOSTS = ["api.example.com"]
RULE_REF = "cfmtls_require_client_certificate_0123456789abcdef01234567"


def deploy_rule_of_0_1(emulator: EmulatorServer, ca: dict[str, Any], *, other_rule: bool = False) -> dict[str, Any]:
    """What 0.1's ClientCertificateRule made (the entrypoint, marked as this package's, holding its rule) and the
    record its stack holds."""
    rule = {
        "ref": RULE_REF,
        "action": "block",
        "expression": build_expression(HOSTS, ca["subject_key_identifier"]),
        "description": "cfmtls: require a client certificate",
    }
    rules = [rule, {"ref": "theirs", "action": "log", "expression": "true"}] if other_rule else [rule]
    made = add_entrypoint_by_hand(emulator, *rules, description=CUSTOM_RULES_ENTRYPOINT_DESCRIPTION)
    [held] = [each for each in made["rules"] if each["ref"] == RULE_REF]
    return {
        "zone_id": ZONE,
        "hostnames": HOSTS,
        "mtls_certificate_id": ca["certificate_id"],
        "issuer_ski": ca["subject_key_identifier"],
        "ref": RULE_REF,
        "ruleset_id": made["id"],
        "rule_id": held["id"],
        "expression": held["expression"],
        "action": "block",
        "description": held["description"],
        "enabled": True,
    }


def deploy_association_of_0_1(emulator: EmulatorServer, ca: dict[str, Any]) -> dict[str, Any]:
    """What 0.1's HostnameAssociation made (the list) and recorded (no rule of its own)."""
    put_list_by_hand(emulator, ca["certificate_id"], HOSTS)
    return {
        "zone_id": ZONE,
        "mtls_certificate_id": ca["certificate_id"],
        "hostnames": HOSTS,
        "adopt_existing": False,
        "declared_by": "corp-hosts",
    }


HANDOVER_OF_0_1 = {"zone_id": ZONE, "rule_ref": RULE_REF, "issuer_ski": "AB" * 20, "widened": False}


@pytest.mark.parametrize("kind", ["ClientCertificateRule", "IssuerHandover"])
def test_a_program_that_still_declares_a_removed_resource_is_told_how_to_upgrade(kind: str) -> None:
    removed: Callable[..., Any] = getattr(cfmtls_provider, kind)
    assert kind not in cfmtls_provider.__all__
    with pytest.raises(pulumi.RunError) as refused:
        removed("require-client-certificate", zone_id=ZONE, hostnames=HOSTS)
    message = str(refused.value)
    assert message.startswith(f"{kind} was removed in cfmtls-provider 0.2. HostnameAssociation now keeps the WAF rule")
    assert "give HostnameAssociation certificate=<your MTLSCertificate>" in message
    assert "no client is refused in between" in message


def test_a_rule_of_0_1_is_refreshed_from_cloudflare_without_a_write(
    certs: MTLSCertificateProvider, legacy_rules: ClientCertificateRuleProvider, emulator: EmulatorServer
) -> None:
    record = deploy_rule_of_0_1(emulator, upload(certs, make_ca("corp")))
    with emulator.client() as api:
        api.patch(
            f"/zones/{ZONE}/rulesets/{record['ruleset_id']}/rules/{record['rule_id']}",
            json={"ref": RULE_REF, "action": "log", "expression": record["expression"]},
        ).raise_for_status()
    emulator.clear_requests()
    read = legacy_rules.read(f"{ZONE}/{record['rule_id']}", record)
    assert read.id == f"{ZONE}/{record['rule_id']}" and read.outs is not None and read.outs["action"] == "log"
    assert api_calls(emulator) == ["GET entrypoint"]
    with emulator.client() as api:
        api.delete(f"/zones/{ZONE}/rulesets/{record['ruleset_id']}/rules/{record['rule_id']}").raise_for_status()
    assert legacy_rules.read(f"{ZONE}/{record['rule_id']}", record).id is None


def test_deleting_the_last_rule_of_0_1_deletes_the_entrypoint_this_package_made(
    certs: MTLSCertificateProvider, legacy_rules: ClientCertificateRuleProvider, emulator: EmulatorServer
) -> None:
    record = deploy_rule_of_0_1(emulator, upload(certs, make_ca("corp")))
    emulator.clear_requests()
    legacy_rules.delete(f"{ZONE}/{record['rule_id']}", record)
    assert api_calls(emulator) == ["DELETE rule", "DELETE entrypoint"]
    assert emulator.state()["rulesets"] == []
    legacy_rules.delete(f"{ZONE}/{record['rule_id']}", record)  # a rule already gone counts as deleted


def test_deleting_a_rule_of_0_1_keeps_an_entrypoint_holding_other_rules(
    certs: MTLSCertificateProvider, legacy_rules: ClientCertificateRuleProvider, emulator: EmulatorServer
) -> None:
    record = deploy_rule_of_0_1(emulator, upload(certs, make_ca("corp")), other_rule=True)
    legacy_rules.delete(f"{ZONE}/{record['rule_id']}", record)
    assert [rule["ref"] for rule in rules_of(emulator)] == ["theirs"]


def test_a_handover_of_0_1_is_refreshed_and_deleted_without_an_api_call(
    legacy_handovers: IssuerHandoverProvider, emulator: EmulatorServer
) -> None:
    record_id = f"{ZONE}/{RULE_REF}"
    assert legacy_handovers.read(record_id, HANDOVER_OF_0_1).outs == HANDOVER_OF_0_1
    legacy_handovers.delete(record_id, HANDOVER_OF_0_1)
    assert emulator.requests() == []


@pytest.mark.parametrize("provider", [ClientCertificateRuleProvider, IssuerHandoverProvider])
def test_a_record_of_0_1_plans_no_change_and_is_never_created_or_updated_again(
    provider: type[ClientCertificateRuleProvider | IssuerHandoverProvider],
) -> None:
    legacy = provider()
    record = {**HANDOVER_OF_0_1, "rule_id": "r"}
    assert legacy.check(record, record).failures == []
    assert not legacy.diff("id", record, record).changes
    for attempt in (lambda: legacy.create(record), lambda: legacy.update("id", record, record)):
        with pytest.raises(ProviderError, match=r"was removed in cfmtls-provider 0\.2\. HostnameAssociation now keeps"):
            attempt()


@pytest.mark.parametrize("provider", [ClientCertificateRuleProvider, IssuerHandoverProvider])
def test_the_engine_finds_the_provider_of_a_record_of_0_1_by_its_module_path(
    provider: type[ClientCertificateRuleProvider | IssuerHandoverProvider],
) -> None:
    """The state of a 0.1 stack pickles the provider by reference to these module paths."""
    pickled = pickle.dumps(provider())
    assert f"cfmtls_provider.resources.{provider.__module__.rsplit('.', 1)[1]}".encode() in pickled
    assert type(pickle.loads(pickled)) is provider  # noqa: S301 (the test's own pickle)


def test_upgrading_from_0_1_adds_the_associations_rule_before_the_old_one_goes(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    legacy_rules: ClientCertificateRuleProvider,
    legacy_handovers: IssuerHandoverProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One `pulumi up` of the program rewritten for 0.2: the association updates in place (its list kept, its own
    rule added: both rules require the same CA's clients), then the engine deletes the records no longer declared.
    No client's access changes at any moment, and the entrypoint stays for the association's rule."""
    corp = make_ca("corp")
    ca = upload(certs, corp)
    association = deploy_association_of_0_1(emulator, ca)
    rule = deploy_rule_of_0_1(emulator, ca)
    next_run()
    watch = watching(monkeypatch, emulator, [*HOSTS, "www.example.com"], {"corp": corp, "other": make_ca("other")})
    emulator.clear_requests()

    news = checked(assocs, association, association_inputs(ca, HOSTS))
    diff = assocs.diff(f"{ZONE}/{ca['certificate_id']}", association, news)
    assert diff.changes and not diff.replaces
    updated = assocs.update(f"{ZONE}/{ca['certificate_id']}", association, news)
    legacy_rules.delete(f"{ZONE}/{rule['rule_id']}", rule)
    legacy_handovers.delete(f"{ZONE}/{RULE_REF}", HANDOVER_OF_0_1)

    assert api_calls(emulator) == ["GET entrypoint", "POST rule", "DELETE rule"]
    assert watch.violations() == [], watch.table()
    assert watch.who_gets_in() == {"api.example.com": {"corp"}, "www.example.com": {"corp", "other", "none"}}
    assert updated.outs is not None and [each["id"] for each in rules_of(emulator)] == [updated.outs["rule_id"]]
    assert (entrypoint(emulator) or {})["id"] == rule["ruleset_id"]
    assert hostname_list(emulator, ca["certificate_id"]) == HOSTS
