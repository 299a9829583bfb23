"""A user's own stack: one CA, its hostnames, and a rule pinned to that CA (the README's sample)."""

from pathlib import Path

import pulumi

from cfmtls_provider import ClientCertificateRule, HostnameAssociation, MTLSCertificate

config = pulumi.Config()
zone_id = config.require("zoneId")

ca = MTLSCertificate("corp-ca", certificates=Path(config.require("caPemPath")).read_text(), name="corp-ca")
hosts = HostnameAssociation(
    "corp-hosts",
    zone_id=zone_id,
    mtls_certificate_id=ca.id,
    hostnames=config.require_object("hostnames"),
)
rule = ClientCertificateRule(
    "require-client-certificate",
    zone_id=zone_id,
    hostnames=hosts.hostnames,
    mtls_certificate_id=ca.id,
    issuer_ski=ca.subject_key_identifier,
)

pulumi.export("certificateId", ca.id)
pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)
pulumi.export("ruleExpression", rule.expression)
