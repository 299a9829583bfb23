"""The provider server runs up to 4 calls at once on one provider instance: its settings and client are shared.

Many threads call ONE provider instance of each kind against the emulator at the same time: every call succeeds,
exactly one HTTP client is built per instance, and nothing is created twice.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfmtls_provider.cloudflare import client as client_module
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ACCOUNT, association_inputs, checked, configured

OTHER_ACCOUNT = "abcdef0123456789abcdef0123456789"
THREADS = 8


@pytest.fixture
def clients_built(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every CloudflareClient built, counted (slowly, to widen any race between the threads)."""
    built: list[object] = []
    original = client_module.CloudflareClient.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        threading.Event().wait(0.05)
        original(self, *args, **kwargs)

    monkeypatch.setattr(client_module.CloudflareClient, "__init__", counting_init)
    return built


def run_at_once(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def call(function: Any) -> Any:
        barrier.wait()
        return function()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(call, calls))


def test_concurrent_uploads_through_one_provider_build_one_client_and_no_duplicate(
    emulator: EmulatorServer, clients_built: list[object]
) -> None:
    provider: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    pems = [make_ca(f"concurrent-{index}").pem for index in range(THREADS)]
    accounts = [ACCOUNT, OTHER_ACCOUNT]  # 4 CAs in each: under the quota of 5 per account
    inputs = [
        provider.check({}, {"certificates": pem, "name": f"ca-{i}", "account_id": accounts[i % 2]}).inputs
        for i, pem in enumerate(pems)
    ]
    results = run_at_once([lambda props=props: provider.create(props) for props in inputs])

    assert len(clients_built) == 1
    ids = [result.id for result in results]
    assert len(set(ids)) == THREADS
    held = emulator.state()["certificates"]
    assert sorted(cert["id"] for cert in held) == sorted(ids)  # each upload once, none lost
    for result, pem in zip(results, pems, strict=True):
        assert result.outs["certificates"] == pem  # no call saw another call's answer


def test_concurrent_associations_and_uploads_through_one_instance_each_all_succeed(
    emulator: EmulatorServer, clients_built: list[object]
) -> None:
    certs: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    assocs: HostnameAssociationProvider = configured(HostnameAssociationProvider(), emulator)
    [anchor] = run_at_once([lambda: certs.create(certs.check({}, {"certificates": make_ca("anchor").pem}).inputs)])
    zones = [f"{index:032x}" for index in range(1, THREADS + 1)]
    association_calls = [
        lambda zone=zone: assocs.create(
            checked(assocs, {}, association_inputs(anchor.outs, [f"h{zone[-2:]}.example.com"], zone=zone))
        )
        for zone in zones
    ]
    upload_calls = [
        lambda index=index: certs.create(certs.check({}, {"certificates": make_ca(f"more-{index}").pem}).inputs)
        for index in range(4)
    ]
    results = run_at_once(association_calls + upload_calls)

    assert len(clients_built) == 2  # one per provider instance, whatever the number of threads
    state = emulator.state()
    for zone, result in zip(zones, results, strict=False):
        assert result.id == f"{zone}/{result.outs['rule_ref']}"
        assert state["associations"][zone][anchor.id] == [f"h{zone[-2:]}.example.com"]
    assert len(state["certificates"]) == 5
    assert len({cert["content_fingerprint"] for cert in state["certificates"]}) == 5


def test_associations_of_one_zone_created_at_once_share_one_entrypoint_each_with_its_own_rule(
    emulator: EmulatorServer,
) -> None:
    """Each finds no entrypoint, all but one POST of a new one are refused, and those join the one made."""
    certs: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    assocs: HostnameAssociationProvider = configured(HostnameAssociationProvider(), emulator)
    cas = [certs.create(certs.check({}, {"certificates": make_ca(f"ca-{i}").pem}).inputs).outs for i in range(4)]
    results = run_at_once(
        [
            lambda index=index, ca=ca: assocs.create(
                checked(assocs, {}, association_inputs(ca, [f"h{index}.example.com"], name=f"hosts-{index}"))
            )
            for index, ca in enumerate(cas)
        ]
    )
    [ruleset] = emulator.state()["rulesets"]
    assert sorted(rule["id"] for rule in ruleset["rules"]) == sorted(result.outs["rule_id"] for result in results)
    assert {result.outs["ruleset_id"] for result in results} == {ruleset["id"]}
