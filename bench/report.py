"""The benchmark's report: results as JSON, and as the generated section of docs/benchmarks.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cfmtls_provider.generated_section import replace_generated_section

from .plan import OPERATION_TITLES, SIZES

__all__ = ["markdown", "write_json", "write_markdown"]

MARK_START = "<!-- bench:results:start (written by bench/run.py; edits inside are overwritten) -->"
MARK_END = "<!-- bench:results:end -->"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(results: dict[str, Any]) -> str:
    """The results section (without its markers)."""
    m, settings = results["machine"], results["settings"]
    lines = [
        "",
        f"Measured {m['date']} on {m['nproc']} CPUs, {m['memory_gib']} GiB, {m['python']}, {m['pulumi'] or 'pulumi ?'} "
        f"({m['platform']}); emulator latency {settings['latency_ms']:g} ms per API call; "
        f"{settings['repeat']} repeat(s); times in seconds (wall time of the CLI command).",
        "",
    ]
    for name, size in results["sizes"].items():
        lines += [
            f"### {name}: {SIZES[name].describe() if name in SIZES else ''}",
            "",
            "| operation | min | median | max | floor median | ratio | reads | writes | min reads | min writes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for operation, o in size["operations"].items():
            over = " **+**" if o["reads"] > o["min_reads"] or o["writes"] > o["min_writes"] else ""
            ratio = "-" if o["ratio"] is None else f"{o['ratio']:.1f}x"
            lines.append(
                f"| {OPERATION_TITLES.get(operation, operation)}{over} | {_s(o['min'])} | {_s(o['median'])} | "
                f"{_s(o['max'])} | {_s(o['floor_median'])} | {ratio} | {o['reads']} | {o['writes']} | "
                f"{o['min_reads']} | {o['min_writes']} |"
            )
        lines.append("")
        extra = [
            (operation, o)
            for operation, o in size["operations"].items()
            if o["reads"] > o["min_reads"] or o["writes"] > o["min_writes"]
        ]
        if extra:
            lines += [f"Calls of the operations above their minimum ({name}):", ""]
            for operation, o in extra:
                shapes = ", ".join(f"`{shape}` x{count}" for shape, count in o["calls"].items())
                lines.append(f"- {OPERATION_TITLES.get(operation, operation)}: {shapes}")
            lines.append("")
    startup = results["startup"]
    lines += [
        "### Provider process start-up",
        "",
        "| command | min | median | max |",
        "|---|---:|---:|---:|",
    ]
    for name, t in startup["wall_seconds"].items():
        lines.append(f"| `{name}` | {t['min']:.3f} | {t['median']:.3f} | {t['max']:.3f} |")
    lines += [
        "",
        f"`python -X importtime -c 'import cfmtls_provider'`: {startup['importtime_total_ms']:.0f} ms of imports in all "
        "(importtime's own overhead included), by package (self time of the package and its submodules):",
        "",
        "| package | ms |",
        "|---|---:|",
    ]
    lines += [f"| `{package}` | {ms:.0f} |" for package, ms in startup["importtime_by_package_ms"].items()]
    if results["problems"]:
        lines += ["", "Problems seen during the run:", ""] + [f"- {p}" for p in results["problems"]]
    lines.append("")
    return "\n".join(lines)


def write_markdown(path: Path, section: str) -> None:
    """Replace the results section of ``path`` (or append it), leaving the rest of the document alone."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_generated_section(text, MARK_START, MARK_END, section))


def write_json(path: Path, results: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(path)
