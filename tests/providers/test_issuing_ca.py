"""The SKI an association's rule pins is the one of the CA that issues client certificates: the certificate of the bundle
that issued no other certificate of it, whatever the order of the bundle (issue 17, point 2)."""

from __future__ import annotations

import pytest
from cryptography import x509

from cfmtls_provider.certificates import CertificateError, parse_ca_bundle
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import CA, make_ca
from tests.support.edge_watch import watching
from tests.support.providers import configured, create_association


def ski(made: CA) -> str:
    return made.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex().upper()


def chain(*, root_first: bool) -> tuple[str, CA, CA]:
    """A root and the intermediate it issued as one PEM bundle in either order, and the two CAs."""
    root = make_ca("cfmtls chain root")
    intermediate = root.issue_ca("cfmtls chain intermediate")
    return (root.pem + intermediate.pem if root_first else intermediate.pem + root.pem), root, intermediate


@pytest.mark.parametrize("root_first", [True, False])
def test_the_issuing_ca_is_the_end_of_the_chain_in_either_order(root_first: bool) -> None:
    pem, _root, intermediate = chain(root_first=root_first)
    bundle = parse_ca_bundle(pem)
    assert bundle.issuing_ca.subject == "CN=cfmtls chain intermediate"
    assert bundle.issuing_ca.subject_key_identifier == ski(intermediate)


def test_a_single_ca_issues_itself() -> None:
    made = make_ca()
    assert parse_ca_bundle(made.pem).issuing_ca.subject_key_identifier == ski(made)


def test_two_unrelated_cas_in_one_bundle_are_refused_as_ambiguous() -> None:
    with pytest.raises(CertificateError) as raised:
        parse_ca_bundle(make_ca("first CA").pem + make_ca("second CA").pem)
    assert str(raised.value) == (
        "certificates: the bundle holds 2 certificates that are not one chain: 2 of them issued no other "
        "certificate of the bundle (CN=first CA; CN=second CA), so no single CA can be named as the issuer of "
        "your client certificates (subject_key_identifier, which rules pin with issuer_ski). Upload one CA, or "
        "one chain (the CA that issues client certificates and the CAs above it), per MTLSCertificate."
    )


def test_a_root_with_two_intermediates_is_ambiguous_too() -> None:
    root = make_ca("root")
    pem = root.pem + root.issue_ca("left").pem + root.issue_ca("right").pem
    with pytest.raises(CertificateError, match="2 of them issued no other certificate of the bundle"):
        parse_ca_bundle(pem)


def test_the_provider_exports_the_issuing_cas_ski_for_a_root_first_bundle(emulator: EmulatorServer) -> None:
    pem, _root, intermediate = chain(root_first=True)
    provider = configured(MTLSCertificateProvider(), emulator)
    inputs = provider.check({}, {"certificates": pem, "name": "chain"}).inputs
    outputs = provider.create(inputs).outs
    assert outputs is not None and outputs["subject_key_identifier"] == ski(intermediate)


def test_a_stack_that_pinned_the_root_is_corrected_by_an_in_place_update(emulator: EmulatorServer) -> None:
    """An older version exported the first certificate's SKI: the next `up` updates it without any API call."""
    pem, root, intermediate = chain(root_first=True)
    provider = configured(MTLSCertificateProvider(), emulator)
    inputs = provider.check({}, {"certificates": pem, "name": "chain"}).inputs
    created = provider.create(inputs)
    assert created.outs is not None
    old_outputs = {**created.outs, "subject_key_identifier": ski(root)}
    diff = provider.diff(created.id, old_outputs, inputs)
    assert diff.changes and not diff.replaces
    emulator.clear_requests()
    updated = provider.update(created.id, old_outputs, inputs)
    assert updated.outs is not None and updated.outs["subject_key_identifier"] == ski(intermediate)
    assert emulator.requests() == []
    assert not provider.diff(created.id, updated.outs, inputs).changes


@pytest.mark.parametrize("root_first", [True, False])
def test_the_preview_shows_the_issuing_cas_ski_that_the_upload_then_records(
    root_first: bool, emulator: EmulatorServer
) -> None:
    pem, _root, intermediate = chain(root_first=root_first)
    provider: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    planned = provider.check({}, {"certificates": pem, "name": "chain"}).inputs
    assert planned["subject_key_identifier"] == ski(intermediate)
    outs = provider.create(planned).outs
    assert outs is not None and outs["subject_key_identifier"] == planned["subject_key_identifier"]


@pytest.mark.parametrize("root_first", [True, False])
def test_an_association_of_a_chain_admits_the_clients_the_intermediate_issues_and_not_the_roots(
    root_first: bool, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem, root, intermediate = chain(root_first=root_first)
    certs = configured(MTLSCertificateProvider(), emulator)
    assocs = configured(HostnameAssociationProvider(), emulator)
    outs = certs.create(certs.check({}, {"certificates": pem, "name": "chain"}).inputs).outs
    assert outs is not None
    watch = watching(monkeypatch, emulator, ["api.example.com"], {"intermediate": intermediate, "root": root})
    create_association(assocs, outs, ["api.example.com"])
    assert watch.who_gets_in() == {"api.example.com": {"intermediate"}}
