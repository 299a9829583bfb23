"""What the edge answers: Cloudflare-like block, challenge and error pages, and the stub origin's echo."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import assumptions as cf

__all__ = ["EdgeAnswer", "block_page", "challenge_page", "error_page", "origin_echo"]


@dataclass(frozen=True)
class EdgeAnswer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = field(default=())


def _html(title: str, heading: str, text: str, hostname: str, ray_id: str) -> bytes:
    host, ray = html.escape(hostname), html.escape(ray_id)
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="UTF-8">'
        f"<title>{html.escape(title)} | {host} | Cloudflare</title></head>\n<body>\n"
        f"<h1>{html.escape(heading)}</h1>\n<h2>You are unable to access {host}</h2>\n"
        f"<p>{html.escape(text)}</p>\n"
        f"<p>Cloudflare Ray ID: <strong>{ray}</strong> &bull; Performance &amp; security by Cloudflare "
        "(cfmtls emulator)</p>\n</body>\n</html>\n"
    ).encode()


def block_page(hostname: str, ray_id: str) -> EdgeAnswer:
    """The block action: Cloudflare's "Sorry, you have been blocked" page, 403."""
    body = _html(
        "Attention Required!",
        "Sorry, you have been blocked",
        "This website is using a security service to protect itself from online attacks. The action you just "
        "performed triggered the security solution.",
        hostname,
        ray_id,
    )
    return EdgeAnswer(cf.EDGE_BLOCK_STATUS, body, "text/html; charset=UTF-8")


def challenge_page(hostname: str, ray_id: str) -> EdgeAnswer:
    """A challenge action, as a client that runs no JavaScript sees it."""
    body = _html(
        "Just a moment...",
        "Checking if the site connection is secure",
        "This request was challenged; a browser would now run Cloudflare's challenge.",
        hostname,
        ray_id,
    )
    return EdgeAnswer(cf.EDGE_CHALLENGE_STATUS, body, "text/html; charset=UTF-8", (("cf-mitigated", "challenge"),))


def error_page(hostname: str, ray_id: str, reason: str) -> EdgeAnswer:
    """A rule the emulator cannot evaluate: 500, saying which rule and why (never a guessed verdict)."""
    body = json.dumps(
        {
            "error": "the cfmtls emulator cannot evaluate this zone's rules",
            "reason": reason,
            "hostname": hostname,
            "ray_id": ray_id,
        },
        indent=2,
    ).encode()
    return EdgeAnswer(cf.EDGE_UNEVALUABLE_STATUS, body + b"\n", "application/json")


def origin_echo(hostname: str, path: str, method: str, client: Mapping[str, object], ray_id: str) -> EdgeAnswer:
    """The stub origin: 200 and what it was told about the request and the client certificate."""
    body = json.dumps(
        {
            "origin": "cfmtls emulator stub origin",
            "hostname": hostname,
            "path": path,
            "method": method,
            "ray_id": ray_id,
            "tls_client_auth": dict(client),
        },
        indent=2,
    ).encode()
    return EdgeAnswer(200, body + b"\n", "application/json")
