"""HostnameAssociation's create: associate the hostnames, then require the CA's clients there; resume what an
interrupted run left; refuse, unchanged, what belongs to someone else."""

from __future__ import annotations

from typing import Any

import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import pinned_issuers
from tests.support.certs import make_ca
from tests.support.edge_watch import EdgeWatch, watching
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
    put_list_by_hand,
    rules_of,
    upload,
)

HOSTS = ["api.example.com", "admin.example.com"]


def two_cas_watched(
    certs: MTLSCertificateProvider, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], EdgeWatch]:
    """CAs "corp" (its outputs returned) and "other" uploaded; the edge watched for clients of each on HOSTS."""
    corp, other = make_ca("corp"), make_ca("other")
    ca = upload(certs, corp)
    upload(certs, other, "other")
    return ca, watching(monkeypatch, emulator, HOSTS, {"corp": corp, "other": other})


def test_a_new_association_associates_its_hostnames_before_its_rule_requires_them(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, watch = two_cas_watched(certs, emulator, monkeypatch)
    emulator.clear_requests()
    association_id, outs = create_association(assocs, ca, HOSTS)

    # The check reads the zone (once per run, before anything is written); then the create. A CA uploaded
    # by this run: nobody else knows its id yet, so there is no list to read first.
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PUT list", "POST entrypoint"]
    associated, required = (moment.seen for moment in watch.moments)
    assert watch.who_gets_in(associated) == watch.everywhere("corp", "other", "none")  # not required yet
    assert watch.who_gets_in(required) == watch.everywhere("corp")
    assert watch.violations() == []

    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)
    [rule] = rules_of(emulator)
    assert association_id == f"{ZONE}/{outs['rule_ref']}" and rule["ref"] == outs["rule_ref"]
    held = entrypoint(emulator) or {}
    assert (outs["ruleset_id"], outs["rule_id"], outs["expression"]) == (held["id"], rule["id"], rule["expression"])
    assert rule["description"] == f"cfmtls: clients of CA {ca['certificate_id']} only (corp-hosts)"
    assert pinned_issuers(rule["expression"]) == (ca["subject_key_identifier"],)


def test_with_a_ca_of_an_earlier_run_the_list_is_read_before_it_is_written(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    next_run()
    emulator.clear_requests()
    create_association(assocs, ca, HOSTS)
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "GET list", "PUT list", "POST entrypoint"]
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)


def test_a_list_made_outside_the_stack_is_refused_unchanged_unless_adopted(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    next_run()
    put_list_by_hand(emulator, ca["certificate_id"], ["by-hand.example.com"])
    emulator.clear_requests()
    with pytest.raises(ProviderError) as refused:
        create_association(assocs, ca, HOSTS)
    assert str(refused.value).startswith(
        f"Zone {ZONE} already associates ['by-hand.example.com'] with CA {ca['certificate_id']}, and this "
        "HostnameAssociation would replace that whole list"
    )
    assert "set adopt_existing=True" in str(refused.value) and str(refused.value).endswith("Nothing was changed.")
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "GET list"]
    assert hostname_list(emulator, ca["certificate_id"]) == ["by-hand.example.com"] and rules_of(emulator) == []

    _, outs = create_association(assocs, ca, HOSTS, adopt_existing=True)
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS) and outs["adopt_existing"] is True
    assert [rule["ref"] for rule in rules_of(emulator)] == [outs["rule_ref"]]


def test_a_list_holding_exactly_the_declared_hostnames_is_taken_as_it_is(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    next_run()
    put_list_by_hand(emulator, ca["certificate_id"], list(reversed(HOSTS)))
    emulator.clear_requests()
    create_association(assocs, ca, HOSTS)
    assert api_calls(emulator) == [
        "GET zone",
        "GET entrypoint",
        "GET list",
        "POST entrypoint",
    ]  # no PUT: nothing to change


def test_the_list_of_a_ca_this_run_took_back_is_its_own(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """A run killed after the upload and the association: the next run takes the upload back (its tag says it is
    this resource's) and the list with it, whatever the program now declares."""
    corp = make_ca("corp")
    tag = {"ownership_tag": "cfmtls-0123456789ab"}
    first = upload(certs, corp, **tag)
    create_association(assocs, first, ["old.example.com"])
    next_run()  # the stack recorded neither
    again = upload(certs, corp, **tag)
    assert again["certificate_id"] == first["certificate_id"]
    create_association(assocs, again, HOSTS)
    assert hostname_list(emulator, first["certificate_id"]) == sorted(HOSTS)
    assert len(rules_of(emulator)) == 1


def test_a_rule_left_by_an_interrupted_run_is_resumed_without_a_duplicate(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine lost the create's answer (the CLI was killed): the rule holds this association's ref and its
    journal names the CA, so the list is this association's too, even with other hostnames declared now."""
    corp = make_ca("corp")
    ca = upload(certs, corp)
    _, lost = create_association(assocs, ca, ["old.example.com"])
    next_run()
    watch = watching(monkeypatch, emulator, ["old.example.com", *HOSTS], {"corp": corp})
    emulator.clear_requests()
    _, outs = create_association(assocs, ca, HOSTS)
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "GET list", "PATCH rule", "PUT list", "PATCH rule"]
    [rule] = rules_of(emulator)
    assert rule["id"] == lost["rule_id"] == outs["rule_id"]
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)
    assert watch.violations() == [], watch.table()


def test_a_rule_whose_creation_answer_was_lost_is_found_again_not_made_twice(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    emulator.add_fault("POST:*/rulesets:commit_then_status=502")
    emulator.clear_requests()
    _, outs = create_association(assocs, ca, HOSTS)
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PUT list", "POST entrypoint", "GET entrypoint"]
    assert [rule["id"] for rule in rules_of(emulator)] == [outs["rule_id"]]
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)


@pytest.mark.parametrize("adopt_existing", [False, True])
def test_a_rule_holding_its_ref_that_this_package_did_not_write_is_refused_unchanged(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer, adopt_existing: bool
) -> None:
    ca = upload(certs, make_ca("corp"))
    ref = association_inputs(ca, HOSTS)["rule_ref"]
    add_entrypoint_by_hand(emulator, {"ref": ref, "action": "log", "expression": "true", "description": "mine"})
    before = emulator.state()
    emulator.clear_requests()
    with pytest.raises(ProviderError) as refused:
        create_association(assocs, ca, HOSTS, adopt_existing=adopt_existing)
    [rule] = rules_of(emulator)
    assert str(refused.value) == (
        f"Zone {ZONE} already has a rule with ref {ref!r} (rule {rule['id']}, log 'true') that this package did not "
        "write. Two resources must never share one rule: rename this HostnameAssociation (its rule's ref comes from "
        "its project, stack and name), or delete that rule. Nothing was changed."
    )
    assert api_calls(emulator) == ["GET zone", "GET entrypoint"] and emulator.state() == before


def test_the_rule_joins_an_entrypoint_made_outside_the_stack_after_its_rules(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    add_entrypoint_by_hand(emulator, {"ref": "theirs", "action": "log", "expression": "true"})
    ca = upload(certs, make_ca("corp"))
    emulator.clear_requests()
    _, outs = create_association(assocs, ca, HOSTS)
    assert api_calls(emulator) == ["GET zone", "GET entrypoint", "PUT list", "POST rule"]
    assert [(rule["ref"], rule["expression"]) for rule in rules_of(emulator)] == [
        ("theirs", "true"),
        (outs["rule_ref"], outs["expression"]),
    ]


def test_the_rule_joins_an_entrypoint_another_writer_made_since_it_looked(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two associations of one zone created in parallel both see no entrypoint; the second POST is refused."""
    ca = upload(certs, make_ca("corp"))
    client = assocs.client()
    real_get = client.get_custom_rules_entrypoint
    looks: list[str] = []

    def first_look_sees_none(zone_id: str) -> Any:
        looks.append(zone_id)
        return None if len(looks) == 1 else real_get(zone_id)

    monkeypatch.setattr(client, "get_custom_rules_entrypoint", first_look_sees_none)
    add_entrypoint_by_hand(emulator, {"ref": "parallel", "action": "log", "expression": "true"})
    _, outs = create_association(assocs, ca, HOSTS)
    assert [rule["ref"] for rule in rules_of(emulator)] == ["parallel", outs["rule_ref"]]
    assert outs["ruleset_id"] == (entrypoint(emulator) or {})["id"]


def test_an_unpinned_association_admits_any_certificate_cloudflare_verifies_for_its_hostnames(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, watch = two_cas_watched(certs, emulator, monkeypatch)
    _, outs = create_association(assocs, ca, HOSTS, pin_issuer=False)
    assert outs["pin_issuer"] is False and outs["issuer_ski"] == ca["subject_key_identifier"]
    assert pinned_issuers(outs["expression"]) == ()
    assert watch.who_gets_in() == watch.everywhere("corp")  # the other CA is not associated: not verified


@pytest.mark.parametrize(("action", "stopped"), [("log", False), ("managed_challenge", True)])
def test_the_action_decides_what_happens_to_a_request_without_a_certificate(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    stopped: bool,
) -> None:
    corp = make_ca("corp")
    ca = upload(certs, corp)
    watch = watching(monkeypatch, emulator, HOSTS, {"corp": corp})
    _, outs = create_association(assocs, ca, HOSTS, action=action)
    [rule] = rules_of(emulator)
    assert rule["action"] == outs["action"] == action
    expected = {"corp"} if stopped else {"corp", "none"}
    assert watch.who_gets_in() == watch.everywhere(*expected)


def test_a_ca_that_is_not_uploaded_is_named_and_no_rule_is_written(
    assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    inputs = association_inputs(
        {"certificate_id": missing, "subject_key_identifier": "AB" * 20, "revision": ""}, ["a.example.com"]
    )
    with pytest.raises(ProviderError) as refused:
        assocs.create(checked(assocs, {}, inputs))
    assert f"Check that zone {ZONE} exists and that CA certificate {missing} is uploaded" in str(refused.value)
    assert "write 1 of 2" in str(refused.value)
    assert rules_of(emulator) == [] and emulator.state()["associations"] == {}
