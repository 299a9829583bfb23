"""The JSON that ``cfmtls inventory --json``, ``check-client --json`` and ``confirm-assumptions --json`` print, defined once (JSON Schema,
draft 2020-12), so that a CI gate can rely on it.

Every output is one object whose ``schema_version`` is :data:`SCHEMA_VERSION`. The version changes when a field
is removed or renamed, or its type or meaning changes; a new field does not change it, so read the fields you know
and ignore the others. Numbers are JSON numbers, flags are booleans, times are ISO 8601 strings in UTC; every field
is always present, and a value this tool could not tell is ``null``. Strings from Cloudflare are as Cloudflare
gives them (``--json`` escapes nothing; the text output shows control characters as escapes).

``python -m cfmtls_provider.cli.schema --write docs/cli-json.md`` puts these schemas into the document.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..generated_section import replace_generated_section

__all__ = ["CHECK_CLIENT", "CONFIRM_ASSUMPTIONS", "INVENTORY", "SCHEMAS", "SCHEMA_VERSION", "render_docs"]

SCHEMA_VERSION = 1

JSON = dict[str, Any]

STRING: JSON = {"type": "string"}
STRINGS: JSON = {"type": "array", "items": STRING}
INTEGER: JSON = {"type": "integer"}
BOOLEAN: JSON = {"type": "boolean"}
TIME: JSON = {"type": "string", "format": "date-time"}


def _maybe(schema: JSON) -> JSON:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def _object(what: str, /, **properties: JSON) -> JSON:
    """An object ``what`` with these fields, each always present (a reader should still allow new ones)."""
    return {"type": "object", "description": what, "properties": properties, "required": list(properties)}


def _array(items: JSON) -> JSON:
    return {"type": "array", "items": items}


def _document(command: str, what: str, /, **properties: JSON) -> JSON:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"cfmtls {command} --json, schema version {SCHEMA_VERSION}",
        **_object(
            what,
            schema_version={"const": SCHEMA_VERSION},
            command={"const": command},
            **properties,
        ),
    }


_FINDING = _object(
    "One finding; the ids say what it is about (null when it is not about one).",
    severity={"enum": ["error", "warning", "info"]},
    code={"type": "string", "description": "e.g. associated-not-enforced, ca-expiring, quota (README)"},
    message=STRING,
    zone_id=_maybe(STRING),
    hostname=_maybe(STRING),
    ca_id=_maybe(STRING),
    rule_id=_maybe(STRING),
    extra={
        "type": "object",
        "description": "facts of some findings: quota {used, limit}; pinned-ski-not-associated {ski}",
        "additionalProperties": {"type": ["string", "integer"]},
    },
)

INVENTORY: JSON = _document(
    "inventory",
    "The account's CAs, each zone's hostname associations and client-certificate rules, and the findings.",
    account_id=STRING,
    read_at=TIME,
    quota=_object("CA slots: used of the account's limit", used=INTEGER, limit=INTEGER),
    cas=_array(
        _object(
            "An uploaded CA.",
            id=STRING,
            name=STRING,
            type={"type": "string", "description": "custom, gateway_managed or access_managed; '' if not given"},
            issuer=STRING,
            ski=_maybe({"type": "string", "description": "SKI (hex) of the CA that issues client certificates"}),
            not_after=_maybe(TIME),
            days_left=_maybe(INTEGER),
            expires_on={"type": "string", "description": "as Cloudflare gives it"},
            uploaded_on=STRING,
        )
    ),
    zones=_array(
        _object(
            "One zone read.",
            id=STRING,
            name=STRING,
            associations=_array(
                _object(
                    "The hostnames associated with one CA ('managed': Cloudflare's)", ca_id=STRING, hostnames=STRINGS
                )
            ),
            client_certificate_rules=_array(
                _object(
                    "A custom rule reading cf.tls_client_auth.* (ours or not).",
                    position={"type": "integer", "minimum": 1},
                    id=STRING,
                    ref=STRING,
                    description=STRING,
                    action=STRING,
                    enabled=BOOLEAN,
                    ours=BOOLEAN,
                    enforces={**STRINGS, "description": "associated hostnames this rule blocks without a client cert"},
                    expression=STRING,
                )
            ),
        )
    ),
    findings=_array(_FINDING),
)

CHECK_CLIENT: JSON = _document(
    "check-client",
    "Would Cloudflare let this client through to this hostname, and why.",
    hostname=STRING,
    path=STRING,
    decision={"enum": ["allowed", "refused", "unknown"], "description": "exit status 0, 1, 3"},
    reason=STRING,
    rule=_maybe(_object("The rule that decided.", id=STRING, description=STRING, action=STRING)),
    associated_cas=STRINGS,
    verified_against=STRINGS,
    failure=_maybe({"type": "string", "description": "why the certificate does not verify"}),
    fields={
        "type": "object",
        "description": "the cf.tls_client_auth.* fields the rules see",
        "additionalProperties": {"type": ["string", "boolean"]},
    },
    rules=_array(
        _object(
            "An enabled custom rule, in order.",
            id=STRING,
            action=STRING,
            matched=_maybe(BOOLEAN),
            reason=STRING,
        )
    ),
)

CONFIRM_ASSUMPTIONS: JSON = _document(
    "confirm-assumptions",
    "Each UNCONFIRMED assumption of the emulator, checked against the account (docs/confirming-assumptions.md).",
    account_id=STRING,
    zone_id=STRING,
    domain=STRING,
    read_only=BOOLEAN,
    assumptions=_array(
        _object(
            "One assumption, in the order of cfmtls_provider/emulator/assumptions.py.",
            name={"type": "string", "description": "the constant's name"},
            verdict={"enum": ["confirmed", "refuted", "not checked"], "description": "refuted: exit status 1"},
            evidence={"type": "string", "description": "what was sent and answered; or why it was not checked"},
        )
    ),
    left_behind={**STRINGS, "description": "what could not be removed, each with its id (exit status 2)"},
    requests=INTEGER,
)

SCHEMAS: dict[str, JSON] = {
    "inventory": INVENTORY,
    "check-client": CHECK_CLIENT,
    "confirm-assumptions": CONFIRM_ASSUMPTIONS,
}

_DOC_BEGIN = "<!-- begin: generated by python -m cfmtls_provider.cli.schema --write docs/cli-json.md -->"
_DOC_END = "<!-- end: generated -->"


def _markdown() -> str:
    parts = []
    for command, schema in SCHEMAS.items():
        parts += [f"### `cfmtls {command} --json`", "", "```json", json.dumps(schema, indent=2), "```", ""]
    return "\n".join(parts).rstrip("\n")


def render_docs(current: str) -> str:
    """The document with its generated schema section replaced by the current schemas."""
    return replace_generated_section(current, _DOC_BEGIN, _DOC_END, _markdown())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the JSON schemas of cfmtls --json, or update a document.")
    parser.add_argument("--write", type=Path, help="update this Markdown file in place")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(json.dumps(SCHEMAS, indent=2) + "\n")
        return 0
    path: Path = args.write
    path.write_text(render_docs(path.read_text(encoding="utf-8") if path.exists() else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
