"""Issue 17's engine checks (tests/e2e/test_hardening.py): two rules named "edge rule" and "edge/rule" (their
default refs were once equal), pinned to a CA bundle given root first (the pin must be the intermediate's SKI),
and a CA name that the test changes."""

from collections.abc import Callable
from pathlib import Path

import pulumi

from cfmtls_provider import ClientCertificateRule, HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")
ca = MTLSCertificate(
    "corp-ca",
    certificates=Path(config.require("caPemPath")).read_text(),
    name=config.get("caName") or "corp-ca",
    on_rename=config.get("onRename"),
    private_key_file=config.get("caKeyPath"),
)
hosts = HostnameAssociation(
    "hosts", zone_id=zone_id, mtls_certificate_id=ca.id, hostnames=["a.example.com", "b.example.com"]
)


def only(wanted: str) -> Callable[[list[str]], list[str]]:
    """Keep only the hostname ``wanted`` (one rule per hostname)."""
    return lambda hostnames: [host for host in hostnames if host == wanted]


for name, hostname in (("edge rule", "a.example.com"), ("edge/rule", "b.example.com")):
    ClientCertificateRule(
        name,
        zone_id=zone_id,
        hostnames=hosts.hostnames.apply(only(hostname)),
        mtls_certificate_id=ca.id,
        issuer_ski=ca.subject_key_identifier,
    )
pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)
