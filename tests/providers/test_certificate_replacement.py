"""What a replacement of an MTLSCertificate tells the rest of its run (``resources/_this_run.py``): every create
makes a new revision (a HostnameAssociation given the CA plans again), an upload of this resource is taken back even
in use (a killed run, a rollback), a record whose upload another record of the stack holds is deleted without an API
call, and a CA replaced delete-first takes its associations with it."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.edge_watch import watching
from tests.support.providers import (
    ACCOUNT,
    api_calls,
    association_inputs,
    checked,
    create_association,
    hostname_list,
    next_run,
    rules_of,
    upload,
)

TAG = "cfmtls-0123456789ab"
HOSTS = ["api.example.com"]


def declared(pem: str, **extra: Any) -> dict[str, Any]:
    """The inputs of ``MTLSCertificate("corp-ca", certificates=pem, name="corp-ca")`` (its ownership tag: TAG)."""
    return {"certificates": pem, "name": "corp-ca", "account_id": ACCOUNT, "ownership_tag": TAG, **extra}


def test_every_create_makes_a_new_revision_a_take_back_of_the_same_upload_included(
    certs: MTLSCertificateProvider, emulator: EmulatorServer
) -> None:
    pem = make_ca("corp").pem
    first = upload(certs, make_ca("other"), "other")
    again = dict(certs.create(checked(certs, {}, declared(pem))).outs or {})
    next_run()
    taken_back = dict(certs.create(checked(certs, {}, declared(pem))).outs or {})
    assert taken_back["certificate_id"] == again["certificate_id"]
    assert len({first["revision"], again["revision"], taken_back["revision"]}) == 3
    assert all(len(outs["revision"]) == 16 for outs in (first, again, taken_back))


def test_an_upload_of_this_resource_is_taken_back_even_while_a_list_uses_it(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """A run killed after the upload and the association (the stack recorded neither), or a rollback to the
    previous PEM: Cloudflare refuses the same certificate twice (1471), and the upload is this resource's."""
    inputs = checked(certs, {}, declared(make_ca("corp").pem))
    first = dict(certs.create(inputs).outs or {})
    create_association(assocs, first, HOSTS)
    next_run()
    emulator.clear_requests()
    again = certs.create(inputs)
    assert again.id == first["certificate_id"]
    assert api_calls(emulator) == ["POST ca", "GET ca"]  # refused as a duplicate, then found: nothing deleted
    assert len(emulator.state()["certificates"]) == 1 and hostname_list(emulator, again.id) == HOSTS


def test_deleting_a_record_whose_upload_this_run_took_back_makes_no_api_call(
    certs: MTLSCertificateProvider, emulator: EmulatorServer
) -> None:
    """A rollback: the old record, pending deletion since the failed rotation, holds the upload the rollback's
    create took back. The engine deletes it at the end of the run: only the record goes."""
    inputs = checked(certs, {}, declared(make_ca("corp").pem))
    old = dict(certs.create(inputs).outs or {})
    next_run()
    certs.create(inputs)
    emulator.clear_requests()
    certs.delete(old["certificate_id"], old)
    assert api_calls(emulator) == []
    assert [cert["id"] for cert in emulator.state()["certificates"]] == [old["certificate_id"]]


def test_deleting_a_record_whose_upload_a_kept_record_holds_makes_no_api_call(
    certs: MTLSCertificateProvider, emulator: EmulatorServer
) -> None:
    """The diff of a record that stays (no replacement) tells the run its upload stays."""
    inputs = checked(certs, {}, declared(make_ca("corp").pem))
    outs = dict(certs.create(inputs).outs or {})
    next_run()
    assert not certs.diff(outs["certificate_id"], outs, inputs).replaces
    emulator.clear_requests()
    certs.delete(outs["certificate_id"], outs)
    assert api_calls(emulator) == [] and len(emulator.state()["certificates"]) == 1


def test_a_replaced_record_is_deleted_for_real(certs: MTLSCertificateProvider, emulator: EmulatorServer) -> None:
    old = dict(certs.create(checked(certs, {}, declared(make_ca("old").pem))).outs or {})
    next_run()
    news = checked(certs, old, declared(make_ca("new").pem))
    assert certs.diff(old["certificate_id"], old, news).replaces == ["certificates"]
    new = certs.create(news)
    certs.delete(old["certificate_id"], old)
    assert [cert["id"] for cert in emulator.state()["certificates"]] == [new.id]


def association_diff(assocs: HostnameAssociationProvider, ca: dict[str, Any]) -> tuple[bool, list[str], bool]:
    """The diff of an association given the CA of outputs ``ca``, at the preview of the CA's replacement: the new
    CA's id, SKI and revision are not known yet."""
    olds = {**association_inputs(ca, HOSTS), "pin_issuer": True, "action": "block", "rule_id": "u" * 32}
    unknown = dict.fromkeys(("certificate_id", "subject_key_identifier", "revision"), UNKNOWN)
    diff = assocs.diff("id", olds, checked(assocs, olds, association_inputs(unknown, HOSTS)))
    return bool(diff.changes), list(diff.replaces or []), bool(diff.delete_before_replace)


@pytest.mark.parametrize(
    "replacement",
    [
        {"name": "corp-ca-2024", "on_rename": "delete_first"},  # same PEM, new name: the user's explicit choice
        {"certificates": "new", "delete_before_replace": True},  # opts=ResourceOptions(delete_before_replace=True)
    ],
    ids=["on_rename delete_first", "delete_before_replace option"],
)
def test_a_ca_replaced_delete_first_makes_its_associations_replaced_delete_first_too(
    replacement: dict[str, Any], assocs: HostnameAssociationProvider
) -> None:
    """Cloudflare refuses to delete a CA still associated: its associations must go first, then come back."""
    certs = MTLSCertificateProvider()
    pem = make_ca("corp").pem
    olds = checked(certs, {}, declared(pem))
    olds.update(certificate_id="c" * 32, private_key_sha256="", revision="r1")
    if replacement.get("certificates") == "new":
        replacement = {**replacement, "certificates": make_ca("next").pem}
    news = certs.check(olds, declared(pem, **replacement)).inputs
    diff = certs.diff(olds["certificate_id"], olds, news)
    assert diff.replaces and (diff.delete_before_replace or news.get("delete_before_replace"))
    assert association_diff(assocs, olds) == (True, ["mtls_certificate_id"], True)


def test_a_ca_replaced_create_first_rotates_its_associations_in_place(assocs: HostnameAssociationProvider) -> None:
    certs = MTLSCertificateProvider()
    olds = checked(certs, {}, declared(make_ca("corp").pem))
    olds.update(certificate_id="c" * 32, private_key_sha256="", revision="r1")
    news = checked(certs, olds, declared(make_ca("next").pem))
    diff = certs.diff(olds["certificate_id"], olds, news)
    assert diff.replaces == ["certificates"] and not diff.delete_before_replace
    assert association_diff(assocs, olds) == (True, [], False)


def test_a_delete_first_replacement_keeps_the_hostnames_closed_and_ends_with_the_new_upload_required(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run as the engine makes it: the association's list goes (its rule stays), the CA goes, the CA is
    uploaded again under its new name, the association comes back and takes its rule back by its ref. The outage
    the user opted into is closed: the CA's own clients are refused for a while, a client without one always."""
    corp = make_ca("corp")
    old = dict(certs.create(checked(certs, {}, declared(corp.pem))).outs or {})
    association_id, association = create_association(assocs, old, HOSTS)
    next_run()
    watch = watching(monkeypatch, emulator, HOSTS, {"corp": corp})
    news = checked(certs, old, declared(corp.pem, name="corp-ca-2024", on_rename="delete_first"))
    assert certs.diff(old["certificate_id"], old, news).delete_before_replace
    assocs.delete(association_id, association)
    certs.delete(old["certificate_id"], old)
    new = dict(certs.create(news).outs or {})
    _, outs = create_association(assocs, new, HOSTS)

    assert all(
        "none" not in admitted for moment in watch.moments for admitted in watch.who_gets_in(moment.seen).values()
    )
    assert watch.who_gets_in() == watch.everywhere("corp")
    [held] = emulator.state()["certificates"]
    assert held["name"] == f"corp-ca-2024 [{TAG}]" and held["id"] == new["certificate_id"] != old["certificate_id"]
    assert hostname_list(emulator, new["certificate_id"]) == HOSTS and outs["mtls_certificate_id"] == held["id"]
    assert [rule["id"] for rule in rules_of(emulator)] == [association["rule_id"]] == [outs["rule_id"]]
