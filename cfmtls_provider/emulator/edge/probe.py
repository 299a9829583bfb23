"""A real HTTPS client for the edge: would this client get through on that hostname?

    python -m cfmtls_provider.emulator.edge.probe --edge https://127.0.0.1:8443 --ca edge-ca.pem \\
        --hostname api.example.com [--cert client.pem --key client.key] [--path /]

Connects to the edge's address with the hostname as Host and, without a trailing dot, as SNI (as ``curl
--resolve`` does: RFC 6066 sends the SNI name without one), prints the status and what the edge saw, and exits 0
on 2xx, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
from pathlib import Path

import httpx

__all__ = ["fetch"]


def fetch(
    edge_url: str,
    ca_file: Path | str,
    hostname: str,
    *,
    cert: Path | str | None = None,
    key: Path | str | None = None,
    path: str = "/",
    host: str | None = None,
    timeout: float = 10.0,
) -> httpx.Response:
    """GET ``path`` on ``hostname`` (the Host header, as given; the SNI without a trailing dot, as curl sends it)
    through the edge at ``edge_url``, trusting only the edge CA; with a client certificate (and its key) when
    given. ``host``: another Host header than ``hostname`` (upper case, a trailing dot). A fresh connection each
    time."""
    context = ssl.create_default_context(cafile=str(ca_file))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key is not None else None)
    sni = hostname.removesuffix(".")
    with httpx.Client(verify=context, timeout=timeout) as client:
        return client.get(
            f"{edge_url.rstrip('/')}{path}", headers={"Host": host or hostname}, extensions={"sni_hostname": sni}
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cfmtls_provider.emulator.edge.probe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--edge", required=True, help="the edge's URL, e.g. https://127.0.0.1:8443")
    parser.add_argument("--ca", required=True, type=Path, help="the edge CA certificate (PEM)")
    parser.add_argument("--hostname", required=True)
    parser.add_argument("--cert", type=Path, help="client certificate (PEM)")
    parser.add_argument("--key", type=Path, help="its private key (PEM)")
    parser.add_argument("--path", default="/")
    args = parser.parse_args(argv)
    try:
        response = fetch(args.edge, args.ca, args.hostname, cert=args.cert, key=args.key, path=args.path)
    except (OSError, ssl.SSLError, httpx.HTTPError) as exc:
        print(f"error: cannot reach {args.hostname} through {args.edge}: {exc}", file=sys.stderr)
        return 2
    verdict = "allowed" if response.is_success else "refused"
    detail = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        client = response.json().get("tls_client_auth", {})
        detail = f" (presented={json.dumps(client.get('cert_presented'))}, verified={json.dumps(client.get('cert_verified'))})"
    elif response.status_code == 403:
        detail = f" (blocked, Ray ID {response.headers.get('cf-ray', '?')})"
    print(f"{response.status_code} {verdict}{detail}")
    return 0 if response.is_success else 1


if __name__ == "__main__":
    raise SystemExit(main())
