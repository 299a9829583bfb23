"""The API's route table: method, path template and the scope a credential needs, for each handler.

Paths are Cloudflare's, under ``/client/v4`` (:data:`~.assumptions.API_PREFIX`); the scopes are the named
constants below. :func:`api_routes` binds the table to one emulator's :class:`~.handlers.Handlers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

from . import assumptions as cf
from .handlers import Handler, Handlers, api_endpoint

__all__ = [
    "ACCOUNT_SSL_READ",
    "ACCOUNT_SSL_WRITE",
    "CERTIFICATES",
    "HOSTNAME_ASSOCIATIONS",
    "RULESETS",
    "ZONES",
    "ZONE_SSL_WRITE",
    "ZONE_WAF_WRITE",
    "APIRoute",
    "api_routes",
    "route_table",
]

ACCOUNT_SSL_READ = cf.SCOPE_ACCOUNT_SSL_READ
ACCOUNT_SSL_WRITE = cf.SCOPE_ACCOUNT_SSL_WRITE
ZONE_SSL_WRITE = cf.SCOPE_ZONE_SSL_WRITE
ZONE_WAF_WRITE = cf.SCOPE_ZONE_WAF_WRITE

CERTIFICATES = f"{cf.API_PREFIX}/accounts/{{account_id}}/mtls_certificates"
HOSTNAME_ASSOCIATIONS = f"{cf.API_PREFIX}/zones/{{zone_id}}/certificate_authorities/hostname_associations"
RULESETS = f"{cf.API_PREFIX}/zones/{{zone_id}}/rulesets"
ZONES = f"{cf.API_PREFIX}/zones"


@dataclass(frozen=True)
class APIRoute:
    """One API operation: ``method path`` needs ``scope`` and is served by ``handler``."""

    method: str
    path: str
    scope: str
    handler: Handler


def route_table(h: Handlers) -> list[APIRoute]:
    """Every API operation the emulator serves."""
    return [
        APIRoute("GET", CERTIFICATES, ACCOUNT_SSL_READ, h.list_certificates),
        APIRoute("POST", CERTIFICATES, ACCOUNT_SSL_WRITE, h.upload),
        APIRoute("GET", CERTIFICATES + "/{cert_id}", ACCOUNT_SSL_READ, h.get_certificate),
        APIRoute("DELETE", CERTIFICATES + "/{cert_id}", ACCOUNT_SSL_WRITE, h.delete_certificate),
        APIRoute("GET", CERTIFICATES + "/{cert_id}/associations", ACCOUNT_SSL_READ, h.certificate_usages),
        APIRoute("GET", ZONES, ZONE_SSL_WRITE, h.list_zones),
        APIRoute("GET", ZONES + "/{zone_id}", ZONE_SSL_WRITE, h.get_zone),
        APIRoute("GET", HOSTNAME_ASSOCIATIONS, ZONE_SSL_WRITE, h.get_hostnames),
        APIRoute("PUT", HOSTNAME_ASSOCIATIONS, ZONE_SSL_WRITE, h.put_hostnames),
        APIRoute("POST", RULESETS, ZONE_WAF_WRITE, h.create_ruleset),
        APIRoute("GET", RULESETS + "/phases/{phase}/entrypoint", ZONE_WAF_WRITE, h.get_entrypoint),
        APIRoute("GET", RULESETS + "/{ruleset_id}", ZONE_WAF_WRITE, h.get_ruleset),
        APIRoute("PUT", RULESETS + "/{ruleset_id}", ZONE_WAF_WRITE, h.update_ruleset),
        APIRoute("DELETE", RULESETS + "/{ruleset_id}", ZONE_WAF_WRITE, h.delete_ruleset),
        APIRoute("POST", RULESETS + "/{ruleset_id}/rules", ZONE_WAF_WRITE, h.add_rule),
        APIRoute("PATCH", RULESETS + "/{ruleset_id}/rules/{rule_id}", ZONE_WAF_WRITE, h.patch_rule),
        APIRoute("DELETE", RULESETS + "/{ruleset_id}/rules/{rule_id}", ZONE_WAF_WRITE, h.delete_rule),
    ]


def api_routes(handlers: Handlers) -> list[Route]:
    """The Starlette routes of the API, each behind :func:`~.handlers.api_endpoint`."""
    config, zones = handlers.config, handlers.zones
    return [
        Route(r.path, api_endpoint(config, zones, r.scope, r.handler), methods=[r.method])
        for r in route_table(handlers)
    ]
