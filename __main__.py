"""The example stack: upload a CA, associate hostnames with it, and block requests without a client certificate.

pulumi config set zoneId <zone id>
pulumi config set --path 'hostnames[0]' api.example.com
pulumi config set caPemPath ca.pem
pulumi config set --secret cfmtls:apiToken <token>      # or CLOUDFLARE_API_TOKEN
pulumi config set cfmtls:accountId <account id>          # or CLOUDFLARE_ACCOUNT_ID
pulumi up
"""

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate, read_pem_file

config = pulumi.Config()
zone_id = config.require("zoneId")
hostnames: list[str] = config.require_object("hostnames")
ca_pem = read_pem_file(config.require("caPemPath"), setting="caPemPath")

# 1. Upload the CA (validated locally first: CA:TRUE, an allowed signature algorithm, a real PEM).
ca = MTLSCertificate("corp-ca", certificates=ca_pem, name=config.get("caName") or "corp-ca")

# 2. These hostnames accept clients of this CA, and no one else: the association associates them with the CA and
#    keeps the WAF rule that refuses requests without a valid client certificate of it. Every change (hostnames
#    added or removed, a new CA PEM: a rotation) runs in the safe order inside it.
hosts = HostnameAssociation(
    "corp-hosts",
    zone_id=zone_id,
    certificate=ca,
    hostnames=hostnames,
    pin_issuer=config.get_bool("pinToCa") is not False,
)

pulumi.export("certificateId", ca.id)
pulumi.export("fingerprintSha256", ca.fingerprint_sha256)
pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)
pulumi.export("expiresOn", ca.expires_on)
pulumi.export("hostnames", hosts.hostnames)
pulumi.export("ruleId", hosts.rule_id)
pulumi.export("ruleExpression", hosts.expression)
