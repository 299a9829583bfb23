"""The emulator's HTTP application: Cloudflare's v4 routes for mTLS, plus the admin routes.

API routes live under ``/client/v4``, authenticate like Cloudflare and answer the v4 envelope; the rules
they enforce live in :mod:`.mtls` and :mod:`.rulesets`, the facts they assume in :mod:`.assumptions`.
Admin routes under ``/__emulator__`` need no credentials and are not logged.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import assumptions as cf
from . import mtls, rulesets
from .config import EmulatorConfig, effective_scopes
from .errors import APIError
from .faults import FaultRule, FaultSet, FaultSpecError
from .middleware import APILayer, RequestLog
from .store import Ruleset, State, Store

__all__ = ["Emulator", "create_app"]

_ID = re.compile(cf.ACCOUNT_OR_ZONE_ID_PATTERN)


@dataclass
class Answer:
    result: Any
    result_info: dict[str, int] | None = None


Handler = Callable[[Request], Awaitable[Answer]]


def envelope(result: Any, *, errors: list[dict[str, Any]] | None = None, info: dict[str, int] | None = None) -> Any:
    body: dict[str, Any] = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return body


def error_response(error: APIError) -> JSONResponse:
    return JSONResponse(envelope(None, errors=[{"code": error.code, "message": error.message}]), error.status)


@dataclass
class Emulator:
    """One emulator: its configuration, state, fault rules and request log."""

    config: EmulatorConfig
    store: Store
    faults: FaultSet
    log: RequestLog

    # --- plumbing ------------------------------------------------------------------------------------------

    def _authenticate(self, request: Request, scope: str) -> None:
        authorization = request.headers.get("authorization")
        granted: frozenset[str] | None = None
        if authorization is not None:
            kind, _, token = authorization.partition(" ")
            if kind.lower() == "bearer":
                granted = next(
                    (s for t, s in self.config.tokens.items() if hmac.compare_digest(t.encode(), token.encode())),
                    None,
                )
        else:
            email, key = request.headers.get("x-auth-email"), request.headers.get("x-auth-key")
            expected = self.config.global_keys.get(email or "")
            if key is not None and expected is not None and hmac.compare_digest(expected.encode(), key.encode()):
                granted = frozenset(cf.SCOPES)
        if granted is None:
            raise APIError(cf.AUTHENTICATION_ERROR)
        if scope not in effective_scopes(granted):
            raise APIError(cf.PERMISSION_ERROR)

    def api(self, scope: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint: ids checked, then credentials, then the handler; refusals become error envelopes."""

        async def endpoint(request: Request) -> Response:
            try:
                for key in ("account_id", "zone_id"):
                    value = request.path_params.get(key)
                    if value is not None and not _ID.match(value):
                        raise APIError(cf.INVALID_OBJECT_IDENTIFIER, path=request.url.path)
                self._authenticate(request, scope)
                answer = await handler(request)
            except APIError as error:
                return error_response(error)
            return JSONResponse(envelope(answer.result, info=answer.result_info))

        return endpoint

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise APIError(cf.MALFORMED_JSON) from None
        if not isinstance(data, dict):
            raise APIError(cf.MALFORMED_JSON)
        return data

    # --- account level: mTLS certificates ------------------------------------------------------------------

    async def upload(self, request: Request) -> Answer:
        account_id = request.path_params["account_id"]
        entitled = account_id not in self.config.non_enterprise_accounts
        body = await self._body(request)
        with self.store.mutate() as state:
            cert = mtls.upload_certificate(state, account_id, body, entitled=entitled)
        return Answer(mtls.certificate_result(cert, with_updated_at=True))

    async def list_certificates(self, request: Request) -> Answer:
        page, per_page = _paging(request)
        with self.store.read() as state:
            certs = mtls.list_certificates(state, request.path_params["account_id"])
            chosen = certs[(page - 1) * per_page : page * per_page]
            result = [mtls.certificate_result(cert) for cert in chosen]
        total = len(certs)
        info = {
            "page": page,
            "per_page": per_page,
            "count": len(result),
            "total_count": total,
            "total_pages": max(1, -(-total // per_page)),
        }
        return Answer(result, info)

    async def get_certificate(self, request: Request) -> Answer:
        with self.store.read() as state:
            cert = mtls.find_certificate(state, request.path_params["account_id"], request.path_params["cert_id"])
            return Answer(mtls.certificate_result(cert))

    async def delete_certificate(self, request: Request) -> Answer:
        params = request.path_params
        with self.store.mutate() as state:
            cert = mtls.delete_certificate(
                state, params["account_id"], params["cert_id"], time.time(), self.config.association_lag_seconds
            )
        return Answer(mtls.certificate_result(cert))

    async def certificate_usages(self, request: Request) -> Answer:
        with self.store.read() as state:
            cert = mtls.find_certificate(state, request.path_params["account_id"], request.path_params["cert_id"])
            result = mtls.usages(state, cert, time.time(), self.config.association_lag_seconds)
        info = {"page": 1, "per_page": max(1, len(result)), "count": len(result), "total_count": len(result)}
        return Answer(result, {**info, "total_pages": 1})

    # --- zone level: hostname associations -----------------------------------------------------------------

    async def get_hostnames(self, request: Request) -> Answer:
        with self.store.read() as state:
            hostnames = mtls.get_hostnames(
                state, request.path_params["zone_id"], request.query_params.get("mtls_certificate_id")
            )
        return Answer({"hostnames": hostnames})

    async def put_hostnames(self, request: Request) -> Answer:
        body = await self._body(request)
        with self.store.mutate() as state:
            hostnames = mtls.replace_hostnames(state, request.path_params["zone_id"], body, time.time())
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
        body = await self._body(request)
        return self._change(lambda state: rulesets.create_ruleset(state, request.path_params["zone_id"], body))

    async def add_rule(self, request: Request) -> Answer:
        body, p = await self._body(request), request.path_params
        return self._change(lambda state: rulesets.add_rule(state, p["zone_id"], p["ruleset_id"], body))

    async def patch_rule(self, request: Request) -> Answer:
        body, p = await self._body(request), request.path_params
        return self._change(lambda state: rulesets.patch_rule(state, p["zone_id"], p["ruleset_id"], p["rule_id"], body))

    async def delete_rule(self, request: Request) -> Answer:
        p = request.path_params
        return self._change(lambda state: rulesets.delete_rule(state, p["zone_id"], p["ruleset_id"], p["rule_id"]))

    def _change(self, operation: Callable[[State], Ruleset]) -> Answer:
        with self.store.mutate() as state:
            return Answer(rulesets.ruleset_result(operation(state)))

    # --- admin ---------------------------------------------------------------------------------------------

    async def admin_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(self.log.entries())

    async def admin_state(self, request: Request) -> Response:
        return JSONResponse(self.store.snapshot())

    async def admin_reset(self, request: Request) -> Response:
        self.store.reset()
        self.log.clear()
        self.faults.clear()
        return JSONResponse({"reset": True})

    async def admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                data = json.loads(await request.body())
                items = data if isinstance(data, list) else [data]
                self.faults.add([FaultRule.from_json(item) for item in items])
            except (ValueError, FaultSpecError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(self.faults.list())

    # --- assembly ------------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        p = cf.API_PREFIX
        certs = f"{p}/accounts/{{account_id}}/mtls_certificates"
        rules = f"{p}/zones/{{zone_id}}/rulesets"
        ssl_read, ssl_write, zone_ssl, waf = cf.SCOPES
        api = self.api
        return [
            Route(certs, api(ssl_read, self.list_certificates), methods=["GET"]),
            Route(certs, api(ssl_write, self.upload), methods=["POST"]),
            Route(certs + "/{cert_id}", api(ssl_read, self.get_certificate), methods=["GET"]),
            Route(certs + "/{cert_id}", api(ssl_write, self.delete_certificate), methods=["DELETE"]),
            Route(certs + "/{cert_id}/associations", api(ssl_read, self.certificate_usages), methods=["GET"]),
            Route(
                f"{p}/zones/{{zone_id}}/certificate_authorities/hostname_associations",
                api(zone_ssl, self.get_hostnames),
                methods=["GET"],
            ),
            Route(
                f"{p}/zones/{{zone_id}}/certificate_authorities/hostname_associations",
                api(zone_ssl, self.put_hostnames),
                methods=["PUT"],
            ),
            Route(rules, api(waf, self.create_ruleset), methods=["POST"]),
            Route(rules + "/phases/{phase}/entrypoint", api(waf, self.get_entrypoint), methods=["GET"]),
            Route(rules + "/{ruleset_id}", api(waf, self.get_ruleset), methods=["GET"]),
            Route(rules + "/{ruleset_id}/rules", api(waf, self.add_rule), methods=["POST"]),
            Route(rules + "/{ruleset_id}/rules/{rule_id}", api(waf, self.patch_rule), methods=["PATCH"]),
            Route(rules + "/{ruleset_id}/rules/{rule_id}", api(waf, self.delete_rule), methods=["DELETE"]),
            Route("/__emulator__/requests", self.admin_requests, methods=["GET", "DELETE"]),
            Route("/__emulator__/state", self.admin_state, methods=["GET"]),
            Route("/__emulator__/reset", self.admin_reset, methods=["POST"]),
            Route("/__emulator__/faults", self.admin_faults, methods=["GET", "POST", "DELETE"]),
        ]


def _paging(request: Request) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", str(cf.DEFAULT_PER_PAGE)))
    except ValueError:
        raise APIError(cf.QUERY_INVALID, detail="page and per_page must be integers") from None
    if page < 1 or not 1 <= per_page <= cf.MAX_PER_PAGE:
        raise APIError(cf.QUERY_INVALID, detail=f"page >= 1 and 1 <= per_page <= {cf.MAX_PER_PAGE}")
    return page, per_page


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer a v4 envelope, like Cloudflare."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    spec = cf.METHOD_NOT_ALLOWED if status == 405 else cf.NO_ROUTE if status == 404 else cf.SERVER_ERROR
    return JSONResponse(envelope(None, errors=[{"code": spec.code, "message": spec.message}]), status)


def create_app(emulator: Emulator) -> APILayer:
    """The ASGI application: the routes, wrapped by latency, faults and the request log."""
    app = Starlette(routes=emulator.routes(), exception_handlers={HTTPException: _http_error})
    return APILayer(app, faults=emulator.faults, log=emulator.log, latency_ms=emulator.config.latency_ms)
