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
    latency = settings["latency_ms"]
    latencies = " and ".join(f"{value:g}" for value in latency) if isinstance(latency, list) else f"{latency:g}"
    limit = settings.get("rate_limit")
    budget = (
        f"; API budget {limit['quota']} calls per {limit['window_seconds']:g} s per token"
        + (f" at {limit['time_scale']:g}x speed" if limit["time_scale"] != 1 else "")
        if limit
        else ""
    )
    lines = [
        "",
        f"Measured {m['date']} on {m['nproc']} CPUs, {m['memory_gib']} GiB, {m['python']}, {m['pulumi'] or 'pulumi ?'} "
        f"({m['platform']}); emulator latency {latencies} ms per API call{budget}; "
        f"{settings['repeat']} repeat(s); times in seconds (wall time of the CLI command).",
        "",
    ]
    for name, size in results["sizes"].items():
        plan = SIZES.get(size.get("size", name))
        lines += [
            f"### {name}: {plan.describe() if plan else ''}",
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
        lines += _budget_table(name, size)
    lines += _engine_growth(results)
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


def _budget_table(name: str, size: dict[str, Any]) -> list[str]:
    """Per operation: every call the token made (the other client's too), 429s, lock-outs, the busiest window."""
    rows = [(operation, o) for operation, o in size["operations"].items() if o.get("budget")]
    if not rows:
        return []
    lines = [
        f"API budget ({name}): all calls of the token in the operation, answers 429, lock-outs run into, most calls "
        "in any one window, and the budget floor (calls / (quota / window)) beside the wall time and the engine floor.",
        "",
        "| operation | calls | 429s | lock-outs | peak calls / window | budget floor | median | engine floor | "
        "provider MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for operation, o in rows:
        b = o["budget"]
        lines.append(
            f"| {OPERATION_TITLES.get(operation, operation)} | {b['all_calls']} | {b['throttled']} | {b['lockouts']} | "
            f"{b['peak_window_calls']} | {b['budget_floor_seconds']:.1f} | {_s(o['median'])} | "
            f"{_s(o['floor_median'])} | {o.get('provider_mib') or '-'} |"
        )
    return [*lines, ""]


def _engine_growth(results: dict[str, Any]) -> list[str]:
    """The engine floor per size: how its cost grows with the number of resources."""
    sizes = [(name, size) for name, size in results["sizes"].items() if size["operations"]["up"]["floor_median"]]
    if len(sizes) < 2:
        return []
    lines = [
        "### Engine cost by size (the floor: providers that return at once)",
        "",
        "| size | resources | up | ms per resource | refresh | destroy | floor provider MiB | stack provider MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in sizes:
        o = size["operations"]
        up, resources = o["up"]["floor_median"], size["resources"]
        lines.append(
            f"| {name} | {resources} | {_s(up)} | {1000 * up / resources:.0f} | {_s(o['refresh']['floor_median'])} | "
            f"{_s(o['destroy']['floor_median'])} | {o['up'].get('floor_provider_mib') or '-'} | "
            f"{o['up'].get('provider_mib') or '-'} |"
        )
    return [*lines, ""]


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
