"""The measurement: each operation of the plan on a fresh stack, timed, with its API calls from the emulator.

For each size a fresh stack (bench/stack) runs against a local emulator that delays every answer by the given
latency; the emulator's request log, cleared before each operation, gives its calls. The same commands on
bench/floor (the same graph with providers that return at once) give the engine floor.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfmtls_provider.emulator.admin_client import WRITE_METHODS, EmulatorAdmin
from cfmtls_provider.emulator.budget import CLOUDFLARE_RATE_LIMIT, RateLimit
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.throwaway_ca import make_ca
from tests.support.convergence import mismatches
from tests.support.pulumi_stack import REPO, VENV, PulumiStack, run_command

from .baseline import Baseline
from .budget_use import BudgetUse, OtherClient
from .plan import OPERATIONS, Size, minimum_calls
from .provider_memory import ProviderMemory
from .startup import measure_startup, stats
from .state_size import StateSize

__all__ = ["STACK_DIR", "BenchStack", "Calls", "Variant", "call_shape", "declare_zones", "run", "running_emulator"]

TOKEN = "bench-token-5d1c7e2a9b3f4a6c8e0d1f2a3b4c5d6e"
DEFAULT_ACCOUNT_ID = "0000000000000000000000000000bec0"
STACK_DIR = REPO / "bench" / "stack"
FLOOR_DIR = REPO / "bench" / "floor"
EXTRA_HOST = "extra"
STACK_NAME = "bench"

_ID_SEGMENT = re.compile(r"^(?=.*\d)[0-9a-zA-Z_-]{16,}$")


def call_shape(entry: dict[str, Any]) -> str:
    """'GET /zones/{id}/rulesets/phases/http_request_firewall_custom/entrypoint': ids folded."""
    segments = ["{id}" if _ID_SEGMENT.match(segment) else segment for segment in str(entry["path"]).split("/")]
    return f"{entry['method']} {'/'.join(segments)}"


@dataclass
class Calls:
    reads: int
    writes: int
    errors: int
    shapes: dict[str, int]

    @classmethod
    def from_log(cls, entries: list[dict[str, Any]]) -> Calls:
        writes = sum(1 for entry in entries if entry["method"] in WRITE_METHODS)
        errors = sum(1 for entry in entries if not 200 <= int(entry["status"]) < 300)
        shapes = Counter(call_shape(entry) for entry in entries)
        return cls(len(entries) - writes, writes, errors, dict(sorted(shapes.items())))


@dataclass(frozen=True)
class Variant:
    """One way to run a size: the API's latency, its rate limit (``enforce_budget`` False: counted, not
    enforced; the emulator then sends no budget headers and the provider does not pace), another client's share of
    the budget, the provider calls served at once (``CFMTLS_SERVER_WORKERS``; None: the provider's default), and
    whether the engine skips its checkpoints (``PULUMI_SKIP_CHECKPOINTS=true``: the state is written once, at the
    end)."""

    size: Size
    latency_ms: float
    rate_limit: RateLimit = CLOUDFLARE_RATE_LIMIT
    enforce_budget: bool = True
    other_client_share: float = 0.0
    server_workers: int | None = None
    skip_checkpoints: bool = False
    #: The package at an earlier commit, with its own bench stack and floor (None: this checkout's).
    baseline: Baseline | None = None

    def key(self, latencies: int, worker_counts: int = 1) -> str:
        """The name of its results: the size's, with the latency and the workers when several are run, and the
        other client."""
        key = self.size.name if latencies == 1 else f"{self.size.name} @ {self.latency_ms:g} ms"
        if worker_counts > 1:
            key += f", {self.server_workers or 'default'} provider workers"
        if self.skip_checkpoints:
            key += ", checkpoints skipped"
        if self.baseline is not None:
            key += f", package at {self.baseline.commit}"
        return key + (f" + other client ({self.other_client_share:.0%})" if self.other_client_share else "")


@contextmanager
def running_emulator(latency_ms: float, rate_limit: RateLimit | None) -> Iterator[EmulatorAdmin]:
    """A local emulator (in a thread of this process, on a free port) and its admin client; ``rate_limit`` None:
    no budget enforced."""
    # The bench measures the provider, not Cloudflare's delay in applying association removals.
    config = EmulatorConfig(
        tokens={TOKEN: ALL_SCOPES}, latency_ms=latency_ms, association_lag_seconds=0, rate_limit=rate_limit
    )
    with EmulatorServer(config) as server, EmulatorAdmin(server.root_url) as admin:
        yield admin


def declare_zones(emulator: EmulatorAdmin, size: Size) -> None:
    """bench/stack's zones: zone z is example.com in the account of CA z % cas."""
    emulator.declare_zones(*(f"{z:032x}=example.com@{0xBE0C0000 + z % size.cas:032x}" for z in range(size.zones)))


class BenchStack:
    """bench/stack or bench/floor at one size: its CA files, its config, and each operation as a command."""

    def __init__(
        self,
        root: Path,
        source: Path,
        size: Size,
        pulumi_bin: str,
        timeout: float,
        emulator: EmulatorAdmin | None,
        server_workers: int | None = None,
        skip_checkpoints: bool = False,
        venv: Path | None = None,
    ) -> None:
        self.root = root
        (root / "cas").mkdir(parents=True)
        env: dict[str, str] = {"PULUMI_SKIP_CHECKPOINTS": "true"} if skip_checkpoints else {}
        if emulator is not None:
            env.update(
                CLOUDFLARE_BASE_URL=emulator.base_url,
                CLOUDFLARE_API_TOKEN=TOKEN,
                CLOUDFLARE_ACCOUNT_ID=DEFAULT_ACCOUNT_ID,
                CFMTLS_DELETE_WAIT_SECONDS="30",
                CFMTLS_TIMEOUT_SECONDS="30",
            )
            if server_workers is not None:
                env["CFMTLS_SERVER_WORKERS"] = str(server_workers)
        for ca in range(size.cas):
            self.write_ca(ca)
        self.stack = PulumiStack.new(root, source, pulumi_bin, env=env, name=STACK_NAME, timeout=timeout, venv=venv)
        self.pulumi_home = self.stack.env["PULUMI_HOME"]
        self.stack.config_all(
            {"caDir": str(root / "cas"), "cas": str(size.cas), "zones": str(size.zones), "hosts": str(size.hosts)}
        )

    def write_ca(self, ca: int) -> None:
        pem, _key = make_ca(f"cfmtls bench CA {ca} {time.time_ns()}")
        (self.root / "cas" / f"ca-{ca}.pem").write_text(pem)

    def command(self, name: str) -> tuple[str, ...]:
        """Prepare the operation (untimed): its pulumi arguments."""
        if name == "hostname-change":
            self.stack.config("extraHost", EXTRA_HOST)
        elif name == "rotation":
            self.write_ca(0)
        return _COMMANDS[name]

    def operation(self, name: str) -> tuple[float, CPUSeconds]:
        """Prepare (unmeasured) and run (measured) one operation; its wall time in seconds and its CPU."""
        arguments = self.command(name)
        cpu_start = CPUSeconds.now()
        seconds = self.stack.run(*arguments).seconds
        return seconds, CPUSeconds.now().since(cpu_start)


_COMMANDS: dict[str, tuple[str, ...]] = {
    "preview": ("preview",),
    "preview-noop": ("preview",),
    "up": ("up", "--yes", "--skip-preview"),
    "up-noop": ("up", "--yes", "--skip-preview"),
    "hostname-change": ("up", "--yes", "--skip-preview"),
    "rotation": ("up", "--yes", "--skip-preview"),
    "refresh": ("refresh", "--yes", "--skip-preview"),
    "up-refresh": ("up", "--refresh", "--yes", "--skip-preview"),
    "destroy": ("destroy", "--yes", "--skip-preview"),
}


#: What 0.1 (a --before baseline of two resources per zone) did not do yet, and is not counted against it: its
#: destroy left the zone's custom-rules entrypoint it had made, empty (0.2 deletes it).
_NOT_DONE_BY_0_1 = "an empty entrypoint this package made is left"


def check_state(stack: PulumiStack, emulator: EmulatorAdmin, size: Size, after: str) -> list[str]:
    """What the emulator holds after an operation, against the stack's state and what the program declares."""
    state = emulator.state()
    problems = mismatches(stack.resources(), state)
    if size.resources_per_zone == 2:
        problems = [problem for problem in problems if not problem.startswith(_NOT_DONE_BY_0_1)]
    if after in ("preview", "destroy"):
        return problems  # nothing in the stack: nothing may be left in the emulator either
    hosts = size.hosts + (1 if after in ("hostname-change", "rotation") else 0)
    live_lists = [names for lists in state["associations"].values() for names in lists.values() if names]
    rules = [rule for ruleset in state["rulesets"] for rule in ruleset["rules"]]
    if len(state["certificates"]) != size.cas:
        problems.append(f"{len(state['certificates'])} CAs, expected {size.cas}")
    if len(live_lists) != size.zones or any(len(names) != hosts for names in live_lists):
        problems.append(f"{len(live_lists)} non-empty lists of sizes {sorted({len(n) for n in live_lists})}")
    if len(rules) != size.zones:
        problems.append(f"{len(rules)} rules, expected {size.zones}")
    return problems


@dataclass(frozen=True)
class CPUSeconds:
    """CPU seconds one command used: Pulumi's processes (the CLI with its engine, the language host, the program,
    the providers: children of this process, counted once reaped) and this process (the emulator's threads, and the
    bench's own sampling of the provider's memory)."""

    pulumi: float
    emulator: float

    @staticmethod
    def now() -> CPUSeconds:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return CPUSeconds(children.ru_utime + children.ru_stime, time.process_time())

    def since(self, start: CPUSeconds) -> CPUSeconds:
        return CPUSeconds(self.pulumi - start.pulumi, self.emulator - start.emulator)


@dataclass
class Measurement:
    seconds: float
    cpu: CPUSeconds | None = None
    calls: Calls | None = None
    budget: BudgetUse | None = None
    provider_mib: float | None = None
    state: StateSize | None = None  # after the create only


def run_sequence(
    kind: str,
    variant: Variant,
    pulumi_bin: str,
    timeout: float,
    emulator: EmulatorAdmin | None,
    scratch: Path,
    operations: tuple[str, ...] = OPERATIONS,
) -> tuple[dict[str, Measurement], list[str]]:
    """Each of ``operations`` once, in order, on one fresh stack (kind 'stack' or 'floor'); the state's size is
    read after the create (untimed)."""
    size = variant.size
    root = Path(tempfile.mkdtemp(prefix=f"{kind}-{size.name}-", dir=scratch))
    if emulator is not None:
        emulator.reset()
        declare_zones(emulator, size)
    baseline = variant.baseline
    if baseline is None:
        source, venv = (STACK_DIR if kind == "stack" else FLOOR_DIR), None
    else:
        source, venv = (baseline.stack_dir if kind == "stack" else baseline.floor_dir), baseline.venv
    bench = BenchStack(
        root, source, size, pulumi_bin, timeout, emulator, variant.server_workers, variant.skip_checkpoints, venv
    )
    results: dict[str, Measurement] = {}
    problems: list[str] = []
    try:
        for operation in operations:
            if emulator is not None:
                emulator.clear_requests()
            with _other_client(variant, emulator), ProviderMemory(bench.pulumi_home) as memory:
                seconds, cpu = bench.operation(operation)
            measurement = Measurement(seconds, cpu=cpu, provider_mib=memory.peak_mib)
            if operation == "up":
                measurement.state = StateSize.of_export(bench.stack.export())
            if emulator is not None:
                log = emulator.requests()
                measurement.calls = Calls.from_log([entry for entry in log if not _is_other_client(entry)])
                measurement.budget = BudgetUse.from_log(log, variant.rate_limit)
                problems += [
                    f"{size.name} {operation}: {p}" for p in check_state(bench.stack, emulator, size, operation)
                ]
            results[operation] = measurement
            shown = f" reads {measurement.calls.reads} writes {measurement.calls.writes}" if measurement.calls else ""
            if measurement.budget is not None:
                shown += f" 429s {measurement.budget.throttled} peak/window {measurement.budget.peak_window_calls}"
            print(f"  {kind:5} {size.name:9} {operation:16} {seconds:7.2f}s{shown}", flush=True)
    except BaseException:
        print("\n".join(bench.stack.log[-3:]), file=sys.stderr)
        raise
    shutil.rmtree(root, ignore_errors=True)
    return results, problems


@contextmanager
def _other_client(variant: Variant, emulator: EmulatorAdmin | None) -> Iterator[None]:
    if emulator is None or not variant.other_client_share:
        yield
        return
    with OtherClient(emulator.base_url, TOKEN, variant.rate_limit, variant.other_client_share, DEFAULT_ACCOUNT_ID):
        yield


def _is_other_client(entry: dict[str, Any]) -> bool:
    """The other client lists the default account's certificates; the stack never does."""
    return entry["method"] == "GET" and str(entry["path"]).endswith(f"/accounts/{DEFAULT_ACCOUNT_ID}/mtls_certificates")


def _median_cpu(measured: Iterable[CPUSeconds | None]) -> dict[str, float] | None:
    """The medians of each process group's CPU seconds over the repeats (None when not measured)."""
    cpus = [cpu for cpu in measured if cpu is not None]
    if not cpus:
        return None
    return {
        "pulumi": statistics.median(c.pulumi for c in cpus),
        "emulator": statistics.median(c.emulator for c in cpus),
    }


def summarise(
    size: Size, stack_runs: list[dict[str, Measurement]], floor_runs: list[dict[str, Measurement]]
) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for operation in stack_runs[0]:
        times = [run[operation].seconds for run in stack_runs]
        floor_times = [run[operation].seconds for run in floor_runs]
        calls = [run[operation].calls for run in stack_runs]
        last = calls[-1]
        assert last is not None
        # The minimum of this package's plan; none for another shape (a --before baseline).
        min_reads, min_writes = minimum_calls(size, operation) if size.resources_per_zone == 1 else (None, None)
        operations[operation] = {
            "times": times,
            **stats(times),
            "floor_times": floor_times,
            "floor_median": statistics.median(floor_times) if floor_times else None,
            "ratio": statistics.median(times) / statistics.median(floor_times) if floor_times else None,
            "reads": last.reads,
            "writes": last.writes,
            "errors": last.errors,
            "calls": last.shapes,
            "calls_per_repeat": [[c.reads, c.writes] for c in calls if c is not None],
            "min_reads": min_reads,
            "min_writes": min_writes,
            "cpu": _median_cpu(run[operation].cpu for run in stack_runs),
            "floor_cpu": _median_cpu(run[operation].cpu for run in floor_runs),
            "provider_mib": max((m for run in stack_runs if (m := run[operation].provider_mib)), default=None),
            "floor_provider_mib": max((m for run in floor_runs if (m := run[operation].provider_mib)), default=None),
        }
        budgets = [b for run in stack_runs if (b := run[operation].budget) is not None]
        if budgets:
            operations[operation]["budget"] = {
                "all_calls": max(b.calls for b in budgets),
                "throttled": max(b.throttled for b in budgets),
                "lockouts": max(b.lockouts for b in budgets),
                "peak_window_calls": max(b.peak_window_calls for b in budgets),
                "budget_floor_seconds": max(b.budget_floor_seconds for b in budgets),
            }
    states = {
        kind: run["up"].state.as_json()
        for kind, runs in (("stack", stack_runs), ("floor", floor_runs))
        for run in runs[-1:]
        if "up" in run and run["up"].state is not None
    }
    return {
        "cas": size.cas,
        "zones": size.zones,
        "hosts": size.hosts,
        "resources": size.resources,
        "operations": operations,
        **({"state": states} if states else {}),
    }


def machine(pulumi_bin: str) -> dict[str, Any]:
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory_kib = int(match.group(1)) if match else 0
    pulumi = run_command([str(Path(pulumi_bin) / "pulumi"), "version"], cwd=REPO, env=None, timeout=60)
    python = run_command([str(VENV / "bin" / "python"), "--version"], cwd=REPO, env=None, timeout=60)
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": python.stdout.strip() if python.returncode == 0 else platform.python_version(),
        "pulumi": pulumi.stdout.strip() if pulumi.returncode == 0 else "unknown",
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run(
    variants: list[Variant],
    repeat: int,
    timeout: float,
    with_floor: bool,
    pulumi_bin: str,
    operations: tuple[str, ...] = OPERATIONS,
) -> dict[str, Any]:
    """The whole benchmark; the results as the JSON document bench/report.py renders."""
    latencies = sorted({variant.latency_ms for variant in variants})
    worker_counts = len({variant.server_workers for variant in variants})
    limit = variants[0].rate_limit
    results: dict[str, Any] = {
        "machine": machine(pulumi_bin),
        "settings": {
            "latency_ms": latencies[0] if len(latencies) == 1 else latencies,
            "repeat": repeat,
            "sizes": list(dict.fromkeys(variant.size.name for variant in variants)),
            "rate_limit": {
                "quota": limit.quota,
                "window_seconds": limit.window_seconds,
                "time_scale": limit.time_scale,
                "enforced": variants[0].enforce_budget,
            },
            "commands": "pulumi preview; pulumi up/refresh/destroy --yes --skip-preview (engine default parallelism)",
            "operations": list(operations),
        },
        "startup": measure_startup(),
        "sizes": {},
        "problems": [],
    }
    floors: dict[tuple[str, bool, Baseline | None], list[dict[str, Measurement]]] = {}
    with tempfile.TemporaryDirectory(prefix="cfmtls-bench-") as scratch_name:
        scratch = Path(scratch_name)
        for variant in variants:
            key = variant.key(len(latencies), worker_counts)
            print(f"== {key}: {variant.size.describe()}", flush=True)
            stack_runs: list[dict[str, Measurement]] = []
            enforced = variant.rate_limit if variant.enforce_budget else None
            with running_emulator(variant.latency_ms, enforced) as emulator:
                for index in range(repeat):
                    print(f" repeat {index + 1}/{repeat}", flush=True)
                    measured, problems = run_sequence(
                        "stack", variant, pulumi_bin, timeout, emulator, scratch, operations
                    )
                    stack_runs.append(measured)
                    results["problems"] += [f"{key}: {problem}" for problem in problems]
            # The floor makes no API call: once per size and checkpoint setting, right after the stack.
            floor_key = (variant.size.name, variant.skip_checkpoints, variant.baseline)
            if with_floor and floor_key not in floors:
                floors[floor_key] = [
                    run_sequence("floor", variant, pulumi_bin, timeout, None, scratch, operations)[0]
                    for _ in range(repeat)
                ]
            summary = summarise(variant.size, stack_runs, floors.get(floor_key, []))
            summary.update(
                size=variant.size.name,
                latency_ms=variant.latency_ms,
                other_client_share=variant.other_client_share,
                server_workers=variant.server_workers,
                skip_checkpoints=variant.skip_checkpoints,
                package=variant.baseline.commit if variant.baseline else "",
            )
            results["sizes"][key] = summary
    return results
