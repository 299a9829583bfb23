"""Cloudflare's v4 answer envelope: ``{"success", "errors", "messages", "result"}`` (plus ``result_info``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from .assumptions import ErrorSpec
from .errors import APIError

__all__ = ["Answer", "envelope", "error_response", "spec_response"]


@dataclass
class Answer:
    """What a handler returns: the ``result`` and, for lists, the ``result_info``."""

    result: Any
    result_info: dict[str, int] | None = None
    status: int = 200


def envelope(result: Any, *, errors: list[dict[str, Any]] | None = None, info: dict[str, int] | None = None) -> Any:
    body: dict[str, Any] = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return body


def error_response(error: APIError) -> JSONResponse:
    return JSONResponse(envelope(None, errors=[error.detail()]), error.status)


def spec_response(spec: ErrorSpec, status: int | None = None) -> JSONResponse:
    """The error envelope of ``spec`` (its own status unless ``status`` is given)."""
    body = envelope(None, errors=[{"code": spec.code, "message": spec.message}])
    return JSONResponse(body, spec.status if status is None else status)
