"""Where the engine finds the provider of a ``ClientCertificateRule`` record of cfmtls-provider 0.1 (see
:mod:`._legacy`): it unpickles it by this module path."""

from ._legacy import ClientCertificateRule, ClientCertificateRuleProvider

__all__ = ["ClientCertificateRule", "ClientCertificateRuleProvider"]
