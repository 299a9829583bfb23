"""The client-certificate subset of Cloudflare's Rules language: parse, type-check and evaluate.

Used by the emulator's mTLS edge, by ``cfmtls check-client`` and ``cfmtls inventory``, and by
``HostnameAssociation`` to read what a live rule of its own protects. Within the subset (fields
``http.host``, ``http.request.uri.path``, ``cf.tls_client_auth.*``; ``eq ne contains matches in`` and
``== != ~``; ``lower starts_with ends_with``; ``not and xor or`` and ``! && ^^ ||``; sets, parentheses,
string and integer literals) the parser accepts exactly what Cloudflare's engine (wirefilter) accepts:
the unit tests compare them. Anything else is :class:`CannotEvaluate`, never a guess.

:mod:`.enforcement` writes the one expression the provider generates (``ClientCertificateRule``: requests to
these hostnames without a verified client certificate), within Cloudflare's expression length limit.

Lark (the parser library) is imported on the first parse, not with this package.
"""

from __future__ import annotations

from .ast import Expression
from .errors import CannotEvaluate, ExpressionSyntaxError, RulesLanguageError
from .evaluator import FieldValue, evaluate
from .parser import parse
from .schema import CLIENT_AUTH_PREFIX, FIELDS, FieldType

__all__ = [
    "CLIENT_AUTH_PREFIX",
    "FIELDS",
    "CannotEvaluate",
    "Expression",
    "ExpressionSyntaxError",
    "FieldType",
    "FieldValue",
    "RulesLanguageError",
    "evaluate",
    "parse",
]
