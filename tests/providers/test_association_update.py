"""HostnameAssociation's update: every change is one plan of writes in the safe order, and what a user's clients see
after every write keeps the guarantees (:func:`cfmtls_provider.transitions.invariant_violations`).

Hostnames added are associated before the rule requires them; hostnames removed stop being required before they
are dissociated; a new CA (a rotation) is accepted beside the old one, associated, the old list emptied, then the
new issuer pinned; a write that fails part-way leaves a state a re-run (or a rollback) finishes from.
"""

from __future__ import annotations

from typing import Any

import pytest

from cfmtls_provider.client_auth import MultipleCAPolicy
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import pinned_issuers
from tests.support.certs import CA, make_ca
from tests.support.edge_watch import EdgeWatch, watching
from tests.support.providers import (
    ZONE,
    api_calls,
    association_inputs,
    checked,
    create_association,
    hostname_list,
    next_run,
    put_list_by_hand,
    rules_of,
    upload,
)

API, ADMIN, WWW = "api.example.com", "admin.example.com", "www.example.com"


class Stack:
    """One association of one stack, run after run: what the engine records and passes back."""

    def __init__(self, assocs: HostnameAssociationProvider, ca: dict[str, Any], hostnames: list[str], **extra: Any):
        self.assocs = assocs
        self.id, self.outs = create_association(assocs, ca, hostnames, **extra)

    def news(self, ca: dict[str, Any], hostnames: list[str], **extra: Any) -> dict[str, Any]:
        return checked(self.assocs, self.outs, association_inputs(ca, hostnames, **extra))

    def up(self, ca: dict[str, Any], hostnames: list[str], **extra: Any) -> dict[str, Any]:
        """``pulumi up`` of the program declaring this: the diff must see a change, in place; the update's outputs
        are recorded (a failed update records nothing)."""
        news = self.news(ca, hostnames, **extra)
        diff = self.assocs.diff(self.id, self.outs, news)
        assert diff.changes and not diff.replaces
        result = self.assocs.update(self.id, self.outs, news)
        assert result.outs is not None
        self.outs = dict(result.outs)
        return self.outs


def uploaded(certs: MTLSCertificateProvider, *names: str) -> tuple[list[CA], list[dict[str, Any]]]:
    cas = [make_ca(name) for name in names]
    return cas, [upload(certs, ca, name) for ca, name in zip(cas, names, strict=True)]


def deployed(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, hostnames: list[str]
) -> tuple[CA, dict[str, Any], Stack]:
    """A stack deployed by an earlier run: the CA "corp" (its clients' issuer, its outputs) and its association."""
    [corp], [ca] = uploaded(certs, "corp")
    stack = Stack(assocs, ca, hostnames)
    next_run()
    return corp, ca, stack


def the_rule(emulator: EmulatorServer) -> dict[str, Any]:
    [rule] = rules_of(emulator)
    return rule


def moments(watch: EdgeWatch) -> list[dict[str, set[str]]]:
    return [watch.who_gets_in(moment.seen) for moment in watch.moments]


# -- hostnames ----------------------------------------------------------------------------------------------


def test_a_hostname_added_is_associated_before_the_rule_requires_it(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corp, ca, stack = deployed(certs, assocs, [API])
    watch = watching(monkeypatch, emulator, [API, WWW], {"corp": corp})
    emulator.clear_requests()
    stack.up(ca, [API, WWW])
    # The check reads the zone (new hostnames: are they in it?); then the update.
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PUT list", "PATCH rule"]
    assert moments(watch) == [
        {API: {"corp"}, WWW: {"corp", "none"}},  # associated: asked for a certificate, not yet required
        {API: {"corp"}, WWW: {"corp"}},
    ]
    assert watch.violations() == [], watch.table()
    assert hostname_list(emulator, ca["certificate_id"]) == [API, WWW] and stack.outs["hostnames"] == [API, WWW]


def test_a_hostname_removed_stops_being_required_before_it_is_dissociated(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 21, point 4: the CA's own clients of the removed hostname are never refused on the way."""
    corp, ca, stack = deployed(certs, assocs, [API, WWW])
    watch = watching(monkeypatch, emulator, [API, WWW], {"corp": corp})
    emulator.clear_requests()
    stack.up(ca, [API])
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PATCH rule", "PUT list"]
    assert moments(watch) == [
        {API: {"corp"}, WWW: {"corp", "none"}},  # not required any more, still associated
        {API: {"corp"}, WWW: {"corp", "none"}},
    ]
    assert watch.violations() == [], watch.table()
    assert hostname_list(emulator, ca["certificate_id"]) == [API]


def test_hostnames_added_and_removed_at_once_keep_both_guarantees(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corp, ca, stack = deployed(certs, assocs, [API, ADMIN])
    watch = watching(monkeypatch, emulator, [API, ADMIN, WWW], {"corp": corp})
    emulator.clear_requests()
    stack.up(ca, [API, WWW])
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PATCH rule", "PUT list", "PATCH rule"]
    assert watch.violations() == [], watch.table()
    assert watch.who_gets_in() == {API: {"corp"}, ADMIN: {"corp", "none"}, WWW: {"corp"}}


def test_every_hostname_replaced_keeps_the_ca_clients_in_and_ends_protecting_the_new_ones(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corp, ca, stack = deployed(certs, assocs, [API])
    watch = watching(monkeypatch, emulator, [API, WWW], {"corp": corp})
    stack.up(ca, [WWW])
    assert watch.violations() == [], watch.table()
    assert watch.who_gets_in() == {API: {"corp", "none"}, WWW: {"corp"}}
    assert hostname_list(emulator, ca["certificate_id"]) == [WWW]


# -- rotation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["newest", "any"])
def test_a_rotation_accepts_both_issuers_then_associates_the_new_ca_then_empties_the_old_list_then_pins_the_new(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    policy: MultipleCAPolicy,
) -> None:
    """In place (one update, the resource keeps its id and rule), whichever associated CA Cloudflare verifies
    against: at every moment the old or the new CA's clients get in, and a client without one never."""
    [old_ca], [old] = uploaded(certs, "old")
    stack = Stack(assocs, old, [API, WWW])
    rule_id, association_id = stack.outs["rule_id"], stack.id
    next_run()
    [new_ca], [new] = uploaded(certs, "new")  # the replacement's create comes first
    watch = watching(monkeypatch, emulator, [API, WWW], {"old": old_ca, "new": new_ca}, policy)
    emulator.clear_requests()
    stack.up(new, [API, WWW])

    # The check reads nothing (zone and hostnames unchanged); a CA this run uploaded has no list yet: none is read.
    assert api_calls(emulator) == ["GET entrypoint", "PATCH rule", "PUT list", "PUT list", "PATCH rule"]
    assert watch.violations(rotation=("old", "new")) == [], watch.table()
    assert all("none" not in seen for moment in moments(watch) for seen in moment.values())
    assert watch.who_gets_in() == watch.everywhere("new")
    assert (stack.id, stack.outs["rule_id"]) == (association_id, rule_id)
    assert hostname_list(emulator, new["certificate_id"]) == [API, WWW]
    assert hostname_list(emulator, old["certificate_id"]) == []
    assert pinned_issuers(the_rule(emulator)["expression"]) == (new["subject_key_identifier"],)
    assert the_rule(emulator)["description"] == f"cfmtls: clients of CA {new['certificate_id']} only (corp-hosts)"
    # The engine deletes the old CA at the end of the run: its list is empty, so Cloudflare lets it go.
    certs.delete(old["certificate_id"], old)
    assert [cert["id"] for cert in emulator.state()["certificates"]] == [new["certificate_id"]]


def test_the_first_write_of_a_rotation_names_both_cas_in_the_journal_and_pins_both_issuers(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, (old, new) = uploaded(certs, "old", "new")
    stack = Stack(assocs, old, [API])
    emulator.add_fault("PUT:*/hostname_associations:status=502:count=0")
    with pytest.raises(ProviderError):
        stack.up(new, [API])
    rule = the_rule(emulator)
    assert rule["description"] == (
        f"cfmtls: clients of CA {old['certificate_id']} or {new['certificate_id']} only (corp-hosts)"
    )
    assert set(pinned_issuers(rule["expression"])) == {old["subject_key_identifier"], new["subject_key_identifier"]}


def test_a_rotation_to_a_ca_uploaded_elsewhere_reads_its_list_and_refuses_someone_elses(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, (old, new) = uploaded(certs, "old", "new")
    stack = Stack(assocs, old, [API])
    next_run()
    put_list_by_hand(emulator, new["certificate_id"], ["by-hand.example.com"])
    before = emulator.state()
    emulator.clear_requests()
    with pytest.raises(ProviderError, match=r"already associates \['by-hand.example.com'\] with CA"):
        stack.up(new, [API])
    assert api_calls(emulator) == ["GET entrypoint", "GET list"] and emulator.state() == before


# -- rule only ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "stopped"), [("log", False), ("managed_challenge", True)])
def test_a_new_action_is_one_patch_and_the_hostnames_stay_associated(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    stopped: bool,
) -> None:
    corp, ca, stack = deployed(certs, assocs, [API])
    watch = watching(monkeypatch, emulator, [API], {"corp": corp})
    emulator.clear_requests()
    stack.up(ca, [API], action=action)
    assert api_calls(emulator) == ["GET entrypoint", "PATCH rule"]
    assert the_rule(emulator)["action"] == stack.outs["action"] == action
    assert watch.who_gets_in() == {API: {"corp"} if stopped else {"corp", "none"}}
    assert watch.violations() == [], watch.table()
    stack.up(ca, [API])
    assert the_rule(emulator)["action"] == "block" and watch.who_gets_in() == {API: {"corp"}}


def test_pin_issuer_turned_off_and_on_again_is_one_patch_each(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca, stack = deployed(certs, assocs, [API])
    emulator.clear_requests()
    stack.up(ca, [API], pin_issuer=False)
    assert api_calls(emulator) == ["GET entrypoint", "PATCH rule"]
    assert pinned_issuers(the_rule(emulator)["expression"]) == () and stack.outs["pin_issuer"] is False
    emulator.clear_requests()
    stack.up(ca, [API])
    assert api_calls(emulator) == ["GET entrypoint", "PATCH rule"]
    assert pinned_issuers(the_rule(emulator)["expression"]) == (ca["subject_key_identifier"],)


def test_a_rule_deleted_outside_the_stack_is_added_again_by_the_next_update(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, [ca] = uploaded(certs, "corp")
    stack = Stack(assocs, ca, [API])
    with emulator.client() as api:
        api.delete(f"/zones/{ZONE}/rulesets/{stack.outs['ruleset_id']}/rules/{stack.outs['rule_id']}")
    next_run()
    emulator.clear_requests()
    outs = stack.up(ca, [API, WWW])
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "GET list", "PUT list", "POST rule"]
    assert the_rule(emulator)["id"] == outs["rule_id"] and the_rule(emulator)["ref"] == outs["rule_ref"]


# -- failures part-way ----------------------------------------------------------------------------------------


FAILING_WRITES = {
    "the new CA's association": "PUT:*/hostname_associations:status=502:count=0",
    "the old list's emptying": "PUT:*/hostname_associations:status=502:skip=1:count=0",
    "the final pin": "PATCH:*/rules/*:status=502:skip=1:count=0",
}


@pytest.mark.parametrize("failing", list(FAILING_WRITES))
def test_a_rotation_that_fails_part_way_keeps_clients_in_and_the_next_run_finishes_it(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    [old_ca, new_ca], (old, new) = uploaded(certs, "old", "new")
    stack = Stack(assocs, old, [API])
    next_run()
    watch = watching(monkeypatch, emulator, [API], {"old": old_ca, "new": new_ca})
    emulator.add_fault(FAILING_WRITES[failing])
    with pytest.raises(ProviderError) as failed:
        stack.up(new, [API])
    assert "run 'pulumi up' again: it plans from what Cloudflare holds and finishes the change." in str(failed.value)
    emulator.emulator.faults.clear()

    next_run()  # the user runs `pulumi up` again; the stack still records the old CA
    stack.up(new, [API])
    assert watch.violations(rotation=("old", "new")) == [], watch.table()
    assert watch.who_gets_in() == {API: {"new"}}
    assert (
        hostname_list(emulator, new["certificate_id"]) == [API] and hostname_list(emulator, old["certificate_id"]) == []
    )
    assert len(rules_of(emulator)) == 1
    assert stack.outs["mtls_certificate_id"] == new["certificate_id"]


@pytest.mark.parametrize("failing", list(FAILING_WRITES))
def test_rolling_back_to_the_old_pem_after_a_failed_rotation_converges_in_one_run(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    """Issue 21, point 1, as the engine runs it: the failed run leaves the old CA's record pending deletion; the
    rollback's create takes the same upload back (a new revision: the association plans again), the association
    returns to it, and the pending record's delete leaves the upload alone. No adopt_existing, no CA lost."""
    old_ca, new_ca = make_ca("old"), make_ca("new")
    old_inputs = checked(certs, {}, {"certificates": old_ca.pem, "name": "corp-ca", "ownership_tag": "cfmtls-0a"})
    old = dict(certs.create(old_inputs).outs or {})
    stack = Stack(assocs, old, [API])

    next_run()  # the rotation: the new PEM; its association update fails part-way
    new_inputs = checked(certs, old, {**old_inputs, "certificates": new_ca.pem})
    assert certs.diff(old["certificate_id"], old, new_inputs).replaces
    new = dict(certs.create(new_inputs).outs or {})
    emulator.add_fault(FAILING_WRITES[failing])
    with pytest.raises(ProviderError):
        stack.up(new, [API])
    emulator.emulator.faults.clear()
    watch = watching(monkeypatch, emulator, [API], {"old": old_ca, "new": new_ca})

    next_run()  # the rollback: the old PEM again
    back_inputs = checked(certs, new, old_inputs)
    assert certs.diff(new["certificate_id"], new, back_inputs).replaces
    back = dict(certs.create(back_inputs).outs or {})
    assert back["certificate_id"] == old["certificate_id"] and back["revision"] != old["revision"]
    stack.up(back, [API])
    emulator.clear_requests()
    certs.delete(old["certificate_id"], old)  # the record left pending deletion by the failed run
    assert api_calls(emulator) == []
    certs.delete(new["certificate_id"], new)  # the rotation's record, replaced by the rollback

    assert watch.violations() == [], watch.table()
    assert watch.who_gets_in() == {API: {"old"}}
    assert [cert["id"] for cert in emulator.state()["certificates"]] == [old["certificate_id"]]
    assert (
        hostname_list(emulator, old["certificate_id"]) == [API] and hostname_list(emulator, new["certificate_id"]) == []
    )
    rule = the_rule(emulator)
    assert pinned_issuers(rule["expression"]) == (old["subject_key_identifier"],)
    assert rule["description"] == f"cfmtls: clients of CA {old['certificate_id']} only (corp-hosts)"
