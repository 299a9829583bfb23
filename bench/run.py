"""Benchmark: API calls and engine time of the cfmtls resources, against their floors.

    .venv/bin/python -m bench.run [--sizes small,medium,large] [--repeat 3] [--latency-ms 50]
                                  [--out bench/results/latest.json] [--markdown docs/benchmarks.md] [--quick]

For each size it builds a fresh stack (bench/stack) against a fresh local Cloudflare emulator that delays every
answer by --latency-ms, and times the real Pulumi CLI on: preview of the new stack, up, a no-op preview, a no-op
up, refresh, a hostname change (every zone gets one more hostname), a CA rotation (ca-0 gets a new PEM) and
destroy. The emulator's request log, cleared before each operation, gives the API calls of each, split into
reads (GET) and writes (everything else), set beside the minimum the operation needs (see ``minimum_calls``).
The same commands on bench/floor (the same graph with providers that return at once) give the engine floor.

Results: JSON (--out) and a markdown section between markers in docs/benchmarks.md (--markdown).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(REPO))

from cfmtls_provider.throwaway_ca import make_ca  # noqa: E402

TOKEN = "bench-token-5d1c7e2a9b3f4a6c8e0d1f2a3b4c5d6e"
DEFAULT_ACCOUNT_ID = "0000000000000000000000000000bec0"
STACK_DIR = REPO / "bench" / "stack"
FLOOR_DIR = REPO / "bench" / "floor"
VENV = REPO / ".venv"
DEFAULT_OUT = REPO / "bench" / "results" / "latest.json"
DEFAULT_MARKDOWN = REPO / "docs" / "benchmarks.md"
MARK_START = "<!-- bench:results:start (written by bench/run.py; edits inside are overwritten) -->"
MARK_END = "<!-- bench:results:end -->"
READY_PREFIX = "cfmtls emulator listening on "
EXTRA_HOST = "extra"
STACK_NAME = "bench"


@dataclass(frozen=True)
class Size:
    name: str
    cas: int
    zones: int
    hosts: int

    @property
    def resources(self) -> int:
        """Resources the program declares (CAs, one association and one rule per zone)."""
        return self.cas + 2 * self.zones

    def zones_of_ca(self, ca: int) -> int:
        """Zones whose association uses CA ``ca`` (zone z uses CA z % cas)."""
        return len(range(ca, self.zones, self.cas))

    def describe(self) -> str:
        return f"{self.cas} CA x {self.zones} zones x {self.hosts} hostnames ({self.resources} resources)"


SIZES: dict[str, Size] = {
    "small": Size("small", 1, 1, 2),
    "medium": Size("medium", 5, 10, 10),
    "large": Size("large", 5, 50, 20),
}

#: The operations, in the order each repeat runs them on one fresh stack.
OPERATIONS: tuple[str, ...] = (
    "preview",
    "up",
    "preview-noop",
    "up-noop",
    "refresh",
    "hostname-change",
    "rotation",
    "destroy",
)

OPERATION_TITLES: dict[str, str] = {
    "preview": "preview (new stack)",
    "up": "up (create all)",
    "preview-noop": "preview (no change)",
    "up-noop": "up (no change)",
    "refresh": "refresh",
    "hostname-change": "up: +1 hostname per zone",
    "rotation": "up: rotate ca-0",
    "destroy": "destroy",
}


def minimum_calls(size: Size, operation: str) -> tuple[int, int]:
    """(reads, writes) the operation cannot do without; the reasoning is in docs/benchmarks.md."""
    cas, zones = size.cas, size.zones
    rotated_zones = size.zones_of_ca(0)
    minimums: dict[str, tuple[int, int]] = {
        # Check and Diff run locally: nothing to ask Cloudflare.
        "preview": (0, 0),
        "preview-noop": (0, 0),
        "up-noop": (0, 0),
        # One upload per CA, one association PUT per zone, one POST per zone for the rule (the entrypoint
        # ruleset created with the rule in it, or the rule added to an existing entrypoint).
        "up": (0, cas + zones + zones),
        # One read per resource: the CA, the (zone, CA) list, the zone's entrypoint holding the rule.
        "refresh": (cas + zones + zones, 0),
        # The new list (PUT) and the rule's expression (PATCH), per zone.
        "hostname-change": (0, zones + zones),
        # New CA (POST); per zone of ca-0: new list (PUT), rule pinned to the new SKI (PATCH), old list
        # emptied (PUT []); old CA (DELETE).
        "rotation": (0, 1 + 3 * rotated_zones + 1),
        # Rule DELETE and list PUT [] per zone; CA DELETE per CA.
        "destroy": (0, zones + zones + cas),
    }
    return minimums[operation]


# --- processes -----------------------------------------------------------------------------------------------


class BenchError(RuntimeError):
    """A benchmark step failed; the message says which and shows the command's output."""


def _kill_group(process: subprocess.Popen[Any]) -> None:
    """End a process we started, with everything it started (it leads its own session)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_command(args: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str, str, float]:
    """Run with a timeout (the whole process group is killed on expiry); returns rc, out, err, seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate(timeout=10)
        raise BenchError(f"{' '.join(args)} timed out after {timeout:.0f}s\n{out[-3000:]}\n{err[-3000:]}") from None
    finally:
        _kill_group(process)
    return process.returncode, out, err, time.perf_counter() - started


class Emulator:
    """A local emulator in its own process (`python -m cfmtls_provider.emulator`), on a free port."""

    def __init__(self, latency_ms: float, log_dir: Path, start_timeout: float = 60.0) -> None:
        self.latency_ms = latency_ms
        self._stderr = (log_dir / "emulator.stderr").open("w")
        self._process = subprocess.Popen(
            [
                str(VENV / "bin" / "python"),
                "-m",
                "cfmtls_provider.emulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--token",
                TOKEN,
                "--latency-ms",
                str(latency_ms),
                # The bench measures the provider, not Cloudflare's delay in applying association removals.
                "--association-lag-seconds",
                "0",
            ],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + start_timeout
        base_url = ""
        while not base_url:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise BenchError(f"the emulator did not start within {start_timeout:.0f}s (see {self._stderr.name})")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.stop()
                raise BenchError(f"the emulator exited at start-up (see {self._stderr.name})")
            if line.startswith(READY_PREFIX):
                base_url = line[len(READY_PREFIX) :].strip()
        self.base_url = base_url
        self.admin_url = base_url.split("/client/v4")[0]
        self._http = httpx.Client(base_url=self.admin_url, timeout=30.0)

    def _drain(self, lines: queue.Queue[str | None]) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            lines.put(line)
        lines.put(None)

    def requests(self) -> list[dict[str, Any]]:
        response = self._http.get("/__emulator__/requests")
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries

    def clear_requests(self) -> None:
        self._http.delete("/__emulator__/requests").raise_for_status()

    def state(self) -> dict[str, Any]:
        response = self._http.get("/__emulator__/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def reset(self) -> None:
        self._http.post("/__emulator__/reset").raise_for_status()

    def declare_zones(self, size: Size) -> None:
        """The stack's zones (bench/stack: zone z is example.com in the account of CA z % cas)."""
        zones = [f"{z:032x}=example.com@{0xBE0C0000 + z % size.cas:032x}" for z in range(size.zones)]
        self._http.post("/__emulator__/zones", json=zones).raise_for_status()

    def stop(self) -> None:
        if hasattr(self, "_http"):
            self._http.close()
        _kill_group(self._process)
        self._stderr.close()


@contextmanager
def running_emulator(latency_ms: float, log_dir: Path) -> Iterator[Emulator]:
    emulator = Emulator(latency_ms, log_dir)
    try:
        yield emulator
    finally:
        emulator.stop()


def pulumi_bin_dir() -> str:
    """The CLI from scripts/install-pulumi (its last stdout line is the bin dir; cached after the first build)."""
    rc, out, err, _ = run_command(
        [str(REPO / "scripts" / "install-pulumi")], cwd=REPO, env=dict(os.environ), timeout=1800
    )
    if rc != 0:
        raise BenchError(f"scripts/install-pulumi failed:\n{out}\n{err}")
    return out.strip().splitlines()[-1]


# --- one stack -------------------------------------------------------------------------------------------------


_ID_SEGMENT = re.compile(r"^(?=.*\d)[0-9a-zA-Z_-]{16,}$")


def call_shape(entry: dict[str, Any]) -> str:
    """'GET /zones/{id}/rulesets/phases/http_request_firewall_custom/entrypoint': ids folded."""
    path = str(entry["path"]).removeprefix("/client/v4")
    segments = ["{id}" if _ID_SEGMENT.match(segment) else segment for segment in path.split("/")]
    return f"{entry['method']} {'/'.join(segments)}"


@dataclass
class Calls:
    reads: int
    writes: int
    errors: int
    shapes: dict[str, int]

    @classmethod
    def from_log(cls, entries: list[dict[str, Any]]) -> Calls:
        reads = sum(1 for entry in entries if entry["method"] in ("GET", "HEAD"))
        errors = sum(1 for entry in entries if not 200 <= int(entry["status"]) < 300)
        shapes = Counter(call_shape(entry) for entry in entries)
        return cls(reads, len(entries) - reads, errors, dict(sorted(shapes.items())))


@dataclass
class Workspace:
    """One Pulumi project copied into a temporary directory, with its own file backend and PULUMI_HOME."""

    root: Path
    project: Path
    env: dict[str, str]
    timeout: float
    log: list[str] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        root: Path,
        source: Path,
        size: Size,
        pulumi_bin: str,
        timeout: float,
        emulator: Emulator | None,
    ) -> Workspace:
        project = root / "project"
        shutil.copytree(source, project, ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml"))
        yaml = (project / "Pulumi.yaml").read_text()
        yaml = re.sub(r"(?m)^\s+options:\n\s+virtualenv: .*\n?", "", yaml).rstrip("\n")
        (project / "Pulumi.yaml").write_text(f"{yaml}\n  options:\n    virtualenv: {VENV}\n")
        (root / "state").mkdir()
        (root / "cas").mkdir()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PULUMI_", "CLOUDFLARE_", "CFMTLS_", "PYTHON"))
        }
        env.update(
            PATH=f"{pulumi_bin}{os.pathsep}{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            PULUMI_BACKEND_URL=f"file://{root / 'state'}",
            PULUMI_CONFIG_PASSPHRASE="bench-passphrase",
            PULUMI_HOME=str(root / "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            # The floor's provider module lives in its project: the provider process must import it too.
            PYTHONPATH=str(project),
        )
        if emulator is not None:
            env.update(
                CLOUDFLARE_BASE_URL=emulator.base_url,
                CLOUDFLARE_API_TOKEN=TOKEN,
                CLOUDFLARE_ACCOUNT_ID=DEFAULT_ACCOUNT_ID,
                CFMTLS_DELETE_WAIT_SECONDS="30",
                CFMTLS_TIMEOUT_SECONDS="30",
            )
        workspace = cls(root, project, env, timeout)
        for ca in range(size.cas):
            workspace.write_ca(ca)
        workspace.pulumi("stack", "init", STACK_NAME)
        workspace.pulumi(
            "config",
            "set-all",
            "--plaintext",
            f"caDir={root / 'cas'}",
            "--plaintext",
            f"cas={size.cas}",
            "--plaintext",
            f"zones={size.zones}",
            "--plaintext",
            f"hosts={size.hosts}",
        )
        return workspace

    def write_ca(self, ca: int) -> None:
        pem, _key = make_ca(f"cfmtls bench CA {ca} {time.time_ns()}")
        (self.root / "cas" / f"ca-{ca}.pem").write_text(pem)

    def pulumi(self, *args: str) -> float:
        rc, out, err, seconds = run_command(
            ["pulumi", *args, "--non-interactive"], cwd=self.project, env=self.env, timeout=self.timeout
        )
        self.log.append(f"$ pulumi {' '.join(args)}  [{seconds:.2f}s rc={rc}]\n{out[-4000:]}\n{err[-4000:]}")
        if rc != 0:
            raise BenchError(
                f"pulumi {' '.join(args)} failed (rc {rc}) in {self.project}:\n{out[-4000:]}\n{err[-4000:]}"
            )
        return seconds

    def operation(self, name: str) -> float:
        """Prepare (untimed) and run (timed) one operation."""
        if name == "hostname-change":
            self.pulumi("config", "set", "extraHost", EXTRA_HOST)
        elif name == "rotation":
            self.write_ca(0)
        command: dict[str, tuple[str, ...]] = {
            "preview": ("preview",),
            "preview-noop": ("preview",),
            "up": ("up", "--yes", "--skip-preview"),
            "up-noop": ("up", "--yes", "--skip-preview"),
            "hostname-change": ("up", "--yes", "--skip-preview"),
            "rotation": ("up", "--yes", "--skip-preview"),
            "refresh": ("refresh", "--yes", "--skip-preview"),
            "destroy": ("destroy", "--yes", "--skip-preview"),
        }
        return self.pulumi(*command[name])


def check_state(emulator: Emulator, size: Size, after: str) -> list[str]:
    """What the emulator holds after an operation, against what the stack declares: problems, or []."""
    state = emulator.state()
    certificates = state.get("certificates") or []
    hosts = size.hosts + (1 if after in ("hostname-change", "rotation") else 0)
    associations = {
        zone: {ca: names for ca, names in lists.items() if names}
        for zone, lists in (state.get("associations") or {}).items()
    }
    live_lists = [names for lists in associations.values() for names in lists.values()]
    rules = [rule for ruleset in state.get("rulesets") or [] for rule in ruleset.get("rules") or []]
    problems: list[str] = []
    if after == "destroy":
        if certificates or live_lists or rules:
            problems.append(f"left behind: {len(certificates)} CAs, {len(live_lists)} lists, {len(rules)} rules")
        return problems
    if after in ("preview",):
        if certificates or live_lists or rules:
            problems.append("preview changed the emulator's state")
        return problems
    if len(certificates) != size.cas:
        problems.append(f"{len(certificates)} CAs, expected {size.cas}")
    if len(live_lists) != size.zones or any(len(names) != hosts for names in live_lists):
        problems.append(f"{len(live_lists)} non-empty lists of sizes {sorted({len(n) for n in live_lists})}")
    if len(rules) != size.zones:
        problems.append(f"{len(rules)} rules, expected {size.zones}")
    return problems


@dataclass
class Measurement:
    seconds: float
    calls: Calls | None = None


def run_sequence(
    kind: str, size: Size, pulumi_bin: str, timeout: float, emulator: Emulator | None, scratch: Path
) -> tuple[dict[str, Measurement], list[str]]:
    """Every operation once, in order, on one fresh stack (kind 'stack' or 'floor')."""
    root = Path(tempfile.mkdtemp(prefix=f"{kind}-{size.name}-", dir=scratch))
    if emulator is not None:
        emulator.reset()
        emulator.declare_zones(size)
    workspace = Workspace.create(root, STACK_DIR if kind == "stack" else FLOOR_DIR, size, pulumi_bin, timeout, emulator)
    results: dict[str, Measurement] = {}
    problems: list[str] = []
    try:
        for operation in OPERATIONS:
            if emulator is not None:
                emulator.clear_requests()
            seconds = workspace.operation(operation)
            measurement = Measurement(seconds)
            if emulator is not None:
                measurement.calls = Calls.from_log(emulator.requests())
                problems += [f"{size.name} {operation}: {p}" for p in check_state(emulator, size, operation)]
            results[operation] = measurement
            shown = f" reads {measurement.calls.reads} writes {measurement.calls.writes}" if measurement.calls else ""
            print(f"  {kind:5} {size.name:6} {operation:16} {seconds:7.2f}s{shown}", flush=True)
    except BaseException:
        print("\n".join(workspace.log[-3:]), file=sys.stderr)
        raise
    shutil.rmtree(root, ignore_errors=True)
    return results, problems


# --- start-up cost -------------------------------------------------------------------------------------------

#: Import cost is grouped by top-level package (self time of the package and all its submodules).
PACKAGE_GROUPS_SHOWN = 10


def _python_seconds(code: str, env: dict[str, str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        rc, _out, err, seconds = run_command([str(VENV / "bin" / "python"), "-c", code], cwd=REPO, env=env, timeout=120)
        if rc != 0:
            raise BenchError(f"python -c {code!r} failed:\n{err}")
        times.append(seconds)
    return times


def measure_startup(repeat: int = 7) -> dict[str, Any]:
    """Wall time of the imports a provider process pays before its first call, and -X importtime's view."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    _python_seconds("import cfmtls_provider, pulumi.dynamic", env, 1)  # warm the bytecode and page caches
    walls = {
        "python -c pass": _python_seconds("pass", env, repeat),
        "import pulumi.dynamic (the SDK alone)": _python_seconds("import pulumi.dynamic", env, repeat),
        "import cfmtls_provider": _python_seconds("import cfmtls_provider", env, repeat),
    }
    rc, _out, err, _ = run_command(
        [str(VENV / "bin" / "python"), "-X", "importtime", "-c", "import cfmtls_provider"],
        cwd=REPO,
        env=env,
        timeout=120,
    )
    if rc != 0:
        raise BenchError(f"python -X importtime failed:\n{err}")
    self_by_package: Counter[str] = Counter()
    top_level: dict[str, int] = {}
    total_us = 0
    for line in err.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not match:
            continue
        self_us, cumulative_us, indent, module = (
            int(match.group(1)),
            int(match.group(2)),
            match.group(3),
            match.group(4),
        )
        package = module.split(".")[0]
        self_by_package["(standard library)" if package in sys.stdlib_module_names else package] += self_us
        total_us += self_us
        if not indent:
            top_level[module] = cumulative_us
    return {
        "wall_seconds": {name: _stats(t) for name, t in walls.items()},
        "importtime_total_ms": total_us / 1000,
        "importtime_by_package_ms": {
            package: us / 1000 for package, us in self_by_package.most_common(PACKAGE_GROUPS_SHOWN)
        },
        "importtime_top_level_ms": {
            module: us / 1000 for module, us in sorted(top_level.items(), key=lambda item: -item[1])[:10]
        },
    }


# --- the run ---------------------------------------------------------------------------------------------------


def _stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def summarise(
    size: Size, stack_runs: list[dict[str, Measurement]], floor_runs: list[dict[str, Measurement]]
) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for operation in OPERATIONS:
        times = [run[operation].seconds for run in stack_runs]
        floor_times = [run[operation].seconds for run in floor_runs]
        calls = [run[operation].calls for run in stack_runs]
        last = calls[-1]
        assert last is not None
        min_reads, min_writes = minimum_calls(size, operation)
        entry: dict[str, Any] = {
            "times": times,
            **_stats(times),
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
        }
        operations[operation] = entry
    return {
        "cas": size.cas,
        "zones": size.zones,
        "hosts": size.hosts,
        "resources": size.resources,
        "operations": operations,
    }


def machine(pulumi_bin: str) -> dict[str, Any]:
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory_kib = int(match.group(1)) if match else 0
    rc, out, _err, _ = run_command(
        [str(Path(pulumi_bin) / "pulumi"), "version"], cwd=REPO, env=dict(os.environ), timeout=60
    )
    rc_py, out_py, _e, _ = run_command(
        [str(VENV / "bin" / "python"), "--version"], cwd=REPO, env=dict(os.environ), timeout=60
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": out_py.strip() if rc_py == 0 else platform.python_version(),
        "pulumi": out.strip() if rc == 0 else "unknown",
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run(sizes: list[Size], repeat: int, latency_ms: float, timeout: float, with_floor: bool) -> dict[str, Any]:
    pulumi_bin = pulumi_bin_dir()
    results: dict[str, Any] = {
        "machine": machine(pulumi_bin),
        "settings": {
            "latency_ms": latency_ms,
            "repeat": repeat,
            "sizes": [size.name for size in sizes],
            "commands": "pulumi preview; pulumi up/refresh/destroy --yes --skip-preview (engine default parallelism)",
        },
        "startup": measure_startup(),
        "sizes": {},
        "problems": [],
    }
    with tempfile.TemporaryDirectory(prefix="cfmtls-bench-") as scratch_name:
        scratch = Path(scratch_name)
        with running_emulator(latency_ms, scratch) as emulator:
            for size in sizes:
                print(f"== {size.name}: {size.describe()}", flush=True)
                stack_runs: list[dict[str, Measurement]] = []
                floor_runs: list[dict[str, Measurement]] = []
                for index in range(repeat):
                    print(f" repeat {index + 1}/{repeat}", flush=True)
                    measured, problems = run_sequence("stack", size, pulumi_bin, timeout, emulator, scratch)
                    stack_runs.append(measured)
                    results["problems"] += problems
                    if with_floor:
                        floor_runs.append(run_sequence("floor", size, pulumi_bin, timeout, None, scratch)[0])
                results["sizes"][size.name] = summarise(size, stack_runs, floor_runs)
    return results


# --- markdown --------------------------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(results: dict[str, Any]) -> str:
    m, settings = results["machine"], results["settings"]
    lines = [
        MARK_START,
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
    lines += ["", MARK_END]
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace the section between the markers (or append it) and leave the rest of the document alone."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start, end = text.find(MARK_START), text.find(MARK_END)
    if start >= 0 and end > start:
        text = text[:start] + section + text[end + len(MARK_END) :].removeprefix("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- command line ----------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,medium,large", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--repeat", type=int, default=None, help="runs per size (default 3; 1 with --quick)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulator delay per API call (default 50)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(REPO)})"
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
    parser.add_argument("--command-timeout", type=float, default=900.0, help="seconds allowed per pulumi command")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "small"
        args.repeat = args.repeat or 1
    else:
        args.repeat = args.repeat or 3
        args.markdown = args.markdown or DEFAULT_MARKDOWN
    unknown = [name for name in args.sizes.split(",") if name not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


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
    sizes = [SIZES[name] for name in args.sizes.split(",")]
    if args.render:
        write_markdown(args.markdown or DEFAULT_MARKDOWN, markdown(json.loads(args.render.read_text())))
        return 0
    try:
        results = run(sizes, args.repeat, args.latency_ms, args.command_timeout, not args.no_floor)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(args.out)
    print(f"results: {args.out}")
    if args.markdown and not args.no_markdown:
        write_markdown(args.markdown, markdown(results))
        print(f"report: {args.markdown}")
    for problem in results["problems"]:
        print(f"problem: {problem}", file=sys.stderr)
    return 2 if results["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
