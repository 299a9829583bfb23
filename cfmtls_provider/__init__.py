"""Pulumi dynamic resources for Cloudflare "Bring your own CA for mTLS".

Public API::

    from cfmtls_provider import MTLSCertificate, HostnameAssociation, ClientCertificateRule, IssuerHandover
    from cfmtls_provider import read_pem_file  # a PEM file's text, or one sentence saying why not
"""

from .pem_file import PEMFileError, read_pem_file
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
    "PEMFileError",
    "read_pem_file",
]
