"""The check that a ``cfmtls ... --json`` output follows its command's schema (cfmtls_provider/cli/schema.py)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from cfmtls_provider.cli.schema import SCHEMAS

__all__ = ["assert_follows", "strict"]


def strict(schema: Any) -> Any:
    """The schema with no field beyond those it names: every field the command prints must be documented (the
    published schema lets readers meet fields added later, which keep the version)."""
    if isinstance(schema, dict):
        tightened = {key: strict(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            tightened["additionalProperties"] = False
        return tightened
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def assert_follows(command: str, data: Any) -> None:
    errors = sorted(Draft202012Validator(strict(SCHEMAS[command])).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)
