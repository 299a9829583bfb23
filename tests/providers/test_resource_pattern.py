"""The one pattern the resources share: state keys in one TypedDict, API errors given context in one place,
one rule for what ``read`` returns, and the delete's waits on an injected clock."""

from __future__ import annotations

import ast
import pickle
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest

from cfmtls_provider.cloudflare.errors import InternalServerError, NotFoundError
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources import _errors
from cfmtls_provider.resources._errors import ProviderError, api_call
from cfmtls_provider.resources._state import state_keys
from cfmtls_provider.resources.hostname_association import (
    HostnameAssociation,
    HostnameAssociationProvider,
    HostnameAssociationState,
)
from cfmtls_provider.resources.mtls_certificate import (
    MTLSCertificate,
    MTLSCertificateProvider,
    MTLSCertificateState,
)
from tests.support.clock import FakeClock
from tests.support.providers import (
    ZONE,
    association_inputs,
    configured,
    create_association,
    create_ca,
    next_run,
)

RESOURCES_DIR = Path(_errors.__file__).parent


def declared_outputs(resource: type[pulumi.Resource]) -> set[str]:
    """The ``pulumi.Output`` attributes the resource class itself declares."""
    annotations = vars(resource).get("__annotations__", {})
    return {name for name, annotation in annotations.items() if str(annotation).startswith("pulumi.Output[")}


@pytest.mark.parametrize(
    ("resource", "state"),
    [
        (MTLSCertificate, MTLSCertificateState),
        (HostnameAssociation, HostnameAssociationState),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_declared_outputs_are_the_state_keys(resource: type[pulumi.Resource], state: type) -> None:
    assert declared_outputs(resource) == set(state_keys(state))


def test_create_update_and_read_record_exactly_the_state_keys(emulator: EmulatorServer) -> None:
    certs = configured(MTLSCertificateProvider(), emulator)
    assocs = configured(HostnameAssociationProvider(), emulator)
    certificate_id, ca_outs = create_ca(certs)
    assert set(ca_outs) == set(state_keys(MTLSCertificateState))
    assert set(certs.read(certificate_id, ca_outs).outs or {}) == set(state_keys(MTLSCertificateState))

    association_id, outs = create_association(assocs, ca_outs, ["a.example.com"])
    news = assocs.check(outs, association_inputs(ca_outs, ["b.example.com"])).inputs
    updated = assocs.update(association_id, outs, news).outs
    read = assocs.read(association_id, outs).outs
    for recorded in (outs, updated, read):
        assert set(recorded or {}) == set(state_keys(HostnameAssociationState))


class TestReadRule:
    def test_a_certificate_keeps_its_recorded_inputs(self, emulator: EmulatorServer) -> None:
        """No input of an upload can change at Cloudflare, and read cannot rebuild private_key: inputs=None."""
        certs = configured(MTLSCertificateProvider(), emulator)
        certificate_id, outs = create_ca(certs)
        read = certs.read(certificate_id, outs)
        assert read.id == certificate_id and read.inputs is None

    def test_an_association_records_its_live_list_and_rule_and_leaves_an_unset_flag_out(
        self, emulator: EmulatorServer
    ) -> None:
        certs = configured(MTLSCertificateProvider(), emulator)
        assocs = configured(HostnameAssociationProvider(), emulator)
        certificate_id, ca = create_ca(certs)
        association_id, outs = create_association(assocs, ca, ["a.example.com"], name="assoc")
        read = assocs.read(association_id, outs)
        # The live list and action, and the recorded inputs the next diff needs (the issuer, the CA's revision, the
        # rule's ref, which a rename must keep); adopt_existing, off, is left out.
        assert read.inputs == {
            "zone_id": ZONE,
            "mtls_certificate_id": certificate_id,
            "hostnames": ["a.example.com"],
            "declared_by": "assoc",
            "action": "block",
            "issuer_ski": ca["subject_key_identifier"],
            "pin_issuer": True,
            "certificate_revision": ca["revision"],
            "rule_ref": outs["rule_ref"],
        }

    def test_a_resource_gone_at_cloudflare_leaves_the_stack(self, emulator: EmulatorServer) -> None:
        certs = configured(MTLSCertificateProvider(), emulator)
        assocs = configured(HostnameAssociationProvider(), emulator)
        _, ca = create_ca(certs)
        association_id, outs = create_association(assocs, ca, ["a.example.com"])
        assocs.delete(association_id, outs)
        gone = assocs.read(association_id, outs)
        assert (gone.id, gone.outs, gone.inputs) == (None, {}, None)


class TestApiCall:
    def test_a_cloudflare_error_becomes_a_sentence_chained_to_it(self) -> None:
        error = InternalServerError("GET /x failed: HTTP 502", operation="GET /x", status_code=502)
        with pytest.raises(ProviderError) as raised, api_call("Reading CA certificate c1"):
            raise error
        assert str(raised.value) == _errors.explain(error, "Reading CA certificate c1")
        assert raised.value.__cause__ is error

    def test_a_not_found_gets_its_advice(self) -> None:
        error = NotFoundError("PUT /x failed: HTTP 404", operation="PUT /x", status_code=404)
        with pytest.raises(ProviderError) as raised, api_call("Associating", if_not_found="Check the zone."):
            raise error
        assert str(raised.value) == _errors.explain(error, "Associating") + " Check the zone."

    def test_other_errors_pass_unchanged(self) -> None:
        with pytest.raises(ProviderError, match=r"^already said$"), api_call("Doing"):
            raise ProviderError("already said")
        with pytest.raises(KeyError), api_call("Doing"):
            raise KeyError("bug")

    def test_no_resource_module_converts_cloudflare_errors_by_hand(self) -> None:
        """explain() is called in _errors.py only: every conversion goes through api_call."""
        for module in RESOURCES_DIR.glob("*.py"):
            calls = [
                node
                for node in ast.walk(ast.parse(module.read_text()))
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "explain"
            ]
            assert module.name == "_errors.py" or not calls, module.name

    def test_no_resource_module_reads_status_codes(self) -> None:
        """Errors are told apart by class (cloudflare/errors.py maps statuses and codes to classes)."""
        for module in RESOURCES_DIR.glob("*.py"):
            assert "status_code" not in module.read_text(), module.name


class TestDeleteWaitsOnTheInjectedClock:
    def provider(self, emulator: EmulatorServer, clock: FakeClock, wait: str) -> MTLSCertificateProvider:
        provider = MTLSCertificateProvider(clock=clock, sleep=clock.sleep)
        return configured(provider, emulator, **{"cfmtls:deleteWaitSeconds": wait})

    def test_in_use_refusals_are_retried_every_two_seconds(self, emulator: EmulatorServer) -> None:
        clock = FakeClock()
        certs = self.provider(emulator, clock, "10")
        certificate_id, outs = create_ca(certs)
        next_run()
        emulator.add_fault("DELETE:*/mtls_certificates/*:status=400:code=1234:message=certificate is in use:count=2")
        certs.delete(certificate_id, outs)
        assert clock.waits == [2.0, 2.0]
        assert emulator.state()["certificates"] == []

    def test_it_gives_up_at_the_deadline_and_deletes_nothing(self, emulator: EmulatorServer) -> None:
        clock = FakeClock()
        certs = self.provider(emulator, clock, "5")
        certificate_id, outs = create_ca(certs)
        next_run()
        emulator.add_fault("DELETE:*/mtls_certificates/*:status=400:code=1234:message=certificate is in use:count=100")
        with pytest.raises(ProviderError, match=r"still refuses it as in use after 5s"):
            certs.delete(certificate_id, outs)
        assert clock.waits == [2.0, 2.0, 1.0]
        assert len(emulator.state()["certificates"]) == 1


def test_an_unpickled_certificate_provider_waits_in_real_time() -> None:
    """The engine unpickles the provider from the state (its own, trusted): the fake clock never travels."""
    provider = pickle.loads(pickle.dumps(MTLSCertificateProvider(clock=FakeClock())))  # noqa: S301
    clock: Any = provider._clock
    assert (clock, provider._sleep) == (time.monotonic, time.sleep)
