"""What a resource records in the stack: its state keys (one ``TypedDict`` per resource, shared by the class's
declared ``pulumi.Output`` attributes, its ``_outputs`` and its ``read``), its id, and the one rule for what
``read`` returns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pulumi.dynamic import ReadResult

__all__ = ["read_result", "split_zone_scoped_id", "state_keys", "unset_outputs", "zone_scoped_id"]


def state_keys(state: type) -> tuple[str, ...]:
    """The keys of a resource's state ``TypedDict``, in declaration order."""
    return tuple(state.__annotations__)


def unset_outputs(state: type) -> dict[str, Any]:
    """Every state key as ``None``: the constructor registers them so that each declared ``pulumi.Output``
    attribute exists (Pulumi fills it from the provider's outputs); the inputs are laid over these."""
    return dict.fromkeys(state_keys(state))


def zone_scoped_id(zone_id: str, name: str) -> str:
    """The id of an object that lives in a zone: ``<zone_id>/<name>``."""
    return f"{zone_id}/{name}"


def split_zone_scoped_id(id_: str) -> tuple[str, str]:
    """The ``(zone_id, name)`` of a :func:`zone_scoped_id`."""
    zone_id, _, name = id_.partition("/")
    return zone_id, name


def read_result(
    id_: str | None,
    outs: Mapping[str, Any],
    live_inputs: Collection[str] = (),
    recorded: Mapping[str, Any] | None = None,
) -> ReadResult:
    """What every ``read`` (``pulumi refresh``) returns, by one rule.

    - Gone at Cloudflare: pass ``id_=None``: ``ReadResult(None, {})``, and the engine drops the resource from
      the stack (the next ``pulumi up`` creates it again).
    - Otherwise ``outs`` is the whole state (every key of the resource's state ``TypedDict``): Cloudflare's
      values where it gives them, the recorded ones elsewhere.
    - ``inputs``: Pulumi documents ``ReadResult.inputs`` as "the input properties to use for subsequent diffs;
      if not provided, inputs will remain unchanged" (pulumi/dynamic/dynamic.py).
      - Nothing drifted (``outs`` equals the ``recorded`` outputs): ``None``, so the inputs stay exactly as the
        last ``pulumi up`` recorded them. Any other inputs would differ from what the program's next check
        records, and the engine writes its checkpoint (the whole state) after every "same" step whose inputs
        differ (``sameSnapshotMutation.mustWrite`` in pulumi/pkg/backend/snapshot.go): a no-op ``pulumi up``
        after a refresh, or ``pulumi up --refresh``, would write the state once per resource, quadratic in the
        stack's size (docs/benchmarks.md, "A refresh leaves the inputs as recorded").
      - A drift: the inputs a program would pass to declare the object as it is now: the keys in
        ``live_inputs`` (those Cloudflare lets anyone change in place, and those that identify the object),
        taken from ``outs``, leaving out values a program leaves out (None and ""). The drift then shows in the
        next preview as the property that changed (``~ action: "log" => "block"``), and ``pulumi up`` puts it
        back.
    - A resource with no input Cloudflare can change in place (``live_inputs`` empty: an uploaded CA cannot be
      edited) returns ``inputs=None``: the engine keeps the inputs recorded at the last ``pulumi up`` (``read``
      sees the outputs only, which lack ``private_key``, so it could not rebuild them).
    """
    if id_ is None:
        return ReadResult(None, {})
    unchanged = recorded is not None and all(recorded.get(key) == value for key, value in outs.items())
    inputs = None if unchanged else {key: outs[key] for key in live_inputs if outs.get(key) not in (None, "")}
    return ReadResult(id_, dict(outs), inputs or None)
