"""The example stack: upload a CA, associate hostnames with it, and block requests without a client certificate.

pulumi config set zoneId <zone id>
pulumi config set --path 'hostnames[0]' api.example.com
pulumi config set caPemPath ca.pem
pulumi config set --secret cfmtls:apiToken <token>      # or CLOUDFLARE_API_TOKEN
pulumi config set cfmtls:accountId <account id>          # or CLOUDFLARE_ACCOUNT_ID
pulumi up
"""

import pulumi

from cfmtls_provider import ClientCertificateRule, HostnameAssociation, IssuerHandover, MTLSCertificate, read_pem_file

config = pulumi.Config()
zone_id = config.require("zoneId")
hostnames: list[str] = config.require_object("hostnames")
ca_pem = read_pem_file(config.require("caPemPath"), setting="caPemPath")

# 1. Upload the CA (validated locally first: CA:TRUE, an allowed signature algorithm, a real PEM).
ca = MTLSCertificate("corp-ca", certificates=ca_pem, name=config.get("caName") or "corp-ca")

# 2. Associate the zone's hostnames with it (emptied again before the CA is ever deleted). Cloudflare verifies
#    client certificates against the most recently associated CA, so in a rotation the pinned rule is first
#    told to accept the new CA too (IssuerHandover): no moment where neither old nor new clients get in.
handover = IssuerHandover(
    "corp-ca-handover", zone_id=zone_id, rule_name="require-client-certificate", issuer_ski=ca.subject_key_identifier
)
hosts = HostnameAssociation(
    "corp-hosts",
    zone_id=zone_id,
    mtls_certificate_id=ca.id,
    hostnames=hostnames,
    opts=pulumi.ResourceOptions(depends_on=[handover]),
)

# 3. Block requests to those hostnames without a valid client certificate (from this CA, when pinned).
rule = ClientCertificateRule(
    "require-client-certificate",
    zone_id=zone_id,
    hostnames=hosts.hostnames,
    mtls_certificate_id=ca.id,
    issuer_ski=ca.subject_key_identifier if config.get_bool("pinToCa") is not False else None,
)

pulumi.export("certificateId", ca.id)
pulumi.export("fingerprintSha256", ca.fingerprint_sha256)
pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)
pulumi.export("expiresOn", ca.expires_on)
pulumi.export("hostnames", hosts.hostnames)
pulumi.export("ruleId", rule.rule_id)
pulumi.export("ruleExpression", rule.expression)
