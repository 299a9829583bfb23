"""Drive the real Pulumi CLI on one stack of a program, in its own directory, on a local file backend.

The one workspace driver of the repository: the end-to-end tests (``tests/e2e/harness.py``) and the benchmark
(``bench/``) both use it. Pulumi's ``pulumi.automation.LocalWorkspace`` was considered: it drives the same CLI,
but the tests read the CLI's own output (what a user sees) and need failed commands as results rather than
exceptions, and the benchmark times the bare CLI command; so this stays a thin wrapper around ``pulumi``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

__all__ = ["REPO", "CommandFailed", "CommandResult", "PulumiStack", "pulumi_bin_dir", "run_command", "use_venv"]

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"

#: Variables of the caller's environment a stack never inherits (each stack gets its own).
_PRIVATE_PREFIXES = ("PULUMI_", "CLOUDFLARE_", "CFMTLS_", "PYTHON")


class CommandFailed(RuntimeError):
    """A command exited non-zero (with ``check``) or ran out of time; the message holds its output."""


class CommandResult(subprocess.CompletedProcess[str]):
    """A finished command, with its wall time in seconds."""

    def __init__(self, args: Sequence[str], returncode: int, stdout: str, stderr: str, seconds: float) -> None:
        super().__init__(list(args), returncode, stdout, stderr)
        self.seconds = seconds


def _kill_group(process: subprocess.Popen[str]) -> None:
    """End a process we started, with everything it started (it leads its own session)."""
    if process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def run_command(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None, timeout: float) -> CommandResult:
    """Run ``args`` in its own session; on timeout its whole process group is killed and CommandFailed raised."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=None if env is None else dict(env),
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
        raise CommandFailed(f"{' '.join(args)} timed out after {timeout:.0f}s\n{out[-3000:]}\n{err[-3000:]}") from None
    finally:
        _kill_group(process)
    return CommandResult(args, process.returncode, out, err, time.perf_counter() - started)


def pulumi_bin_dir() -> str:
    """The CLI from scripts/install-pulumi (its last stdout line is the bin dir; built once, cached under $HOME)."""
    result = run_command([str(REPO / "scripts" / "install-pulumi")], cwd=REPO, env=None, timeout=1800)
    if result.returncode != 0:
        raise CommandFailed(f"scripts/install-pulumi failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def use_venv(pulumi_yaml: str, venv: Path) -> str:
    """The program's Pulumi.yaml, running its Python in ``venv``."""
    virtualenv = f"virtualenv: {venv}"
    if re.search(r"(?m)^\s+virtualenv: .*$", pulumi_yaml):
        return re.sub(r"(?m)^(\s+)virtualenv: .*$", lambda m: m.group(1) + virtualenv, pulumi_yaml)
    return re.sub(r"(?m)^(runtime:\n  name: python)$", rf"\1\n  options:\n    {virtualenv}", pulumi_yaml, count=1)


@dataclass
class PulumiStack:
    """One stack of a program copied into ``root/project``, with its own file backend and ``PULUMI_HOME``."""

    workdir: Path
    env: dict[str, str]
    name: str
    timeout: float = 300.0
    log: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls,
        root: Path,
        program: Path,
        pulumi_bin: str,
        *,
        env: Mapping[str, str] | None = None,
        name: str = "dev",
        timeout: float = 300.0,
        venv: Path | None = None,
    ) -> Self:
        """Copy ``program`` (its Pulumi.yaml and top-level ``*.py``), make the backend, ``stack init``.

        ``env`` is added to the caller's environment, from which Pulumi, Cloudflare, cfmtls and Python
        variables are removed first; the program's directory is on ``PYTHONPATH`` (for provider modules
        that live beside ``__main__.py``, as in ``bench/floor``). ``venv``: the virtualenv the program runs
        in (default: the repository's .venv), first on PATH as an activated virtualenv is (the pinned CLI
        build's Python host runs the first python3 on PATH)."""
        venv = venv or VENV
        project = root / "project"
        project.mkdir(parents=True)
        for source in [program / "Pulumi.yaml", *sorted(program.glob("*.py"))]:
            shutil.copy(source, project / source.name)
        (project / "Pulumi.yaml").write_text(use_venv((program / "Pulumi.yaml").read_text(), venv))
        (root / "state").mkdir()
        base = {key: value for key, value in os.environ.items() if not key.startswith(_PRIVATE_PREFIXES)}
        base.update(
            PATH=f"{pulumi_bin}{os.pathsep}{venv / 'bin'}{os.pathsep}{base.get('PATH', '')}",
            PULUMI_BACKEND_URL=f"file://{root / 'state'}",
            PULUMI_CONFIG_PASSPHRASE="cfmtls-test-passphrase",
            PULUMI_HOME=str(root / "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PYTHONPATH=str(project),
        )
        base.update(env or {})
        stack = cls(project, base, name, timeout)
        stack.run("stack", "init", name)
        return stack

    # --- commands ------------------------------------------------------------------------------------------

    def run(self, *args: str, check: bool = True, timeout: float | None = None) -> CommandResult:
        """``pulumi ARGS --non-interactive`` in the project; with ``check``, a failure raises CommandFailed."""
        result = run_command(
            ["pulumi", *args, "--non-interactive"], cwd=self.workdir, env=self.env, timeout=timeout or self.timeout
        )
        self.log.append(
            f"$ pulumi {' '.join(args)}  [{result.seconds:.2f}s rc={result.returncode}]\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        if check and result.returncode != 0:
            raise CommandFailed(
                f"pulumi {' '.join(args)} failed (rc {result.returncode}) in {self.workdir}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def config(self, key: str, value: str, *, path: bool = False, secret: bool = False) -> None:
        self.run("config", "set", *(["--path"] if path else []), *(["--secret"] if secret else []), key, value)

    def config_all(self, values: Mapping[str, str]) -> None:
        """Set several plain-text values in one command."""
        pairs = [arg for key, value in values.items() for arg in ("--plaintext", f"{key}={value}")]
        self.run("config", "set-all", *pairs)

    # up, refresh and destroy run as users run them: the engine previews first (no --skip-preview), so a
    # plan that cannot be previewed fails the test that drives it.

    def up(self, check: bool = True) -> CommandResult:
        return self.run("up", "--yes", check=check)

    def preview(self, check: bool = True) -> CommandResult:
        return self.run("preview", "--diff", check=check)

    def refresh(self, check: bool = True) -> CommandResult:
        return self.run("refresh", "--yes", check=check)

    def destroy(self, check: bool = True) -> CommandResult:
        return self.run("destroy", "--yes", check=check)

    # --- what the stack holds ------------------------------------------------------------------------------

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)
        return result

    def export(self, show_secrets: bool = False) -> str:
        return self.run("stack", "export", *(["--show-secrets"] if show_secrets else [])).stdout

    def resources(self) -> list[dict[str, Any]]:
        deployment = json.loads(self.export(show_secrets=True))["deployment"]
        resources: list[dict[str, Any]] = deployment.get("resources") or []
        return resources
