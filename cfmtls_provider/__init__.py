"""Pulumi dynamic resources for Cloudflare "Bring your own CA for mTLS".

Public API::

    from cfmtls_provider import HostnameAssociation, MTLSCertificate
    from cfmtls_provider import read_pem_file  # a PEM file's text, or one sentence saying why not
"""

from .pem_file import PEMFileError, read_pem_file
from .resources.hostname_association import HostnameAssociation, HostnameAssociationArgs
from .resources.mtls_certificate import MTLSCertificate, MTLSCertificateArgs

# Removed in 0.2 (HostnameAssociation keeps the rule and does the handover): importable, so that a program written
# for 0.1 is told in one sentence how to upgrade, at preview, instead of failing on its import line.
from .resources.client_certificate_rule import ClientCertificateRule  # noqa: F401  # isort: skip
from .resources.issuer_handover import IssuerHandover  # noqa: F401  # isort: skip

__all__ = [
    "HostnameAssociation",
    "HostnameAssociationArgs",
    "MTLSCertificate",
    "MTLSCertificateArgs",
    "PEMFileError",
    "read_pem_file",
]
