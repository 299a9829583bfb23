"""The one pattern every resource shares (MTLSCertificate, HostnameAssociation): its ``XArgs`` and its state
TypedDict, ``args=`` or keywords alike, an ``Example Usage`` in its docstring, no resource module importing another,
API errors given context in one place, one rule for what ``read`` returns, and the delete's waits on an injected
clock. The same handling of unknown values (``differs()``) is proven on both in test_preview_unknowns.py."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest

from cfmtls_provider.cloudflare.errors import InternalServerError, NotFoundError
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources import _errors, hostname_association, mtls_certificate
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
from tests.support.certs import make_ca
from tests.support.clock import FakeClock
from tests.support.providers import (
    ZONE,
    association_inputs,
    configured,
    create_association,
    create_ca,
    next_run,
    put_list_by_hand,
)
from tests.support.readme import section

RESOURCES_DIR = Path(_errors.__file__).parent
#: Every resource of the public surface, by its module.
RESOURCE_MODULES = {MTLSCertificate: mtls_certificate, HostnameAssociation: hostname_association}
#: The modules that define a resource (the 0.1 resources' providers and sentences are in _legacy.py), and the two
#: modules whose paths the engine needs for records of 0.1 (they only point at _legacy.py).
DEFINING = {"mtls_certificate", "hostname_association", "_legacy"}
ENGINE_PATHS = {"client_certificate_rule", "issuer_handover"}


@pytest.mark.parametrize("resource", list(RESOURCE_MODULES), ids=lambda resource: resource.__name__)
def test_every_resource_has_its_args_its_state_and_an_example(resource: type[pulumi.Resource]) -> None:
    module = RESOURCE_MODULES[resource]
    name = resource.__name__
    args = getattr(module, f"{name}Args")
    state = getattr(module, f"{name}State")
    assert dataclasses.is_dataclass(args) and hasattr(state, "__annotations__") and state.__total__
    assert {f"{name}Args", f"{name}State", f"{name}Provider", name} <= set(module.__all__)
    keywords = [
        parameter.name
        for parameter in inspect.signature(resource.__init__).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert keywords == [field.name for field in dataclasses.fields(args)], "keywords are the Args, in their order"
    assert "Example Usage::" in (resource.__doc__ or "")
    assert f"args={name}Args(...)" in " ".join((resource.__doc__ or "").split())


def test_no_resource_module_imports_another() -> None:
    for module in RESOURCES_DIR.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported |= {node.module or "", *(alias.name for alias in node.names if not node.module)}
        resource_imports = imported & (DEFINING | ENGINE_PATHS)
        if module.stem in ENGINE_PATHS:
            assert resource_imports == {"_legacy"}, module.name
        else:
            assert not resource_imports, f"{module.name} imports {sorted(resource_imports)}"


def test_the_readme_architecture_names_every_module_of_resources_and_both_process_modules() -> None:
    text, _line = section("Architecture")
    modules = {module.name for module in RESOURCES_DIR.glob("*.py") if module.name != "__init__.py"}
    assert {name for name in modules if name not in text} == set()
    assert "provider_process.py" in text and "program_process.py" in text and "a third resource" in text


#: A program that declares each resource with keywords and with ``args=`` (Pulumi's mocks stand in for the engine),
#: and prints what each registered, and whether the pickler is as it was before (sdk_pickler_restored).
BOTH_WAYS = """
import json, pickle, sys
import pulumi
from cfmtls_provider import HostnameAssociation, HostnameAssociationArgs, MTLSCertificate, MTLSCertificateArgs

class Recorder(pulumi.runtime.Mocks):
    registered = []
    def new_resource(self, args):
        self.registered.append([args.typ, args.name, {k: v for k, v in args.inputs.items() if k != "__provider"}])
        return [args.name + "-id", dict(args.inputs)]
    def call(self, args):
        return {}

pulumi.runtime.set_mocks(Recorder(), preview=False)
pem, zone = sys.argv[1], sys.argv[2]
pickler = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict

@pulumi.runtime.test
def declare():
    ca = MTLSCertificate("ca", certificates=pem, name="corp", on_rename="record_only")
    same_ca = MTLSCertificate("ca", MTLSCertificateArgs(certificates=pem, name="corp", on_rename="record_only"))
    hosts = HostnameAssociation("hosts", zone_id=zone, hostnames=["a.example.com"], certificate=ca, action="log")
    same_hosts = HostnameAssociation(
        "hosts", HostnameAssociationArgs(zone_id=zone, hostnames=["a.example.com"], certificate=ca, action="log")
    )
    return pulumi.Output.all(ca.id, same_ca.id, hosts.id, same_hosts.id)

declare()
print(json.dumps(Recorder.registered))
print(json.dumps((pickle._Pickler._batch_setitems, pickle._Pickler.save_dict) == pickler))
"""


def test_args_or_keywords_register_the_same_inputs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BOTH_WAYS, make_ca("both ways").pem, ZONE], capture_output=True, text=True, check=True
    )
    *_, registered_line, pickler_as_found = done.stdout.splitlines()
    registered = json.loads(registered_line)
    assert json.loads(pickler_as_found), "the constructors leave pickle as they found it (sdk_pickler_restored)"
    by_type: dict[str, list[Any]] = {}
    for type_, _name, inputs in registered:
        by_type.setdefault(type_, []).append(inputs)
    certificates, associations = (
        by_type["pulumi-python:dynamic/cfmtls:MTLSCertificate"],
        by_type["pulumi-python:dynamic/cfmtls:HostnameAssociation"],
    )
    assert certificates[0] == certificates[1] and certificates[0]["on_rename"] == "record_only"
    assert associations[0] == associations[1] and associations[0]["action"] == "log"


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

    def test_an_association_that_did_not_drift_keeps_its_recorded_inputs(self, emulator: EmulatorServer) -> None:
        """inputs=None: any other inputs would differ from the next check's, and the engine would then write its
        whole state after each resource of a no-op ``pulumi up`` that follows a refresh (quadratic)."""
        certs = configured(MTLSCertificateProvider(), emulator)
        assocs = configured(HostnameAssociationProvider(), emulator)
        _, ca = create_ca(certs)
        association_id, outs = create_association(assocs, ca, ["a.example.com"], name="assoc")
        read = assocs.read(association_id, {**outs, "__provider": "pickled"})
        assert read.id == association_id and read.outs == outs and read.inputs is None

    def test_an_association_that_drifted_records_its_live_list_and_rule_as_its_inputs(
        self, emulator: EmulatorServer
    ) -> None:
        certs = configured(MTLSCertificateProvider(), emulator)
        assocs = configured(HostnameAssociationProvider(), emulator)
        certificate_id, ca = create_ca(certs)
        association_id, outs = create_association(assocs, ca, ["a.example.com"], name="assoc")
        put_list_by_hand(emulator, certificate_id, ["a.example.com", "b.example.com"])
        read = assocs.read(association_id, outs)
        # The live list, action and expression, and the recorded inputs the next diff needs (the issuer, the CA's
        # revision, the rule's ref, which a rename must keep); adopt_existing as the check records it.
        assert read.inputs == {
            "zone_id": ZONE,
            "mtls_certificate_id": certificate_id,
            "hostnames": ["a.example.com", "b.example.com"],
            "declared_by": "assoc",
            "adopt_existing": False,
            "action": "block",
            "issuer_ski": ca["subject_key_identifier"],
            "pin_issuer": True,
            "certificate_revision": ca["revision"],
            "rule_ref": outs["rule_ref"],
            "expression": outs["expression"],
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
