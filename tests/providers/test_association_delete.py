"""HostnameAssociation's delete: stop requiring, then dissociate; leave the zone as it was found (the entrypoint this
package made goes once empty, anyone else's stays), and count whatever is already gone as removed."""

from __future__ import annotations

import pytest

from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.edge_watch import watching
from tests.support.providers import (
    ZONE,
    add_entrypoint_by_hand,
    api_calls,
    association_inputs,
    checked,
    create_association,
    entrypoint,
    hostname_list,
    next_run,
    rules_of,
    upload,
)

HOSTS = ["api.example.com", "admin.example.com"]
UNKNOWN_ZONE = "9" * 32  # no zone of the emulator's: a zone deleted from the account


def test_delete_stops_requiring_by_deleting_the_entrypoint_it_made_with_the_rule_in_it_then_dissociates(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corp = make_ca("corp")
    ca = upload(certs, corp)
    association_id, outs = create_association(assocs, ca, HOSTS)
    next_run()
    watch = watching(monkeypatch, emulator, HOSTS, {"corp": corp})
    emulator.clear_requests()
    assocs.delete(association_id, outs)
    # The entrypoint this package made holds this rule only: deleting it deletes the rule (one call, not two).
    assert api_calls(emulator) == ["GET entrypoint", "DELETE entrypoint", "PUT list"]
    assert [watch.who_gets_in(moment.seen) for moment in watch.moments] == [
        watch.everywhere("corp", "none"),  # not required any more, still associated
        watch.everywhere("corp", "none"),
    ]
    assert watch.violations() == [], watch.table()
    assert emulator.state()["rulesets"] == [] and emulator.state()["associations"] == {}


def test_delete_keeps_an_entrypoint_that_still_holds_another_rule(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    with emulator.client() as api:
        api.post(
            f"/zones/{ZONE}/rulesets/{outs['ruleset_id']}/rules",
            json={"ref": "theirs", "action": "log", "expression": "true"},
        ).raise_for_status()
    next_run()
    emulator.clear_requests()
    assocs.delete(association_id, outs)
    assert api_calls(emulator) == ["GET entrypoint", "DELETE rule", "PUT list"]
    assert [(rule["ref"], rule["expression"]) for rule in rules_of(emulator)] == [("theirs", "true")]


def test_delete_keeps_an_entrypoint_that_was_there_before_even_when_it_empties_it(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    add_entrypoint_by_hand(emulator, {"ref": "theirs", "action": "log", "expression": "true"})
    [theirs] = rules_of(emulator)
    ruleset_id = (entrypoint(emulator) or {})["id"]
    with emulator.client() as api:
        api.delete(f"/zones/{ZONE}/rulesets/{ruleset_id}/rules/{theirs['id']}").raise_for_status()
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    assert outs["ruleset_id"] == ruleset_id
    next_run()
    assocs.delete(association_id, outs)
    held = entrypoint(emulator)
    assert held is not None and held["id"] == ruleset_id and held["rules"] == []
    assert held.get("description", "") != CUSTOM_RULES_ENTRYPOINT_DESCRIPTION


def test_a_renamed_association_leaves_the_list_its_successor_wrote_in_this_run(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Renamed without an alias: the engine creates the new name (its own rule) first, and deletes the old name at
    the end of the run: that delete removes the old rule and leaves the list alone."""
    corp = make_ca("corp")
    ca = upload(certs, corp)
    old_id, old = create_association(assocs, ca, HOSTS, name="hosts")
    next_run()
    watch = watching(monkeypatch, emulator, HOSTS, {"corp": corp})
    _, new = create_association(assocs, ca, HOSTS, name="corp-hosts")
    emulator.clear_requests()
    assocs.delete(old_id, old)
    assert watch.who_gets_in() == watch.everywhere("corp")
    assert watch.violations() == [], watch.table()
    assert api_calls(emulator) == ["GET entrypoint", "DELETE rule"]
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)
    assert [rule["ref"] for rule in rules_of(emulator)] == [new["rule_ref"]]


def test_a_failed_rotation_leaves_two_lists_and_delete_empties_both(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    old, new = upload(certs, make_ca("old"), "old"), upload(certs, make_ca("new"), "new")
    association_id, outs = create_association(assocs, old, HOSTS)
    emulator.add_fault("PUT:*/hostname_associations:status=502:skip=1:count=0")  # the old list's emptying fails
    with pytest.raises(ProviderError):
        assocs.update(association_id, outs, checked(assocs, outs, association_inputs(new, HOSTS)))
    emulator.emulator.faults.clear()
    assert hostname_list(emulator, old["certificate_id"]) == hostname_list(emulator, new["certificate_id"]) != []
    next_run()
    assocs.delete(association_id, outs)  # the stack still records the old CA only: the rule's journal names both
    assert emulator.state()["associations"] == {} and emulator.state()["rulesets"] == []


def test_the_stack_s_own_rule_edited_in_the_dashboard_is_still_deleted_with_it(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """The rule the state records (by its id) is the stack's, whatever a person wrote into it since: destroy
    removes it, or it would go on blocking hostnames no CA is associated with any more."""
    ca = upload(certs, make_ca("corp"))
    association_id, outs = create_association(assocs, ca, HOSTS)
    with emulator.client() as api:
        api.patch(
            f"/zones/{ZONE}/rulesets/{outs['ruleset_id']}/rules/{outs['rule_id']}",
            json={"ref": outs["rule_ref"], "action": "block", "expression": outs["expression"], "description": "mine"},
        ).raise_for_status()
    next_run()
    assocs.delete(association_id, outs)
    assert rules_of(emulator) == []
    assert hostname_list(emulator, ca["certificate_id"]) == []


def test_delete_after_everything_is_gone_counts_as_deleted(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    certificate_id, ca = "", upload(certs, make_ca("corp"))
    certificate_id = ca["certificate_id"]
    association_id, outs = create_association(assocs, ca, HOSTS)
    next_run()
    assocs.delete(association_id, outs)
    certs.delete(certificate_id, ca)
    emulator.clear_requests()
    assocs.delete(association_id, outs)  # rule, list and CA already gone
    assert api_calls(emulator) == ["GET entrypoint", "PUT list"]
    assert emulator.state()["rulesets"] == [] and emulator.state()["certificates"] == []


def test_delete_of_an_association_whose_zone_is_gone_counts_as_deleted(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    _, outs = create_association(assocs, ca, HOSTS)
    gone = {**outs, "zone_id": UNKNOWN_ZONE, "ruleset_id": "f" * 32, "rule_id": "e" * 32}
    next_run()
    assocs.delete(f"{UNKNOWN_ZONE}/{outs['rule_ref']}", gone)
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)  # another zone's list: untouched


def test_delete_never_empties_the_managed_cas_list(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    with emulator.client() as api:  # the zone's Managed CA list, which a PUT without the CA's id would rewrite
        api.put(
            f"/zones/{ZONE}/certificate_authorities/hostname_associations", json={"hostnames": ["managed.example.com"]}
        ).raise_for_status()
    association_id, outs = create_association(assocs, ca, HOSTS)
    next_run()
    assocs.delete(association_id, outs)
    with emulator.client() as api:
        managed = api.get(f"/zones/{ZONE}/certificate_authorities/hostname_associations").json()["result"]
    assert managed["hostnames"] == ["managed.example.com"]
    assert hostname_list(emulator, ca["certificate_id"]) == []
