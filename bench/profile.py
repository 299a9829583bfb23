"""Where the Python time of an operation goes, and which costs grow faster than the stack.

    .venv/bin/python -m bench.profile [--sizes large-305,xlarge] [--operations up,up-noop,refresh,...]
                                      [--out /tmp/cfmtls-profile]

For each size, a fresh bench stack runs the operations in order against the emulator, each one under
py-spy (``py-spy record --subprocesses --gil``: 100 samples per second of the thread holding the GIL in every
Python process the CLI starts, so a sample is 10 ms of Python CPU; threads waiting on the engine are left out). Checkpoints are skipped in every run (the engine's checkpoints are Go, which py-spy does not
see, and they would only lengthen the runs). The samples are split by process: the program (the language host's
``pulumi-language-python-exec``) and the provider process (``python -m pulumi.dynamic``). For each function this
package defines, the report gives its samples (with everything it calls) per size and its per-resource growth from
the smallest size to the largest: about 1 for a cost linear in the resources, about the size ratio for a quadratic
one. The raw samples (flamegraph.pl's collapsed format) stay in --out.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.pulumi_stack import VENV, pulumi_bin_dir, run_command

from .measure import STACK_DIR, BenchStack, running_emulator
from .plan import OPERATIONS, SIZES, Size

__all__ = ["Samples", "main", "parse_collapsed"]

_FRAME = re.compile(r"^(?P<function>.+) \((?P<file>[^()]*):\d+\)$")
#: Functions of this package, and of the Pulumi SDK that runs them (serialize_provider, the RPC layer).
_PACKAGE_FILE = re.compile(r"(?:^|/)(?P<module>(?:cfmtls_provider|pulumi)/[^:]+)\.py$")
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
#: A process kind by what its process's command line, or an ancestor's, holds (py-spy names each process on the
#: path from the launcher): the provider process runs under pulumi-resource-pulumi-python, the program under the
#: Python language host.
PROCESSES = {"provider": "pulumi-resource-pulumi-python", "program": "pulumi-language-python"}


@dataclass
class Samples:
    """One profiled command: samples per process kind, and per (process kind, function of this package) the
    samples in which the function is on the stack (inclusive, counted once per sample)."""

    total: Counter[str]
    inclusive: Counter[tuple[str, str]]


def _process_kind(header: str) -> str:
    return next((kind for kind, marker in PROCESSES.items() if marker in header), "other")


def parse_collapsed(text: str) -> Samples:
    """py-spy's raw output: one line per distinct stack, ``process N:"cmd";frame;frame COUNT``."""
    total: Counter[str] = Counter()
    inclusive: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        kind = _process_kind(";".join(f for f in frames if f.startswith("process ")))
        total[kind] += count
        seen = set()
        for frame in frames:
            match = _FRAME.match(frame)
            package = _PACKAGE_FILE.search(match.group("file")) if match else None
            if match and package:
                module = package.group("module").replace("/", ".")
                seen.add(f"{module}.{match.group('function')}")
        for function in seen:
            inclusive[kind, function] += count
    return Samples(total, inclusive)


def profile_command(stack: BenchStack, operation: str, out: Path) -> Samples:
    """Prepare ``operation`` (untimed), then run its command under py-spy; the collapsed samples go to ``out``."""
    command = stack.command(operation)
    result = run_command(
        [
            str(VENV / "bin" / "py-spy"),
            *("record", "--subprocesses", "--gil", "--rate", "100", "--format", "raw", "--output", str(out), "--"),
            # py-spy starts from a Python process and follows its children: a Python parent for the Go CLI.
            *(str(VENV / "bin" / "python"), "-c", _LAUNCHER),
            "pulumi",
            *command,
            "--non-interactive",
        ],
        cwd=stack.stack.workdir,
        env=stack.stack.env,
        timeout=stack.stack.timeout,
    )
    if result.returncode != 0:
        raise SystemExit(f"py-spy pulumi {' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return parse_collapsed(out.read_text())


def report(operation: str, by_size: dict[Size, Samples]) -> list[str]:
    sizes = sorted(by_size, key=lambda size: size.resources)
    first, last = sizes[0], sizes[-1]
    header = " | ".join(f"{size.resources}" for size in sizes)
    lines = [
        f"### {operation}: samples (1 = 10 ms of CPU) by process, then by function of this package or the SDK "
        "(inclusive: with what it calls)",
        "",
        f"| process or function | {header} | per-resource growth {first.resources} -> {last.resources} |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]

    def growth(a: int, b: int) -> str:
        return "-" if not a else f"x{(b / last.resources) / (a / first.resources):.1f}"

    for kind in (*PROCESSES, "other"):
        counts = [by_size[size].total[kind] for size in sizes]
        lines.append(f"| **{kind} process** | {' | '.join(map(str, counts))} | {growth(counts[0], counts[-1])} |")
        functions = {f for size in sizes for (k, f) in by_size[size].inclusive if k == kind}
        ranked = sorted(functions, key=lambda f: -by_size[last].inclusive[kind, f])
        for function in ranked[:30]:
            counts = [by_size[size].inclusive[kind, function] for size in sizes]
            if max(counts) >= 3:
                lines.append(f"| `{function}` | {' | '.join(map(str, counts))} | {growth(counts[0], counts[-1])} |")
    return [*lines, ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[1])
    parser.add_argument("--sizes", default="large-305,xlarge", help="comma-separated sizes (default large-305,xlarge)")
    parser.add_argument(
        "--operations",
        default="up,up-noop,refresh,hostname-change,destroy",
        help="operations to profile, in their order on one stack (without up, a plain create comes first)",
    )
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cfmtls-profile")
    args = parser.parse_args(argv)
    sizes = [SIZES[name] for name in args.sizes.split(",")]
    operations = [name for name in OPERATIONS if name in args.operations.split(",")]
    if shutil.which("py-spy", path=str(VENV / "bin")) is None:
        parser.error("py-spy is not installed in .venv: pip install -e '.[bench]'")
    args.out.mkdir(parents=True, exist_ok=True)
    pulumi_bin = pulumi_bin_dir()
    results: dict[str, dict[Size, Samples]] = {operation: {} for operation in operations}
    for size in sizes:
        print(f"== {size.describe()}", flush=True)
        # As in the scaling report, the API budget is not enforced: at Cloudflare's real rate a 1005-resource create
        # waits about 10 minutes in the pacer, which py-spy does not sample anyway.
        with running_emulator(0, None) as emulator, tempfile.TemporaryDirectory() as root:
            emulator.declare_zones(
                *(f"{z:032x}=example.com@{0xBE0C0000 + z % size.cas:032x}" for z in range(size.zones))
            )
            stack = BenchStack(Path(root), STACK_DIR, size, pulumi_bin, 3600, emulator, skip_checkpoints=True)
            if "up" not in operations:
                stack.operation("up")  # the stack to profile the other operations on
            for operation in operations:
                samples = profile_command(stack, operation, args.out / f"{size.name}-{operation}.txt")
                results[operation][size] = samples
                print(f"  {operation}: {dict(samples.total)}", flush=True)
    text = "\n".join(line for operation in operations for line in report(operation, results[operation]))
    (args.out / "report.md").write_text(text)
    print(text)
    print(f"raw samples and report.md in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
