"""The API handlers: parse the request, call the model, wrap the result in the v4 envelope.

:func:`api_endpoint` turns a handler into a Starlette endpoint (ids checked, then credentials, then the
handler; a refusal becomes an error envelope); :class:`Handlers` holds one method per API operation.
Which path and scope lead to which handler is :mod:`.routes`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from . import assumptions as cf
from .auth import authenticate
from .config import EmulatorConfig, Zone
from .envelope import Answer, envelope, error_response
from .errors import APIError
from .models import associations, certificates, rulesets
from .models.state import Ruleset, State
from .models.zones import ZoneDirectory
from .store import Store

__all__ = ["Handler", "Handlers", "api_endpoint"]

Handler = Callable[[Request], Awaitable[Answer]]
Endpoint = Callable[[Request], Awaitable[Response]]

_ID = re.compile(cf.ACCOUNT_OR_ZONE_ID_PATTERN)
_log = logging.getLogger("cfmtls_provider.emulator")

#: The request log's status for a call whose client closed the connection before the request arrived whole (a run
#: killed mid-write): nothing is applied and no answer can be sent; nginx's code for a request its client abandoned.
CLIENT_CLOSED_REQUEST = 499


def api_endpoint(config: EmulatorConfig, zones: ZoneDirectory, scope: str, handler: Handler) -> Endpoint:
    """An endpoint: ids checked, then credentials, then the handler; refusals become error envelopes."""

    async def endpoint(request: Request) -> Response:
        try:
            for key in ("account_id", "zone_id"):
                value = request.path_params.get(key)
                if value is not None and not _ID.match(value):
                    raise APIError(cf.INVALID_OBJECT_IDENTIFIER, path=request.url.path)
            authenticate(config, request.headers, scope)
            zone_id = request.path_params.get("zone_id")
            if zone_id is not None and zones.get(zone_id) is None:
                raise APIError(cf.UNKNOWN_ZONE, path=request.url.path)
            answer = await handler(request)
        except APIError as error:
            return error_response(error)
        except ClientDisconnect:
            _log.info(
                "%s %s: the client closed the connection before its request arrived whole; nothing applied",
                request.method,
                request.url.path,
            )
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        except Exception as exc:
            _log.exception("unexpected failure of %s %s", request.method, request.url.path)
            detail = f"{cf.SERVER_ERROR.message}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            return JSONResponse(envelope(None, errors=[{"code": cf.SERVER_ERROR.code, "message": detail}]), 500)
        if answer.status == cf.DELETE_RULESET_STATUS:
            return Response(status_code=answer.status)
        return JSONResponse(envelope(answer.result, info=answer.result_info), answer.status)

    return endpoint


async def bounded_body(request: Request) -> bytes:
    """The request body, refused (413) beyond :data:`~.assumptions.MAX_BODY_BYTES` without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cf.MAX_BODY_BYTES:
        raise APIError(cf.BODY_TOO_LARGE, limit=cf.MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cf.MAX_BODY_BYTES:
            raise APIError(cf.BODY_TOO_LARGE, limit=cf.MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, else 400 (malformed JSON; too deeply nested counts as malformed)."""
    try:
        data = json.loads(await bounded_body(request))
    except (ValueError, RecursionError):
        raise APIError(cf.MALFORMED_JSON) from None
    if not isinstance(data, dict):
        raise APIError(cf.MALFORMED_JSON)
    return data


def paging(request: Request) -> tuple[int, int]:
    """The ``page`` and ``per_page`` query parameters, checked."""
    try:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", str(cf.DEFAULT_PER_PAGE)))
    except ValueError:
        raise APIError(cf.QUERY_INVALID, detail="page and per_page must be integers") from None
    if page < 1 or not 1 <= per_page <= cf.MAX_PER_PAGE:
        raise APIError(cf.QUERY_INVALID, detail=f"page >= 1 and 1 <= per_page <= {cf.MAX_PER_PAGE}")
    return page, per_page


def one_page(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """The items of ``page`` and the ``result_info`` that describes it."""
    chosen = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chosen),
        "total_count": len(items),
        "total_pages": max(1, -(-len(items) // per_page)),
    }
    return chosen, info


def _zone_result(zone_id: str, name: str, account_id: str) -> dict[str, Any]:
    """A zone as ``GET /zones`` and ``GET /zones/{zone_id}`` answer it (SDK ``cloudflare.types.zones.Zone``)."""
    return {
        "id": zone_id,
        "name": name,
        "status": cf.ZONE_STATUS,
        "account": {"id": account_id, "name": ""},
        **cf.ZONE_FILLER,
    }


@dataclass
class Handlers:
    """One method per API operation, over one emulator's configuration and state."""

    config: EmulatorConfig
    store: Store
    zones: ZoneDirectory

    # --- account level: mTLS certificates ------------------------------------------------------------------

    async def upload(self, request: Request) -> Answer:
        account_id = request.path_params["account_id"]
        entitled = account_id not in self.config.non_enterprise_accounts
        body = await json_body(request)
        with self.store.mutate() as state:
            cert = certificates.upload_certificate(state, account_id, body, entitled=entitled)
        return Answer(certificates.certificate_result(cert, with_updated_at=True))

    async def list_certificates(self, request: Request) -> Answer:
        page, per_page = paging(request)
        types = certificates.parse_type_filter(request.query_params.get("type"))
        with self.store.read() as state:
            certs = certificates.list_certificates(state, request.path_params["account_id"], types)
            chosen, info = one_page(certs, page, per_page)
            result = [certificates.certificate_result(cert) for cert in chosen]
        return Answer(result, info)

    # --- zones ---------------------------------------------------------------------------------------------

    async def list_zones(self, request: Request) -> Answer:
        """``GET /zones``: the declared zones, of ``account.id`` and named ``name`` when given, paged."""
        page, per_page = paging(request)
        account, name = request.query_params.get("account.id"), request.query_params.get("name")
        zones = [
            zone
            for zone in self.zones.to_json()
            if (not account or zone["account_id"] == account) and (not name or zone["name"] == name)
        ]
        chosen, info = one_page(zones, page, per_page)
        return Answer([_zone_result(zone["id"], zone["name"], zone["account_id"]) for zone in chosen], info)

    async def get_zone(self, request: Request) -> Answer:
        """``GET /zones/{zone_id}``: the zone as the list shows it (an unknown one is refused by api_endpoint)."""
        zone = self._zone(request)
        return Answer(_zone_result(zone.id, zone.name, zone.account_id))

    async def get_certificate(self, request: Request) -> Answer:
        params = request.path_params
        with self.store.read() as state:
            cert = certificates.find_certificate(state, params["account_id"], params["cert_id"])
            return Answer(certificates.certificate_result(cert))

    async def delete_certificate(self, request: Request) -> Answer:
        params = request.path_params
        with self.store.mutate() as state:
            cert = certificates.delete_certificate(
                state, params["account_id"], params["cert_id"], time.time(), self.config.association_lag_seconds
            )
        return Answer(certificates.certificate_result(cert))

    async def certificate_usages(self, request: Request) -> Answer:
        params = request.path_params
        with self.store.read() as state:
            cert = certificates.find_certificate(state, params["account_id"], params["cert_id"])
            result = certificates.usages(state, cert, time.time(), self.config.association_lag_seconds)
        info = {"page": 1, "per_page": max(1, len(result)), "count": len(result), "total_count": len(result)}
        return Answer(result, {**info, "total_pages": 1})

    # --- zone level: hostname associations -----------------------------------------------------------------

    def _zone(self, request: Request) -> Zone:
        zone = self.zones.get(request.path_params["zone_id"])
        if zone is None:  # checked by api_endpoint already
            raise APIError(cf.UNKNOWN_ZONE, path=request.url.path)
        return zone

    async def get_hostnames(self, request: Request) -> Answer:
        zone = self._zone(request)
        with self.store.read() as state:
            hostnames = associations.get_hostnames(state, zone, request.query_params.get("mtls_certificate_id"))
        return Answer({"hostnames": hostnames})

    async def put_hostnames(self, request: Request) -> Answer:
        zone, body = self._zone(request), await json_body(request)
        with self.store.mutate(zone.id) as state:
            hostnames = associations.replace_hostnames(state, zone, body, time.time())
        return Answer({"hostnames": hostnames})

    # --- WAF custom rules ----------------------------------------------------------------------------------

    async def get_entrypoint(self, request: Request) -> Answer:
        with self.store.read() as state:
            found = rulesets.entrypoint(state, request.path_params["zone_id"], request.path_params["phase"])
            return Answer(rulesets.ruleset_result(found))

    async def get_ruleset(self, request: Request) -> Answer:
        with self.store.read() as state:
            found = rulesets.find_ruleset(state, request.path_params["zone_id"], request.path_params["ruleset_id"])
            return Answer(rulesets.ruleset_result(found))

    async def create_ruleset(self, request: Request) -> Answer:
        body = await json_body(request)
        zone_id = request.path_params["zone_id"]
        return self._change(zone_id, lambda state: rulesets.create_ruleset(state, zone_id, body))

    async def add_rule(self, request: Request) -> Answer:
        body, p = await json_body(request), request.path_params
        return self._change(p["zone_id"], lambda state: rulesets.add_rule(state, p["zone_id"], p["ruleset_id"], body))

    async def patch_rule(self, request: Request) -> Answer:
        body, p = await json_body(request), request.path_params
        return self._change(
            p["zone_id"], lambda state: rulesets.patch_rule(state, p["zone_id"], p["ruleset_id"], p["rule_id"], body)
        )

    async def update_ruleset(self, request: Request) -> Answer:
        body, p = await json_body(request), request.path_params
        return self._change(
            p["zone_id"], lambda state: rulesets.update_ruleset(state, p["zone_id"], p["ruleset_id"], body)
        )

    async def delete_ruleset(self, request: Request) -> Answer:
        p = request.path_params
        with self.store.mutate(p["zone_id"]) as state:
            rulesets.delete_ruleset(state, p["zone_id"], p["ruleset_id"])
        return Answer(None, status=cf.DELETE_RULESET_STATUS)

    async def delete_rule(self, request: Request) -> Answer:
        p = request.path_params
        return self._change(
            p["zone_id"], lambda state: rulesets.delete_rule(state, p["zone_id"], p["ruleset_id"], p["rule_id"])
        )

    def _change(self, zone_id: str, operation: Callable[[State], Ruleset]) -> Answer:
        """A write to one of ``zone_id``'s rulesets, answered with the ruleset as it is after it."""
        with self.store.mutate(zone_id) as state:
            return Answer(rulesets.ruleset_result(operation(state)))
