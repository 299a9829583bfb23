"""Benchmark: API calls and engine time of the cfmtls resources, against their floors.

    .venv/bin/python -m bench.run [--sizes small,medium,large] [--repeat 3] [--latency-ms 50[,300]]
                                  [--server-workers 4[,16]] [--time-scale 1]
                                  [--other-client SHARE [--other-client-only]]
                                  [--checkpoints auto|on|skipped|both] [--operations up,refresh,...]
                                  [--out bench/results/latest.json] [--markdown docs/benchmarks.md] [--quick]
    .venv/bin/python -m bench.run --scaling   # cost per resource at 105, 305, 605 and 1005 resources, plot

For each size it builds a fresh stack (bench/stack) against a fresh local Cloudflare emulator that delays every
answer by --latency-ms, and times the real Pulumi CLI on: preview of the new stack, up, a no-op preview, a no-op
up, refresh, a hostname change (every zone gets one more hostname), a CA rotation (ca-0 gets a new PEM) and
destroy. The emulator enforces Cloudflare's API budget (1200 calls per 300 s per token; --time-scale runs its
windows faster, so that the xlarge size, about 1000 resources and more calls than one window allows, runs in
minutes, not hours). The emulator's request log, cleared before each operation, gives the API calls of each, split into
reads (GET) and writes (everything else), set beside the minimum the operation needs (bench/plan.py).
The same commands on bench/floor (the same graph with providers that return at once) give the engine floor.
--checkpoints skipped runs every command with PULUMI_SKIP_CHECKPOINTS=true (the engine writes the state once, at
the end), both runs each size both ways, the floor too; auto (the default) runs each size as the README recommends:
checkpoints skipped from LARGE_STACK_RESOURCES resources on (the xlarge size), Pulumi's default below.

Results: JSON (--out) and a markdown section between markers in docs/benchmarks.md (--markdown). --scaling
(bench/scaling.py) runs the per-resource report instead: its own JSON, section and plot.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from cfmtls_provider.emulator.budget import RateLimit
from tests.support.pulumi_stack import REPO, CommandFailed, pulumi_bin_dir

from . import scaling
from .baseline import Baseline, baseline_at
from .measure import Variant, run
from .plan import DEFAULT_SIZES, LARGE_STACK_RESOURCES, OPERATIONS, SCALING_OPERATIONS, SCALING_SIZES, SIZES, Size
from .report import markdown, write_json, write_markdown

DEFAULT_OUT = REPO / "bench" / "results" / "latest.json"
DEFAULT_MARKDOWN = REPO / "docs" / "benchmarks.md"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=None, help=f"comma-separated, of {', '.join(SIZES)} (default: small, medium, large)"
    )
    parser.add_argument("--repeat", type=int, default=None, help="runs per size (default 3; 1 with --quick)")
    parser.add_argument(
        "--latency-ms", default=None, help="emulator delay per API call; comma-separated to run each (default 50)"
    )
    parser.add_argument(
        "--server-workers",
        default="",
        metavar="N[,N]",
        help="provider calls served at once (CFMTLS_SERVER_WORKERS; 4 is the Pulumi SDK's own); comma-separated "
        "to run each (default: the provider's default, 16)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="run the emulator's API budget (1200/300 s) this many times faster (default 1: real time)",
    )
    parser.add_argument(
        "--other-client",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="also run each size with another client spending SHARE (0-1) of the same token's budget meanwhile",
    )
    parser.add_argument(
        "--other-client-only",
        action="store_true",
        help="with --other-client: only the runs with the other client (not the stack alone)",
    )
    parser.add_argument(
        "--checkpoints",
        choices=("auto", "on", "skipped", "both"),
        default=None,
        help="on: Pulumi's default; skipped: PULUMI_SKIP_CHECKPOINTS=true; both: each size both ways; auto (default):"
        + f" skipped from {LARGE_STACK_RESOURCES} resources on, as the README recommends for large stacks",
    )
    parser.add_argument(
        "--operations",
        default=None,
        help="comma-separated, in the order they run on each fresh stack (default: all: " + ",".join(OPERATIONS) + ")",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="the per-resource report: sizes "
        + ",".join(SCALING_SIZES)
        + ", operations "
        + ",".join(SCALING_OPERATIONS)
        + ", checkpoints both, 1 repeat, 0 ms, the API budget counted but not enforced (each overridable); writes "
        f"{scaling.DEFAULT_OUT.relative_to(REPO)}, its section of docs/benchmarks.md and "
        f"{scaling.DEFAULT_PLOT.relative_to(REPO)}",
    )
    parser.add_argument("--plot", type=Path, default=None, help="with --scaling: the PNG to write")
    parser.add_argument(
        "--before",
        metavar="COMMIT",
        default=None,
        help="with --scaling: also measure the package as it was at COMMIT (its own bench stack and floor, installed "
        "in a virtualenv of its own with the same dependencies), size by size in the same run (bench/baseline.py)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help=f"JSON results (default {DEFAULT_OUT.relative_to(REPO)})"
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        default=None,
        help=f"document whose results section is rewritten (default {DEFAULT_MARKDOWN.relative_to(REPO)}; "
        "none with --quick unless given)",
    )
    parser.add_argument("--no-markdown", action="store_true", help="write the JSON only")
    parser.add_argument("--no-floor", action="store_true", help="skip the engine floor (bench/floor)")
    parser.add_argument("--render", type=Path, help="only rewrite the markdown from this results JSON (no run)")
    parser.add_argument("--quick", action="store_true", help="small only, 1 repeat, no markdown (the smoke test)")
    parser.add_argument("--command-timeout", type=float, default=3600.0, help="seconds allowed per pulumi command")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "small"
        args.repeat = args.repeat or 1
    elif args.scaling:
        args.sizes = args.sizes or ",".join(SCALING_SIZES)
        args.operations = args.operations or ",".join(SCALING_OPERATIONS)
        args.checkpoints = args.checkpoints or "both"
        args.repeat = args.repeat or 1
        args.latency_ms = args.latency_ms or "0"
        args.out = args.out or scaling.DEFAULT_OUT
        args.plot = args.plot or scaling.DEFAULT_PLOT
    else:
        args.repeat = args.repeat or 3
    if not args.quick:
        args.markdown = args.markdown or DEFAULT_MARKDOWN
    args.sizes = args.sizes or ",".join(DEFAULT_SIZES)
    args.latency_ms = args.latency_ms or "50"
    args.time_scale = args.time_scale or 1.0
    args.checkpoints = args.checkpoints or "auto"
    args.out = args.out or DEFAULT_OUT
    args.operations = tuple((args.operations or ",".join(OPERATIONS)).split(","))
    if unknown_operations := [name for name in args.operations if name not in OPERATIONS]:
        parser.error(f"unknown operation(s) {', '.join(unknown_operations)}; known: {', '.join(OPERATIONS)}")
    if args.operations != tuple(name for name in OPERATIONS if name in args.operations):
        parser.error(f"--operations run in this order on each stack: {', '.join(OPERATIONS)}")
    if args.before and not args.scaling:
        parser.error("--before goes with --scaling")
    if args.plot and not (args.scaling or args.render):
        parser.error("--plot goes with --scaling (or --render of a --scaling run)")
    unknown = [name for name in args.sizes.split(",") if name not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        args.latencies = [float(value) for value in args.latency_ms.split(",")]
    except ValueError:
        parser.error(f"--latency-ms {args.latency_ms!r}: milliseconds, comma-separated (e.g. 50,300)")
    try:
        args.worker_counts = [int(value) for value in args.server_workers.split(",")] if args.server_workers else [None]
    except ValueError:
        parser.error(f"--server-workers {args.server_workers!r}: whole numbers, comma-separated (e.g. 4,16)")
    if not 0 <= args.other_client < 1 or args.time_scale <= 0:
        parser.error("--other-client takes a share between 0 and 1, --time-scale a factor above 0")
    if args.other_client_only and not args.other_client:
        parser.error("--other-client-only needs --other-client SHARE")
    return args


def variants(args: argparse.Namespace, baseline: Baseline | None = None) -> list[Variant]:
    """Each size at each latency, worker count and checkpoint setting (and, with a ``baseline``, the package at its
    commit right after, in the same setting), then (with --other-client) each size with the other client, at the
    first latency."""
    limit = RateLimit(time_scale=args.time_scale)
    sizes = [SIZES[name] for name in args.sizes.split(",")]

    def skips(size: Size) -> list[bool]:
        if args.checkpoints == "auto":
            return [size.resources >= LARGE_STACK_RESOURCES]
        return {"on": [False], "skipped": [True], "both": [False, True]}[args.checkpoints]

    plain = [
        Variant(
            size if base is None else base.size(size),
            latency,
            limit,
            server_workers=workers,
            enforce_budget=scaling.ENFORCE_BUDGET if args.scaling else True,
            skip_checkpoints=skip,
            baseline=base,
        )
        for size in sizes
        for latency in args.latencies
        for workers in args.worker_counts
        for skip in skips(size)
        for base in ([None, baseline] if baseline else [None])
    ]
    shared = [
        Variant(size, args.latencies[0], limit, args.other_client, skip_checkpoints=skips(size) == [True])
        for size in sizes
        if args.other_client
    ]
    return shared if args.other_client_only else plain + shared


def _load() -> str:
    """The machine's load average (1, 5 and 15 minutes), as `uptime` shows it: the runs share the CPUs."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: the emulator and stacks are stopped


def handle_signals() -> None:
    """Own handlers for SIGINT, SIGTERM and SIGHUP. Besides cleaning up on them, this matters for timing: a
    signal ignored here (SIGINT is, under `nohup` or `cmd &` in a script) stays ignored in the children, and
    the Pulumi CLI then waits 5 s for its Python language host to stop after every program run."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    handle_signals()
    if args.render:
        rendered = json.loads(args.render.read_text())
        if scaling.is_scaling(rendered):
            scaling.write_report(rendered, args.markdown, args.plot or scaling.DEFAULT_PLOT)
        else:
            write_markdown(args.markdown, markdown(rendered))
        return 0
    started, load_at_start = time.monotonic(), _load()
    try:
        with baseline_at(args.before) if args.before else nullcontext() as baseline:
            results = run(
                variants(args, baseline),
                args.repeat,
                args.command_timeout,
                not args.no_floor,
                pulumi_bin_dir(),
                args.operations,
            )
    except CommandFailed as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    if baseline is not None:
        results["settings"]["before"] = baseline.commit
    results["settings"]["run_minutes"] = round((time.monotonic() - started) / 60, 1)
    results["settings"]["load"] = f"{load_at_start} at the start, {_load()} at the end (1, 5, 15 minutes)"
    if args.scaling:
        results["settings"]["scaling"] = True
    write_json(args.out, results)
    print(f"results: {args.out} ({results['settings']['run_minutes']} minutes)")
    if args.scaling:
        scaling.write_report(results, None if args.no_markdown else args.markdown, args.plot)
        print(f"report: {args.plot}" + ("" if args.no_markdown else f", {args.markdown}"))
    elif args.markdown and not args.no_markdown:
        write_markdown(args.markdown, markdown(results))
        print(f"report: {args.markdown}")
    for problem in results["problems"]:
        print(f"problem: {problem}", file=sys.stderr)
    return 2 if results["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
