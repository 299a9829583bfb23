"""Where the engine finds the provider of an ``IssuerHandover`` record of cfmtls-provider 0.1 (see :mod:`._legacy`):
it unpickles it by this module path."""

from ._legacy import IssuerHandover, IssuerHandoverProvider

__all__ = ["IssuerHandover", "IssuerHandoverProvider"]
