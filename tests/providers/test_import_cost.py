"""A Pulumi program, and a `pulumi preview` with nothing new to check at Cloudflare, send no request, so they must
not import the HTTP stack (an association with a new zone or new hostnames reads the zone at preview).

A structural guard for the start-up cost measured in docs/benchmarks.md (no timing is asserted here).
"""

from __future__ import annotations

import subprocess
import sys

from tests.support.certs import make_ca

PREVIEW_WORK = """
import sys
import cfmtls_provider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
certs = MTLSCertificateProvider()
ca = certs.check({}, {"certificates": sys.argv[1], "account_id": "0" * 32}).inputs
certs.diff("c" * 32, ca, ca)
provider = HostnameAssociationProvider()
declared = {"zone_id": "f" * 32, "mtls_certificate_id": "c" * 36, "hostnames": ["a.example.com"],
            "issuer_ski": ca["subject_key_identifier"], "declared_by": "hosts", "rule_ref": "r"}
inputs = provider.check(declared, declared).inputs  # zone and hostnames as recorded: nothing to read
provider.diff("id", {**inputs, "rule_id": "u"}, inputs)
print("httpx" in sys.modules)
"""


def test_importing_the_package_and_planning_do_not_load_httpx() -> None:
    pem = make_ca("preview CA").pem
    result = subprocess.run([sys.executable, "-c", PREVIEW_WORK, pem], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr


def test_the_client_is_still_reachable_from_the_cloudflare_package() -> None:
    from cfmtls_provider.cloudflare import CloudflareClient, RetryPolicy
    from cfmtls_provider.cloudflare.client import CloudflareClient as Direct

    assert CloudflareClient is Direct
    assert RetryPolicy().max_retries >= 0
