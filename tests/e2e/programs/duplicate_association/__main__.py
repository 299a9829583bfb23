"""Two HostnameAssociations for the same (zone, CA) pair: refused before the second is registered."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")
ca = MTLSCertificate("corp-ca", certificates=Path(config.require("caPemPath")).read_text(), name="corp-ca")
HostnameAssociation("web-hosts", zone_id=zone_id, certificate=ca, hostnames=["www.example.com"])
HostnameAssociation("api-hosts", zone_id=zone_id, certificate=ca, hostnames=["api.example.com"])
