"""A small run of the benchmark command: every operation is measured with its API calls (no timing assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.plan import OPERATIONS
from tests.support.package_source import RELEASE_0_1
from tests.support.pulumi_stack import REPO

pytestmark = pytest.mark.e2e


def run_bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m bench.run ARGS`` as a user runs it; it must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.timeout(300)
def test_quick_benchmark_reports_every_operation_with_its_calls(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = run_bench("--quick", "--repeat", "1", "--latency-ms", "0", "--out", str(out), timeout=240)
    results = json.loads(out.read_text())

    assert results["problems"] == []
    assert results["machine"]["pulumi"].startswith("v3.")
    assert results["startup"]["wall_seconds"]["import cfmtls_provider"]["median"] > 0
    small = results["sizes"]["small"]
    assert (small["cas"], small["zones"], small["hosts"], small["resources"]) == (1, 2, 2, 3)
    operations = small["operations"]
    assert list(operations) == list(OPERATIONS)
    for name, operation in operations.items():
        for key in ("reads", "writes", "min_reads", "min_writes", "errors"):
            assert isinstance(operation[key], int), (name, key)
        # The minimum is a lower bound: fewer calls would mean the operation did not do its job.
        assert operation["writes"] >= operation["min_writes"], name
        assert operation["reads"] >= operation["min_reads"], name
        assert sum(operation["calls"].values()) == operation["reads"] + operation["writes"], name
        assert len(operation["times"]) == 1 and len(operation["floor_times"]) == 1, name
    for name in ("preview-noop", "up-noop"):
        assert operations[name]["reads"] + operations[name]["writes"] == 0, name
    # up --refresh of an unchanged stack: the refresh's reads, no write.
    assert (
        operations["up-refresh"]["writes"] == 0 and operations["up-refresh"]["reads"] == operations["refresh"]["reads"]
    )
    # The preview of a new stack writes nothing; it reads only what the associations' check reads to refuse a wrong
    # zone before anything is written: the account's zones (one page) and each zone not in it, once per run.
    preview = operations["preview"]
    assert preview["writes"] == 0
    assert set(preview["calls"]) <= {"GET /zones", "GET /zones/{id}"}, preview["calls"]
    assert preview["reads"] <= 1 + small["zones"], preview["calls"]
    # --quick leaves docs/benchmarks.md alone.
    assert "report:" not in result.stdout


@pytest.mark.timeout(400)
def test_scaling_report_gives_cost_per_resource_with_and_without_checkpoints_and_a_plot(tmp_path: Path) -> None:
    out, plot, document = tmp_path / "scaling.json", tmp_path / "scaling.png", tmp_path / "benchmarks.md"
    document.write_text("# Benchmarks\n\nHand-written text stays.\n")
    run_bench(
        *("--scaling", "--sizes", "small,medium", "--operations", "up,destroy"),
        *("--out", str(out), "--plot", str(plot), "--markdown", str(document)),
        timeout=380,
    )
    results = json.loads(out.read_text())

    assert results["problems"] == []
    keys = list(results["sizes"])
    assert keys == ["small", "small, checkpoints skipped", "medium", "medium, checkpoints skipped"]
    for size in results["sizes"].values():
        assert list(size["operations"]) == ["up", "destroy"]
        assert all(o["floor_median"] > 0 for o in size["operations"].values())
        # The state after the create, by part: every resource records the stack trace of its registration.
        types = size["state"]["stack"]["types"]
        assert set(types) == {
            "pulumi-python:dynamic/cfmtls:MTLSCertificate",
            "pulumi-python:dynamic/cfmtls:HostnameAssociation",
        }
        assert all(t["parts"]["outputs.__provider"] > 0 for t in types.values())
    assert results["sizes"]["medium, checkpoints skipped"]["skip_checkpoints"] is True
    # The budget is counted, not enforced: the report measures the engine and the package, not the pacer's waits.
    assert results["settings"]["rate_limit"]["enforced"] is False
    assert all(o["budget"]["throttled"] == 0 for s in results["sizes"].values() for o in s["operations"].values())

    text = document.read_text()
    assert "Hand-written text stays." in text
    assert "its API budget counted, not enforced" in text
    assert "| operation | 3 resources | 25 resources | growth, stack | growth, floor |" in text
    assert "**checkpoints skipped (PULUMI_SKIP_CHECKPOINTS=true)**" in text
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.timeout(900)
def test_scaling_before_measures_the_package_of_an_earlier_commit_with_its_own_stack_in_the_same_run(
    tmp_path: Path,
) -> None:
    out, plot, document = tmp_path / "scaling.json", tmp_path / "scaling.png", tmp_path / "benchmarks.md"
    run_bench(
        *("--scaling", "--before", RELEASE_0_1, "--sizes", "small", "--operations", "up,destroy"),
        *("--checkpoints", "skipped", "--out", str(out), "--plot", str(plot), "--markdown", str(document)),
        timeout=840,
    )
    results = json.loads(out.read_text())

    assert results["problems"] == [], "the emulator held what each stack declared after each operation"
    commit = results["settings"]["before"]
    assert RELEASE_0_1.startswith(commit)
    after, before = results["sizes"].values()
    assert (after["package"], before["package"]) == ("", commit)
    # The same number of resources, in each package's own shape: 0.1 declares a rule resource beside each association.
    assert after["resources"] == before["resources"] == 3
    assert (after["zones"], before["zones"]) == (2, 1)
    assert "pulumi-python:dynamic/cfmtls:ClientCertificateRule" in before["state"]["stack"]["types"]
    assert all(o["floor_median"] > 0 for size in (after, before) for o in size["operations"].values())
    text = document.read_text()
    assert f"#### Before: the package at {commit} (its own bench stack and floor)" in text
    assert "Issue 25's targets" not in text, "one size: no growth to judge"
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
