"""One CA and one association per zone: config ``associations`` is a JSON list of {"zone": id, "hostnames": [...]}."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
ca = MTLSCertificate("ca", certificates=Path(config.require("caPem")).read_text(), name="zones")
for association in config.require_object("associations"):
    HostnameAssociation(
        f"hosts-{association['zone'][:8]}",
        zone_id=association["zone"],
        certificate=ca,
        hostnames=association["hostnames"],
    )
