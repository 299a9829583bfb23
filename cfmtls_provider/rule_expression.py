"""Build the WAF custom rule expression that enforces client certificates (pure: no I/O, no Pulumi).

Hostnames are validated first (DNS characters only) and quoted anyway, so an expression can never be
injected through them; the issuer SKI must be hexadecimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .hostnames import validate_hostnames

__all__ = ["ALLOWED_ACTIONS", "build_expression", "normalise_ski", "quote"]

#: Actions that make sense for a request without a valid client certificate.
ALLOWED_ACTIONS = ("block", "managed_challenge", "challenge", "js_challenge", "log")

_HEX = re.compile(r"^(?:[0-9A-F]{2})+$")


def quote(value: str) -> str:
    """A Rules-language string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalise_ski(ski: str) -> str:
    """Upper-case hex without separators; raises ValueError for anything else."""
    compact = ski.replace(":", "").replace(" ", "").upper()
    if not _HEX.match(compact) or len(compact) > 128:
        raise ValueError(
            f"issuer_ski {ski!r} is not a hex subject key identifier; pass MTLSCertificate.subject_key_identifier"
        )
    return compact


def _host_condition(hostnames: Sequence[str]) -> str:
    exact = [name for name in hostnames if not name.startswith("*.")]
    wildcards = [name[1:] for name in hostnames if name.startswith("*.")]
    parts = []
    if exact:
        parts.append("http.host in {" + " ".join(quote(name) for name in exact) + "}")
    parts.extend(f"ends_with(http.host, {quote(suffix)})" for suffix in wildcards)
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def build_expression(hostnames: Sequence[str], issuer_ski: str | None = None) -> str:
    """Requests to ``hostnames`` without a verified client certificate (issued by ``issuer_ski``) match."""
    names = validate_hostnames(list(hostnames))
    verified = "cf.tls_client_auth.cert_verified"
    if issuer_ski:
        verified = f"({verified} and cf.tls_client_auth.cert_issuer_ski eq {quote(normalise_ski(issuer_ski))})"
    return f"({_host_condition(names)} and not {verified})"
