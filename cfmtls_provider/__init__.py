"""Pulumi dynamic resources for Cloudflare "Bring your own CA for mTLS".

Public API::

    from cfmtls_provider import MTLSCertificate, HostnameAssociation, ClientCertificateRule, IssuerHandover
"""

from .resources.client_certificate_rule import ClientCertificateRule, ClientCertificateRuleArgs
from .resources.hostname_association import HostnameAssociation, HostnameAssociationArgs
from .resources.issuer_handover import IssuerHandover
from .resources.mtls_certificate import MTLSCertificate, MTLSCertificateArgs

__all__ = [
    "ClientCertificateRule",
    "ClientCertificateRuleArgs",
    "HostnameAssociation",
    "HostnameAssociationArgs",
    "IssuerHandover",
    "MTLSCertificate",
    "MTLSCertificateArgs",
]
