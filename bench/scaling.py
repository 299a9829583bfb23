"""The per-resource report of ``python -m bench.run --scaling``: how each operation's cost per resource grows with
the stack, with and without checkpoints, beside the engine floor's same operation in the same run; with
``--before COMMIT``, the same for the package at that commit (bench/baseline.py), and issue 25's targets checked.

A cost that is linear in the number of resources n is flat per resource; a quadratic one grows like n. The table
goes between its own markers in docs/benchmarks.md, the plot (log-log, one line per operation, one panel per
checkpoint setting and package) is a PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfmtls_provider.generated_section import replace_generated_section
from tests.support.pulumi_stack import REPO

from .plan import OPERATION_TITLES

__all__ = ["DEFAULT_OUT", "DEFAULT_PLOT", "ENFORCE_BUDGET", "Point", "is_scaling", "markdown", "points", "write_report"]

DEFAULT_OUT = REPO / "bench" / "results" / "scaling.json"
DEFAULT_PLOT = REPO / "docs" / "benchmarks-scaling.png"
#: The report measures the engine and the package, not Cloudflare's rate limit (docs/benchmarks.md has the budget's
#: own runs): the emulator counts the calls against the budget but does not enforce it. Enforced at any speed, it
#: set the pace: the headers give whole seconds, so a window of 0.3 s (1000x) is announced as one of 1 s, and past
#: 1176 calls in that second the pacer waits for the reset it was told (the destroy of 1005 resources, 4005 calls,
#: paused three times, about 1.5 s in 7.5 s).
ENFORCE_BUDGET = False
MARK_START = "<!-- bench:scaling:start (written by python -m bench.run --scaling; edits inside are overwritten) -->"
MARK_END = "<!-- bench:scaling:end -->"
CHECKPOINTS = {False: "checkpoints on (Pulumi's default)", True: "checkpoints skipped (PULUMI_SKIP_CHECKPOINTS=true)"}
#: Issue 25's "done when", for the largest size against the smallest: with checkpoints skipped, each operation
#: within this ratio of the floor's same operation, and its time per resource growing by less than this factor.
TARGET_RATIO_SKIPPED = 1.3
TARGET_GROWTH_SKIPPED = 1.5


def is_scaling(results: dict[str, Any]) -> bool:
    return bool(results["settings"].get("scaling"))


@dataclass(frozen=True)
class Point:
    """One operation at one size and checkpoint setting: seconds of the stack and of the floor (medians)."""

    operation: str
    skip_checkpoints: bool
    resources: int
    seconds: float
    floor_seconds: float | None
    #: "" for this checkout, else the commit of a ``--before`` baseline.
    package: str = ""

    @property
    def ms_per_resource(self) -> float:
        return 1000 * self.seconds / self.resources

    @property
    def floor_ms_per_resource(self) -> float | None:
        return None if self.floor_seconds is None else 1000 * self.floor_seconds / self.resources

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None


def points(results: dict[str, Any]) -> list[Point]:
    return [
        Point(
            operation,
            bool(size.get("skip_checkpoints")),
            size["resources"],
            o["median"],
            o["floor_median"],
            size.get("package", ""),
        )
        for size in results["sizes"].values()
        for operation, o in size["operations"].items()
    ]


def _series(all_points: list[Point]) -> dict[tuple[str, bool, str], list[Point]]:
    """The points of each (package, checkpoint setting, operation), by growing size."""
    series: dict[tuple[str, bool, str], list[Point]] = {}
    for point in sorted(all_points, key=lambda p: p.resources):
        series.setdefault((point.package, point.skip_checkpoints, point.operation), []).append(point)
    return series


def _packages(results: dict[str, Any]) -> list[str]:
    """This checkout first, then the ``--before`` baseline if measured."""
    return sorted({p.package for p in points(results)}, key=lambda package: package != "")


def _package_title(package: str) -> str:
    if not package:
        return "After: this checkout"
    return f"Before: the package at {package} (its own bench stack and floor)"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _cell(point: Point) -> str:
    floor = point.floor_ms_per_resource
    ratio = f", {point.ratio:.1f}x" if point.ratio is not None else ""
    return f"{_ms(point.ms_per_resource)} ({_ms(floor)}{ratio})"


def _growth(first: float | None, last: float | None) -> str:
    return "-" if not first or last is None else f"x{last / first:.1f}"


def _budget(limit: dict[str, Any]) -> str:
    """How the run treated the API budget (older runs enforced it at a time scale, so that it rarely set the pace)."""
    if limit.get("enforced", True):
        return f"its API budget enforced at {limit['time_scale']:g}x speed"
    return "its API budget counted, not enforced (so that it never sets the pace)"


def markdown(results: dict[str, Any]) -> str:
    """The section: per package and checkpoint setting, ms per resource of each operation at each size, beside the
    floor; issue 25's targets; the state's size."""
    m, settings = results["machine"], results["settings"]
    series = _series(points(results))
    sizes = sorted({p.resources for p in points(results)})
    before = settings.get("before")
    command = "python -m bench.run --scaling" + (f" --before {before}" if before else "")
    load = f"; load average {settings['load']}" if settings.get("load") else ""
    lines = [
        "",
        f"Measured {m['date']} on {m['nproc']} CPUs, {m['python']}, {m['pulumi']}; emulator latency "
        f"{settings['latency_ms']:g} ms per API call, {_budget(settings['rate_limit'])}; {settings['repeat']} repeat(s) (median); the whole run took "
        f"{settings.get('run_minutes', '?')} minutes (`{command}`{load}).",
        "",
        "Each cell: the stack's milliseconds per resource (wall time of the command / resources), then the engine "
        "floor's (`bench/floor`, same graph, providers that return at once) and the stack's ratio to it. Growth: "
        "per-resource cost at the largest size over the smallest (x1.0 is linear; a quadratic cost grows like the "
        "resources).",
        "",
    ]
    header = " | ".join(f"{n} resources" for n in sizes)
    packages = _packages(results)
    for package in packages:
        if len(packages) > 1:
            lines += [f"#### {_package_title(package)}", ""]
        for skip, title in CHECKPOINTS.items():
            rows = [(operation, pts) for (pk, s, operation), pts in series.items() if pk == package and s == skip]
            if not rows:
                continue
            lines += [
                f"**{title}**",
                "",
                f"| operation | {header} | growth, stack | growth, floor |",
                "|---|" + "---:|" * (len(sizes) + 2),
            ]
            for operation, pts in rows:
                by_size = {p.resources: p for p in pts}
                cells = " | ".join(_cell(by_size[n]) if n in by_size else "-" for n in sizes)
                lines.append(
                    f"| {OPERATION_TITLES.get(operation, operation)} | {cells} | "
                    f"{_growth(pts[0].ms_per_resource, pts[-1].ms_per_resource)} | "
                    f"{_growth(pts[0].floor_ms_per_resource, pts[-1].floor_ms_per_resource)} |"
                )
            lines.append("")
    lines += _targets(series, sizes)
    lines += _cpu_split(results, sizes[-1] if sizes else 0)
    lines += _state_sizes(results)
    lines.append(f"![ms per resource against resources, log-log](benchmarks-scaling.png) ({_plot_note()})")
    if results["problems"]:
        lines += ["", "Problems seen during the run:", ""] + [f"- {p}" for p in results["problems"]]
    lines.append("")
    return "\n".join(lines)


def _cpu_split(results: dict[str, Any], resources: int) -> list[str]:
    """Where the stack's time beyond the floor's goes at ``resources``: CPU seconds of Pulumi's processes (engine,
    program, providers) and of the emulator (Cloudflare's stand-in, which the floor never calls), this checkout."""
    rows = []
    for size in results["sizes"].values():
        if size["resources"] != resources or size.get("package"):
            continue
        setting = "skipped" if size.get("skip_checkpoints") else "on"
        for operation, o in size["operations"].items():
            cpu, floor_cpu = o.get("cpu"), o.get("floor_cpu")
            if not cpu or not floor_cpu:
                continue
            rows.append(
                f"| {OPERATION_TITLES.get(operation, operation)}, checkpoints {setting} | {o['median']:.1f} | "
                f"{o['floor_median']:.1f} | {cpu['pulumi']:.1f} | {floor_cpu['pulumi']:.1f} | {cpu['emulator']:.1f} | "
                f"{o['reads'] + o['writes']} |"
            )
    if not rows:
        return []
    return [
        f"Where the time goes at {resources} resources (this checkout; CPU seconds on {results['machine']['nproc']} CPUs"
        " shared by every process): Pulumi's processes (the CLI and its engine, the language host, the program, the "
        "providers) for the stack and for the floor, and the emulator answering the stack's API calls (the floor "
        "makes none; the emulator runs in the bench's process, whose sampling of the provider's memory is counted "
        "with it).",
        "",
        "| operation | stack, s | floor, s | CPU: Pulumi's processes, stack | same, floor | CPU: emulator | API calls |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]


def _targets(series: dict[tuple[str, bool, str], list[Point]], sizes: list[int]) -> list[str]:
    """This checkout against issue 25's "done when", at the largest size against the smallest."""
    if len(sizes) < 2:
        return []
    first, last = sizes[0], sizes[-1]
    rows = []
    for operation in dict.fromkeys(op for (package, _, op) in series if not package):
        skipped = {p.resources: p for p in series.get(("", True, operation), [])}
        on = {p.resources: p for p in series.get(("", False, operation), [])}
        cells = ["-", "-", "-"]
        ratio = skipped[last].ratio if first in skipped and last in skipped else None
        if ratio is not None:
            growth = skipped[last].ms_per_resource / skipped[first].ms_per_resource
            cells[:2] = [
                _verdict(ratio, ratio <= TARGET_RATIO_SKIPPED),
                _verdict(growth, growth < TARGET_GROWTH_SKIPPED),
            ]
        small, large = (on[first].ratio, on[last].ratio) if first in on and last in on else (None, None)
        if small is not None and large is not None:
            cells[2] = f"{small:.2f}x -> {large:.2f}x ({'met' if large <= small else 'not met'})"
        rows.append(f"| {OPERATION_TITLES.get(operation, operation)} | {' | '.join(cells)} |")
    return [
        f"Issue 25's targets (this checkout, {last} resources against {first}):",
        "",
        f"| operation | checkpoints skipped: ratio to the floor at {last} (target <= {TARGET_RATIO_SKIPPED}x) | "
        f"checkpoints skipped: growth per resource {first} -> {last} (target < x{TARGET_GROWTH_SKIPPED}) | "
        f"checkpoints on: ratio to the floor at {first} -> {last} (target: no worse) |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ]


def _verdict(value: float, met: bool) -> str:
    return f"{value:.2f} ({'met' if met else 'not met'})"


def _plot_note() -> str:
    return "solid: the stack, dashed: the floor; a flat line is linear, a line rising like the dotted guide quadratic"


def _state_sizes(results: dict[str, Any]) -> list[str]:
    """Bytes per resource of the state after the create, by package and size."""
    sized = [
        (size.get("package", ""), size["resources"], size["state"])
        for size in results["sizes"].values()
        if size.get("state") and not size.get("skip_checkpoints")
    ]
    if not sized:
        return []
    lines = [
        "State after the create, bytes per resource: as `pulumi stack export` prints it (indented JSON), as compact "
        "JSON (what the file backend writes at every checkpoint), and the largest parts (compact; "
        "`bench/state_size.py`).",
        "",
        "| package | resources | stack | compact | stackTrace | `__provider` (inputs + outputs) | floor | floor compact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for package, resources, state in sorted(sized, key=lambda item: (item[0] != "", item[1])):
        stack, floor = state["stack"], state.get("floor", {})
        parts = stack.get("parts_per_resource", {})
        provider = parts.get("inputs.__provider", 0) + parts.get("outputs.__provider", 0)
        lines.append(
            f"| {package or 'this checkout'} | {resources} | {stack['bytes_per_resource']} | "
            f"{stack.get('compact_bytes_per_resource', '-')} | {parts.get('stackTrace', '-')} | {provider} | "
            f"{floor.get('bytes_per_resource', '-')} | {floor.get('compact_bytes_per_resource', '-')} |"
        )
    return [*lines, ""]


def plot(results: dict[str, Any], path: Path) -> None:
    """A PNG: one panel per checkpoint setting (columns) and package (rows: this checkout, then a --before
    baseline), ms per resource against resources on log-log axes, all panels on the same scale."""
    import matplotlib  # the bench extra: pip install -e '.[bench]'

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    series = _series(points(results))
    sizes = sorted({p.resources for p in points(results)})
    settings = [skip for skip in CHECKPOINTS if any(s == skip for _, s, _ in series)]
    packages = _packages(results)
    figure, axes = plt.subplots(
        len(packages),
        len(settings),
        figsize=(6.2 * len(settings), 0.6 + 4.6 * len(packages)),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    operations = list(dict.fromkeys(operation for _, _, operation in series))
    colours = {operation: f"C{index}" for index, operation in enumerate(operations)}
    for row, package in zip(axes, packages, strict=True):
        for axis, skip in zip(row, settings, strict=True):
            for operation in operations:
                pts = series.get((package, skip, operation), [])
                xs = [p.resources for p in pts]
                colour = colours[operation]
                axis.plot(xs, [p.ms_per_resource for p in pts], "o-", color=colour, label=OPERATION_TITLES[operation])
                floor = [(p.resources, p.floor_ms_per_resource) for p in pts if p.floor_ms_per_resource]
                if floor:
                    axis.plot([x for x, _ in floor], [y for _, y in floor], "x--", color=colour, alpha=0.7)
            all_ms = [
                p.ms_per_resource for (pk, s, _), pts in series.items() if pk == package and s == skip for p in pts
            ]
            if all_ms:
                start = min(all_ms)  # the guide: per-resource cost proportional to n (a quadratic total)
                axis.plot(sizes, [start * n / sizes[0] for n in sizes], ":", color="grey", label="quadratic (guide)")
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xticks(sizes, [str(n) for n in sizes])
            axis.minorticks_off()
            axis.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
            axis.set_xlabel("resources in the stack")
            title = CHECKPOINTS[skip] if len(packages) == 1 else f"{_package_title(package)}\n{CHECKPOINTS[skip]}"
            axis.set_title(title, fontsize=10)
            axis.grid(True, which="major", alpha=0.3)
        row[0].set_ylabel("ms per resource (wall time / resources)")
    axes[0][0].plot([], [], "k-", label="this package's stack (solid)")
    axes[0][0].plot([], [], "kx--", label="engine floor (dashed)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    figure.suptitle(f"Cost per resource as the stack grows ({results['machine']['date']})", fontsize=11)
    figure.tight_layout(rect=(0, 0.1 / len(packages), 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(results: dict[str, Any], markdown_path: Path | None, plot_path: Path) -> None:
    plot(results, plot_path)
    if markdown_path is not None:
        text = markdown_path.read_text() if markdown_path.exists() else "# Benchmarks\n\n"
        markdown_path.write_text(replace_generated_section(text, MARK_START, MARK_END, markdown(results)))
