"""The package as it was at an earlier commit, measured in the same run as today's (``python -m bench.run --scaling
--before COMMIT``): the "before" of a before/after comparison on the same machine under the same load.

Faithful to that commit: its ``cfmtls_provider`` and its own bench stack and engine floor (``bench/stack``,
``bench/floor``, from ``git archive``), the package pip-installed (not editable) into a virtualenv of its own whose
every other dependency is pinned to the version in this checkout's ``.venv`` (``pip freeze`` as constraints: the
same Pulumi SDK, grpc, cryptography...), the same Pulumi CLI, emulator and measuring code. Only the package and its
programs differ. Sizes keep their resource count: a bench stack of that commit that declares a rule resource beside
each zone's association (0.1: ``ClientCertificateRule``) gets half the zones.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from tests.support.package_source import install_in_new_venv, package_source_at
from tests.support.pulumi_stack import REPO, VENV

from .plan import Size

__all__ = ["Baseline", "baseline_at"]


@dataclass(frozen=True)
class Baseline:
    """The package at ``commit``: its virtualenv, its bench programs, and how many resources it declares per zone."""

    commit: str
    venv: Path
    stack_dir: Path
    floor_dir: Path
    resources_per_zone: int

    def size(self, size: Size) -> Size:
        """``size`` in this commit's shape, with the same number of resources."""
        zones, rest = divmod(size.resources - size.cas, self.resources_per_zone)
        if rest:
            raise ValueError(f"{size.name}: {size.resources} resources do not fit the shape of {self.commit}")
        return replace(size, zones=zones, resources_per_zone=self.resources_per_zone)


def _run(args: list[str], timeout: float = 900) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


@contextmanager
def baseline_at(commit: str) -> Iterator[Baseline]:
    """Prepare the package at ``commit`` (about a minute: a virtualenv and a pip install), removed afterwards."""
    full = _run(["git", "-C", str(REPO), "rev-parse", "--short", f"{commit}^{{commit}}"]).strip()
    with tempfile.TemporaryDirectory(prefix=f"cfmtls-bench-{full}-") as root_name:
        root = Path(root_name)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", full, "bench/stack", "bench/floor"], capture_output=True, check=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(root / "programs", filter="data")
        source = package_source_at(full, root / "source")
        constraints = root / "constraints.txt"
        frozen = _run([str(VENV / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"])
        constraints.write_text("".join(line + "\n" for line in frozen.splitlines() if "cfmtls" not in line))
        venv = root / "venv"
        print(f"== the package at {full}: installing it into {venv}", flush=True)
        install_in_new_venv(source, venv, constraints)
        stack_dir = root / "programs" / "bench" / "stack"
        per_zone = 2 if "ClientCertificateRule(" in (stack_dir / "__main__.py").read_text() else 1
        yield Baseline(full, venv, stack_dir, root / "programs" / "bench" / "floor", per_zone)
