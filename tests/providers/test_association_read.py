"""HostnameAssociation's read (``pulumi refresh``): the live list and rule, recorded as the inputs too, so a drift
shows in the next preview and ``pulumi up`` puts it back; gone only when neither the list nor the rule is left."""

from __future__ import annotations

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import (
    ZONE,
    api_calls,
    association_inputs,
    create_association,
    hostname_list,
    next_run,
    put_list_by_hand,
    rules_of,
    upload,
)

HOSTS = ["a.example.com", "b.example.com"]


def test_a_list_changed_outside_the_stack_is_read_as_the_inputs_and_the_next_up_puts_it_back(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    put_list_by_hand(emulator, ca["certificate_id"], ["a.example.com"])
    next_run()
    emulator.clear_requests()
    read = assocs.read(association_id, outs)
    assert api_calls(emulator) == ["GET list", "GET entrypoint"]  # a read writes nothing
    assert read.outs is not None and read.inputs is not None
    assert read.outs["hostnames"] == ["a.example.com"] and read.inputs["hostnames"] == ["a.example.com"]
    news = assocs.check(read.outs, association_inputs(ca, HOSTS)).inputs
    assert assocs.diff(association_id, read.outs, news).changes
    assocs.update(association_id, read.outs, news)
    assert hostname_list(emulator, ca["certificate_id"]) == HOSTS


def test_a_rule_edited_outside_the_stack_is_read_and_the_next_up_writes_it_again(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    with emulator.client() as api:
        api.patch(
            f"/zones/{ZONE}/rulesets/{outs['ruleset_id']}/rules/{outs['rule_id']}",
            json={**{key: rules_of(emulator)[0][key] for key in ("ref", "expression", "description")}, "action": "log"},
        ).raise_for_status()
    next_run()
    read = assocs.read(association_id, outs)
    assert read.outs is not None and read.inputs is not None
    assert read.outs["action"] == read.inputs["action"] == "log"
    news = assocs.check(read.outs, association_inputs(ca, HOSTS)).inputs
    assert assocs.diff(association_id, read.outs, news).changes
    updated = assocs.update(association_id, read.outs, news)
    [rule] = rules_of(emulator)
    assert updated.outs is not None and (rule["action"], rule["id"]) == ("block", outs["rule_id"])


def test_a_rule_deleted_outside_the_stack_leaves_the_association_to_be_completed(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    with emulator.client() as api:
        api.delete(f"/zones/{ZONE}/rulesets/{outs['ruleset_id']}/rules/{outs['rule_id']}").raise_for_status()
    read = assocs.read(association_id, outs)
    assert read.id == association_id and read.outs is not None and read.outs["rule_id"] == ""
    news = assocs.check(read.outs, association_inputs(ca, HOSTS)).inputs
    assert assocs.diff(association_id, read.outs, news).changes


def test_an_association_whose_list_and_rule_are_gone_leaves_the_stack(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    next_run()
    assocs.delete(association_id, outs)
    gone = assocs.read(association_id, outs)
    assert (gone.id, gone.outs) == (None, {})
