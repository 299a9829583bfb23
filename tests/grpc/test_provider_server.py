"""The real provider server (`python -m pulumi.dynamic`, as the engine starts it) driven over gRPC.

The provider is serialized exactly as the Pulumi SDK does it, and credentials reach it only through
Configure (stack config), never through the environment: the test proves that path and that no token
ends up in the serialized provider or in any answer.
"""

from __future__ import annotations

import base64
from typing import Any

import grpc
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
from tests.support.certs import make_ca
from tests.support.provider_server import ASSOC_URN, CERT_URN, TOKEN, plain, struct
from tests.support.providers import association_inputs, rules_of
from tests.support.zones import ACCOUNT, ZONE

pytestmark = pytest.mark.grpc


def test_serialized_providers_hold_no_state_and_no_token(serialized: dict[str, str]) -> None:
    for blob in serialized.values():
        raw = base64.b64decode(blob)
        assert TOKEN.encode() not in raw
        assert b"cfmtls_provider.resources" in raw  # pickled by reference, not by value


def test_full_lifecycle_over_grpc(server: Any, serialized: dict[str, str], emulator: Any) -> None:
    pem = make_ca("grpc CA").pem
    news = {"certificates": pem, "name": "grpc-ca", "__provider": serialized["certificate"]}

    checked = server.Check(provider_pb2.CheckRequest(urn=CERT_URN, olds=struct({}), news=struct(news)))
    assert list(checked.failures) == []
    inputs = plain(checked.inputs)
    assert inputs["account_id"] == ACCOUNT  # from the stack config passed to Configure

    created = server.Create(provider_pb2.CreateRequest(urn=CERT_URN, properties=checked.inputs))
    outputs = plain(created.properties)
    assert created.id and outputs["certificate_id"] == created.id
    assert outputs["subject_key_identifier"] and outputs["fingerprint_sha256"]

    # Same certificate, other line endings and trailing whitespace: no change.
    crlf = {**inputs, "certificates": pem.replace("\n", "\r\n") + "\n\n"}
    diff = server.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=CERT_URN, olds=created.properties, news=struct(crlf))
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # Another certificate: a replacement.
    other = {**inputs, "certificates": make_ca("other CA").pem}
    diff = server.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=CERT_URN, olds=created.properties, news=struct(other))
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and "certificates" in diff.replaces

    assoc_news = {
        **association_inputs(plain(created.properties), ["a.example.com", "b.example.com"], name="hosts"),
        "__provider": serialized["association"],
    }
    assoc_checked = server.Check(provider_pb2.CheckRequest(urn=ASSOC_URN, olds=struct({}), news=struct(assoc_news)))
    assert list(assoc_checked.failures) == []
    assoc = server.Create(provider_pb2.CreateRequest(urn=ASSOC_URN, properties=assoc_checked.inputs))
    assert assoc.id == f"{ZONE}/{assoc_news['rule_ref']}"
    assert plain(assoc.properties)["rule_id"] == next(iter(rules_of(emulator)))["id"]

    reordered = {**assoc_news, "hostnames": ["b.example.com", "a.example.com"]}
    diff = server.Diff(
        provider_pb2.DiffRequest(id=assoc.id, urn=ASSOC_URN, olds=assoc.properties, news=struct(reordered))
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    grown = {**assoc_news, "hostnames": ["a.example.com", "b.example.com", "c.example.com"]}
    diff = server.Diff(provider_pb2.DiffRequest(id=assoc.id, urn=ASSOC_URN, olds=assoc.properties, news=struct(grown)))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = server.Update(
        provider_pb2.UpdateRequest(id=assoc.id, urn=ASSOC_URN, olds=assoc.properties, news=struct(grown))
    )
    assert sorted(plain(updated.properties)["hostnames"]) == sorted(grown["hostnames"])

    read = server.Read(provider_pb2.ReadRequest(id=assoc.id, urn=ASSOC_URN, properties=updated.properties))
    assert read.id == assoc.id

    server.Delete(provider_pb2.DeleteRequest(id=assoc.id, urn=ASSOC_URN, properties=updated.properties))
    assert emulator.state()["rulesets"] == [] and emulator.state()["associations"] == {}
    gone = server.Read(provider_pb2.ReadRequest(id=assoc.id, urn=ASSOC_URN, properties=updated.properties))
    assert gone.id == ""
    # In the run that uploaded it the stack holds the CA; a later run (a new server) deletes it: see the
    # provider tests. Here the upload stays with the emulator.

    for message in (checked.inputs, created.properties, assoc.properties, updated.properties, read.properties):
        assert TOKEN not in str(message)


def test_bad_certificate_is_a_check_failure_that_names_it_in_its_sentence_not_as_the_property(
    server: Any, serialized: dict[str, str]
) -> None:
    """The engine prints a named property's value next to its failure: a certificates value may hold key material."""
    news = {
        "certificates": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
        "__provider": serialized["certificate"],
    }
    checked = server.Check(provider_pb2.CheckRequest(urn=CERT_URN, olds=struct({}), news=struct(news)))
    [failure] = list(checked.failures)
    assert failure.property == ""
    assert failure.reason.startswith("certificates: the PEM block is a public key")


def test_unknown_values_pass_check(server: Any, serialized: dict[str, str]) -> None:
    unknown_ca = {"certificate_id": rpc.UNKNOWN, "subject_key_identifier": rpc.UNKNOWN, "revision": rpc.UNKNOWN}
    news = {**association_inputs(unknown_ca, ["a.example.com"]), "__provider": serialized["association"]}
    checked = server.Check(provider_pb2.CheckRequest(urn=ASSOC_URN, olds=struct({}), news=struct(news)))
    assert list(checked.failures) == []


def test_api_failure_reaches_the_user_as_a_clear_message_without_the_token(
    server: Any, serialized: dict[str, str]
) -> None:
    missing = {"certificate_id": "does-not-exist", "subject_key_identifier": "AB" * 20, "revision": "r1"}
    news = {**association_inputs(missing, ["a.example.com"]), "__provider": serialized["association"]}
    with pytest.raises(grpc.RpcError) as failure:
        server.Create(provider_pb2.CreateRequest(urn=ASSOC_URN, properties=struct(news)))
    details = failure.value.details()
    assert "does-not-exist" in details
    assert TOKEN not in details
    # A ProviderError reaches the user as its message alone: no stack, no gRPC wrapper (pulumi<3.260 gave both).
    assert not details.startswith("Traceback")
    assert "Exception calling application" not in details
    assert details.startswith("Associating")


def test_a_rule_of_0_1_is_deleted_through_the_provider_its_record_names(
    server: Any, serialized: dict[str, str], emulator: Any
) -> None:
    """A stack deployed with 0.1 holds ClientCertificateRule records; the engine deletes them at the upgrade."""
    body = {
        "name": "default",
        "description": CUSTOM_RULES_ENTRYPOINT_DESCRIPTION,
        "kind": "zone",
        "phase": "http_request_firewall_custom",
        "rules": [{"ref": "cfmtls_require_0123", "action": "block", "expression": 'http.host eq "a.example.com"'}],
    }
    with emulator.client(token=TOKEN) as api:
        made = api.post(f"/zones/{ZONE}/rulesets", json=body).json()["result"]
    record = {
        "zone_id": ZONE,
        "ref": "cfmtls_require_0123",
        "ruleset_id": made["id"],
        "rule_id": made["rules"][0]["id"],
        "__provider": serialized["rule of 0.1"],
    }
    urn = "urn:pulumi:test::proj::pulumi-python:dynamic/cfmtls:ClientCertificateRule::require"
    server.Delete(provider_pb2.DeleteRequest(id=f"{ZONE}/{record['rule_id']}", urn=urn, properties=struct(record)))
    assert emulator.state()["rulesets"] == []
