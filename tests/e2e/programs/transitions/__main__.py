"""One CA and one HostnameAssociation per zone, as plainly as a user writes them; the e2e tests change the config
(hostnames per zone, the CA's PEM, the association's name and an alias) between plain `pulumi up` runs."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zones: dict[str, list[str]] = config.require_object("zones")
name = config.get("associationName") or "corp-hosts"
alias = config.get("alias")

ca = MTLSCertificate("corp-ca", certificates=Path(config.require("caPemPath")).read_text(), name="corp-ca")
for zone_id, hostnames in sorted(zones.items()):
    suffix = zone_id[:6]
    aliases = [pulumi.Alias(name=f"{alias}-{suffix}")] if alias else None
    HostnameAssociation(
        f"{name}-{suffix}",
        zone_id=zone_id,
        certificate=ca,
        hostnames=hostnames,
        opts=pulumi.ResourceOptions(aliases=aliases),
    )
pulumi.export("certificateId", ca.id)
