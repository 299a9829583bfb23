"""Two CAs, each with its hostnames and a rule pinned to it; shop.example.com is under both (issue 13, defect 3)."""

from pathlib import Path

import pulumi

from cfmtls_provider import ClientCertificateRule, HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")
for label, hostnames in (("partners", ["api.example.com", "shop.example.com"]), ("staff", ["*.example.com"])):
    ca = MTLSCertificate(f"{label}-ca", certificates=Path(config.require(f"{label}Pem")).read_text(), name=label)
    hosts = HostnameAssociation(f"{label}-hosts", zone_id=zone_id, mtls_certificate_id=ca.id, hostnames=hostnames)
    ClientCertificateRule(
        f"{label}-rule",
        zone_id=zone_id,
        hostnames=hosts.hostnames,
        mtls_certificate_id=ca.id,
        issuer_ski=ca.subject_key_identifier,
    )
