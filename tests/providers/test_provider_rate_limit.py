"""One rate-limit budget per provider process: a lock-out met by one resource holds the calls of every other
resource of the run (the provider server runs several at once), against the emulator, in real time."""

from __future__ import annotations

import threading
import time

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import ACCOUNT, configured


def test_a_429_met_by_one_resource_holds_the_other_resources_calls_until_retry_after(
    emulator: EmulatorServer,
) -> None:
    emulator.add_fault("GET:*/mtls_certificates:status=429:retry_after=1:count=1")
    first = configured(MTLSCertificateProvider(), emulator)
    other = configured(HostnameAssociationProvider(), emulator)
    assert first.client()._pacer is other.client()._pacer

    listing = threading.Thread(target=lambda: first.client().list_certificates(ACCOUNT))
    listing.start()
    deadline = time.monotonic() + 10
    while not any(entry["status"] == 429 for entry in emulator.requests()):
        assert time.monotonic() < deadline, "the 429 never came"
        time.sleep(0.01)
    # Another resource's call, started during the lock-out, waits for it too.
    assert other.client().get_certificate(ACCOUNT, "0" * 36) is None
    listing.join(timeout=10)

    log = emulator.requests()
    limited = next(entry for entry in log if entry["status"] == 429)
    after = [entry for entry in log if entry["time"] > limited["time"]]
    assert sorted(entry["status"] for entry in after) == [200, 404]
    assert all(entry["time"] >= limited["time"] + 0.95 for entry in after), after
