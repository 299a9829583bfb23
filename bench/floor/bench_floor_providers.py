"""A dynamic provider whose every method returns at once (kept in a module so it pickles by reference)."""

import hashlib
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

_NOT_INPUTS = frozenset({"__provider", "outs"})


class InstantProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Compare inputs only: "outs" is an output (None in the inputs) and "__provider" is the engine's.
        keys = [k for k in news if k not in _NOT_INPUTS]
        changed = any(news[k] != olds.get(k) for k in keys)
        return DiffResult(changes=changed, replaces=["pem"] if olds.get("pem") != news.get("pem") else [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        digest = hashlib.sha256(repr(sorted(props.items())).encode()).hexdigest()[:16]
        return CreateResult(digest, {**props, "outs": props.get("hostnames")})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, "outs": news.get("hostnames")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class Instant(Resource):
    outs: pulumi.Output[Any]

    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__(InstantProvider(), name, {**props, "outs": None})
