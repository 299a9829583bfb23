"""Issue 17's engine checks (tests/e2e/test_hardening.py): two associations named "edge rule" and "edge/rule" in one
zone (their rules' default refs were once equal), one of them with a CA bundle given root first (its rule must pin
the intermediate's SKI), and a CA name that the test changes."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")
ca = MTLSCertificate(
    "corp-ca",
    certificates=Path(config.require("caPemPath")).read_text(),
    name=config.get("caName") or "corp-ca",
    on_rename=config.get("onRename"),
    private_key_file=config.get("caKeyPath"),
)
# A (zone, CA) list has one owner, so the second association of the zone has a CA of its own.
other = MTLSCertificate("other-ca", certificates=Path(config.require("otherCaPemPath")).read_text(), name="other-ca")
HostnameAssociation("edge rule", zone_id=zone_id, certificate=ca, hostnames=["a.example.com"])
HostnameAssociation("edge/rule", zone_id=zone_id, certificate=other, hostnames=["b.example.com"])
pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)
pulumi.export("otherSubjectKeyIdentifier", other.subject_key_identifier)
