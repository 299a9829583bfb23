"""The emulator's mTLS edge: HTTPS for any hostname, enforcing what the API built (see docs/emulator.md).

- :mod:`.identity`: the local edge CA and a server certificate per hostname (SNI).
- :mod:`.setup`: what the state means for one hostname: does it request a client certificate, which CAs
  verify it, which zones' custom rules run.
- :mod:`.decide`: one request: the ``cf.tls_client_auth.*`` fields (:mod:`cfmtls_provider.client_auth`), the
  zone's ``http_request_firewall_custom`` rules in order (:mod:`cfmtls_provider.custom_rules`, the runner
  ``cfmtls check-client`` shares), the answer.
- :mod:`.pages`: the block page, the challenge page, the error page and the stub origin's JSON echo.
- :mod:`.log`: the edge request log (``/__emulator__/edge-requests``).
- :mod:`.server`: the TLS listener (pyOpenSSL: a verify callback that accepts any client certificate, so an
  invalid one is reported rather than refused) and HTTP/1.1 (h11).

pyOpenSSL and h11 are imported only when the edge starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import EdgeServer

__all__ = ["EdgeServer"]


def __getattr__(name: str) -> Any:
    if name == "EdgeServer":
        from .server import EdgeServer

        return EdgeServer
    raise AttributeError(name)
