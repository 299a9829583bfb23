"""A Pulumi program and a `pulumi preview` never send a request, so they must not import the HTTP stack.

A structural guard for the start-up cost measured in docs/benchmarks.md (no timing is asserted here).
"""

from __future__ import annotations

import subprocess
import sys

PREVIEW_WORK = """
import sys
import cfmtls_provider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
zone = "f" * 32
provider = HostnameAssociationProvider()
inputs = provider.check({}, {"zone_id": zone, "mtls_certificate_id": "c" * 36, "hostnames": ["a.example.com"]}).inputs
provider.diff("id", inputs, inputs)
rule = ClientCertificateRuleProvider()
rule.check({}, {"zone_id": zone, "hostnames": ["a.example.com"], "ref": "r"})
print("httpx" in sys.modules)
"""


def test_importing_the_package_and_planning_do_not_load_httpx() -> None:
    result = subprocess.run([sys.executable, "-c", PREVIEW_WORK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr


def test_the_client_is_still_reachable_from_the_cloudflare_package() -> None:
    from cfmtls_provider.cloudflare import CloudflareClient, RetryPolicy
    from cfmtls_provider.cloudflare.client import CloudflareClient as Direct

    assert CloudflareClient is Direct
    assert RetryPolicy().max_retries >= 0
