"""What each resource costs in the stack's state: bytes per resource, by part, from ``pulumi stack export``.

The engine writes the whole state at every checkpoint, so each byte a resource carries is written again at every
step of every run (with checkpoints on). Sizes are of compact JSON (``separators=(",", ":")``), key included;
properties of ``inputs`` and ``outputs`` are counted one by one (``outputs.__provider``), every other part of a
resource as a whole (``stackTrace``, ``propertyDependencies``). ``python -m bench.state_size EXPORT.json`` prints
the table of one export.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["StateSize", "part_sizes"]

_SPLIT = ("inputs", "outputs")


def _bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def part_sizes(resource: dict[str, Any]) -> dict[str, int]:
    """Bytes of each part of one resource of the export, as ``"key": value`` (without the comma between parts)."""
    parts: dict[str, int] = {}
    for key, value in resource.items():
        if key in _SPLIT and isinstance(value, dict):
            for name, item in value.items():
                parts[f"{key}.{name}"] = _bytes({name: item}) - 2
            parts[f"{key} (braces and key)"] = _bytes({key: {}}) - 2
        else:
            parts[key] = _bytes({key: value}) - 2
    return parts


@dataclass
class TypeSize:
    """The resources of one type: how many, their bytes in all and by part."""

    count: int = 0
    total: int = 0
    parts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stack_frames: int = 0

    def add(self, resource: dict[str, Any]) -> None:
        self.count += 1
        self.total += _bytes(resource)
        for part, size in part_sizes(resource).items():
            self.parts[part] += size
        self.stack_frames += len(resource.get("stackTrace") or [])


@dataclass
class StateSize:
    """A stack's state: the export's bytes, and per resource type the bytes by part."""

    export_bytes: int
    resources: int
    types: dict[str, TypeSize]

    @classmethod
    def of_export(cls, export: str) -> StateSize:
        deployment = json.loads(export)["deployment"]
        types: dict[str, TypeSize] = defaultdict(TypeSize)
        counted = 0
        for resource in deployment.get("resources") or []:
            if resource.get("custom") and not str(resource["type"]).startswith("pulumi:providers:"):
                types[resource["type"]].add(resource)
                counted += 1
        return cls(len(export.encode()), counted, dict(types))

    def as_json(self) -> dict[str, Any]:
        parts: dict[str, int] = defaultdict(int)
        for size in self.types.values():
            for part, total in size.parts.items():
                parts[part] += total
        count = self.resources or 1
        return {
            "export_bytes": self.export_bytes,
            "resources": self.resources,
            # As the export prints it (indented JSON), and compact, as the file backend writes its checkpoints.
            "bytes_per_resource": round(self.export_bytes / count),
            "compact_bytes_per_resource": round(sum(size.total for size in self.types.values()) / count),
            "parts_per_resource": {
                part: round(total / count) for part, total in sorted(parts.items(), key=lambda item: -item[1])
            },
            "types": {
                name: {
                    "count": size.count,
                    "bytes_per_resource": round(size.total / size.count),
                    "stack_frames_per_resource": round(size.stack_frames / size.count, 1),
                    "parts": {
                        part: round(total / size.count)
                        for part, total in sorted(size.parts.items(), key=lambda item: -item[1])
                    },
                }
                for name, size in sorted(self.types.items())
            },
        }


def markdown(state: dict[str, Any]) -> list[str]:
    """Per resource type, its bytes per resource by part, largest first."""
    lines = []
    for name, size in state["types"].items():
        lines += [
            f"`{name}` x {size['count']}: {size['bytes_per_resource']} bytes per resource "
            f"({size['stack_frames_per_resource']:g} stack frames)",
            "",
            "| part | bytes per resource |",
            "|---|---:|",
            *(f"| `{part}` | {size_} |" for part, size_ in size["parts"].items()),
            "",
        ]
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.state_size EXPORT.json  (the output of `pulumi stack export`)", file=sys.stderr)
        return 2
    state = StateSize.of_export(Path(argv[0]).read_text()).as_json()
    print(f"{state['export_bytes']} bytes for {state['resources']} resources: {state['bytes_per_resource']} each\n")
    print("\n".join(markdown(state)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
