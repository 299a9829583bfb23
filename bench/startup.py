"""The provider process's start-up: the imports it pays before its first call, by wall time and -X importtime."""

from __future__ import annotations

import os
import re
import statistics
import sys
from collections import Counter
from typing import Any

from tests.support.pulumi_stack import REPO, VENV, CommandFailed, run_command

__all__ = ["measure_startup", "stats"]

#: Import cost is grouped by top-level package (self time of the package and all its submodules).
PACKAGE_GROUPS_SHOWN = 10


def _python_seconds(code: str, env: dict[str, str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        result = run_command([str(VENV / "bin" / "python"), "-c", code], cwd=REPO, env=env, timeout=120)
        if result.returncode != 0:
            raise CommandFailed(f"python -c {code!r} failed:\n{result.stderr}")
        times.append(result.seconds)
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
    result = run_command(
        [str(VENV / "bin" / "python"), "-X", "importtime", "-c", "import cfmtls_provider"],
        cwd=REPO,
        env=env,
        timeout=120,
    )
    if result.returncode != 0:
        raise CommandFailed(f"python -X importtime failed:\n{result.stderr}")
    err = result.stderr
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
        "wall_seconds": {name: stats(t) for name, t in walls.items()},
        "importtime_total_ms": total_us / 1000,
        "importtime_by_package_ms": {
            package: us / 1000 for package, us in self_by_package.most_common(PACKAGE_GROUPS_SHOWN)
        },
        "importtime_top_level_ms": {
            module: us / 1000 for module, us in sorted(top_level.items(), key=lambda item: -item[1])[:10]
        },
    }


def stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}
