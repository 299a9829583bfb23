"""A small run of the benchmark command: every operation is measured with its API calls (no timing assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.plan import OPERATIONS
from tests.support.pulumi_stack import REPO

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(300)
def test_quick_benchmark_reports_every_operation_with_its_calls(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--repeat", "1", "--latency-ms", "0", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    results = json.loads(out.read_text())

    assert results["problems"] == []
    assert results["machine"]["pulumi"].startswith("v3.")
    assert results["startup"]["wall_seconds"]["import cfmtls_provider"]["median"] > 0
    small = results["sizes"]["small"]
    assert (small["cas"], small["zones"], small["hosts"]) == (1, 1, 2)
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
    for name in ("preview", "preview-noop", "up-noop"):
        assert operations[name]["reads"] + operations[name]["writes"] == 0, name
    # --quick leaves docs/benchmarks.md alone.
    assert "report:" not in result.stdout
