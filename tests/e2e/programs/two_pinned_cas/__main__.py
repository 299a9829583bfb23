"""Two CAs, each with its associated hostnames; shop.example.com and api.example.com are under both (issue 13,
defect 3): each association admits only its own CA's clients there, so one of the two populations is refused."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")
for label, hostnames in (("partners", ["api.example.com", "shop.example.com"]), ("staff", ["*.example.com"])):
    ca = MTLSCertificate(f"{label}-ca", certificates=Path(config.require(f"{label}Pem")).read_text(), name=label)
    HostnameAssociation(f"{label}-hosts", zone_id=zone_id, certificate=ca, hostnames=hostnames)
