"""The README's quick start ("The two commands") and "Use it in your own stack" sections, run as a newcomer pastes
them: every shell and Python block, verbatim, in order, in one shell session, on a machine that has only what the
README asks for. A block that fails fails the test, naming it. So the README cannot drift from what works.

The convention (the README stays plain Markdown; tests/support/readme.py reads it):

- A block whose paragraph starts with a file name in backticks (`` `requirements.txt` ...: ``) is that file's
  content: it is written into the folder before the shell blocks run, as the user's editor would.
- Every other ``bash``/``sh``/``python`` block runs, in order (Python blocks with the session's ``python``),
  unless an HTML comment ``<!-- not run: <why> -->`` (invisible once rendered) is the paragraph right before it.
- One command per line: a failure inside ``a && b`` does not stop a shell, so the test could not see it.
- Placeholders: ``/path/to/cfmtls-provider`` is a copy of this repository (what a user clones); ``8787``, the
  emulator's port, becomes a free port, so that two runs of this test do not meet.

Where they run: "Use it in your own stack" in a new folder ``my-infra`` outside the repository; the quick start in
a copy of the repository's files (a fresh clone, with this checkout's uncommitted changes). The machine: an empty
HOME, ``python3`` and ``go`` on PATH, and a Pulumi CLI for "Use it in your own stack" (its prerequisite; the quick
start installs its own), nothing of this checkout's virtualenv or settings. Two things stand for this machine's network, not for the README: pip's and the Pulumi
build's caches carry over, and Pulumi neither checks for updates nor downloads plugins (it cannot reach
get.pulumi.com here).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.package_source import copy_package_source
from tests.support.pulumi_stack import REPO, run_command
from tests.support.readme import SHELL, Block, blocks, section

pytestmark = pytest.mark.e2e

OWN_STACK = "Use it in your own stack"
QUICK_START = "The two commands"
REPOSITORY_PLACEHOLDER = "/path/to/cfmtls-provider"
EMULATOR_PORT = "8787"
MARKER = "@@ README.md line "


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def pasted(text: str, repository: Path, port: str) -> str:
    return text.replace(REPOSITORY_PLACEHOLDER, str(repository)).replace(EMULATOR_PORT, port)


def newcomer_environment(home: Path, *extra_path: str) -> dict[str, str]:
    """A fresh machine with the README's prerequisites (``extra_path``: a Pulumi CLI where the section asks for
    one), and nothing of this checkout: no virtualenv, no settings."""
    private = ("PULUMI_", "CLOUDFLARE_", "CFMTLS_", "PYTHON", "VIRTUAL_ENV", "GO")
    env = {key: value for key, value in os.environ.items() if not key.startswith(private)}
    path = [
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and not entry.startswith(str(REPO)) and not (Path(entry) / "pulumi").exists()
    ]
    home.mkdir()
    cache = Path.home() / ".cache"
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([*extra_path, *path]),
        # This machine's network, not the README: caches carry over, and get.pulumi.com cannot be reached.
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(cache / "pip")),
        CFMTLS_CACHE_DIR=os.environ.get("CFMTLS_CACHE_DIR", str(cache / "cfmtls-provider")),
        GOMODCACHE=subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip(),
        GOCACHE=subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True).stdout.strip(),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    return env


def session_script(runnable: list[Block], scratch: Path, repository: Path, port: str) -> str:
    """One shell session running the blocks in order, saying on stderr which block starts."""
    lines = ["set -eo pipefail"]
    for block in runnable:
        lines.append(f"printf '\\n{MARKER}%d\\n' {block.line} >&2")
        text = pasted(block.text, repository, port)
        if block.language in SHELL:
            lines.append(text)
        else:
            script = scratch / f"readme-line-{block.line}.py"
            script.write_text(text)
            lines.append(f"python {script}")
    return "\n".join(lines) + "\n"


def run_section(heading: str, where: Path, env: dict[str, str], repository: Path, timeout: float) -> str:
    """Write the section's files into ``where``, run its blocks there; fail naming the block that failed."""
    text, first_line = section(heading)
    found = blocks(text, first_line)
    runnable = [block for block in found if block.runs]
    assert runnable, f"README section '{heading}' has no block to run"
    for block in runnable:
        chained = [line for line in block.text.splitlines() if "&&" in line and not line.lstrip().startswith("#")]
        assert not chained, (
            f"README.md line {block.line}: one command per line, please (a failure inside 'a && b' does not stop "
            f"a shell, so this test could not see it): {chained[0]}"
        )
    port = free_port()
    for block in found:
        if block.file:
            (where / block.file).write_text(pasted(block.text, repository, port))
    scratch = where.parent / f"{where.name}-scratch"
    scratch.mkdir()
    script = scratch / "session.sh"
    script.write_text(session_script(runnable, scratch, repository, port))
    result = run_command(["bash", str(script)], cwd=where, env=env, timeout=timeout)
    if result.returncode != 0:
        started = re.findall(rf"^{re.escape(MARKER)}(\d+)$", result.stderr, flags=re.MULTILINE)
        failed = next(block for block in runnable if str(block.line) == started[-1]) if started else runnable[0]
        pytest.fail(
            f"README.md line {failed.line} (section '{heading}') fails as pasted (exit {result.returncode}):\n"
            f"{failed.text}\n--- stdout (end) ---\n{result.stdout[-3000:]}\n--- stderr (end) ---\n"
            f"{result.stderr[-3000:]}",
            pytrace=False,
        )
    return result.stdout + result.stderr


def test_use_it_in_your_own_stack_runs_as_pasted_in_a_new_folder(tmp_path: Path, pulumi_bin: str) -> None:
    repository = copy_package_source(tmp_path / "cfmtls-provider")
    project = tmp_path / "my-infra"
    project.mkdir()
    output = run_section(
        OWN_STACK, project, newcomer_environment(tmp_path / "home", pulumi_bin), repository, timeout=1200
    )
    assert "Resources:" in output, output[-3000:]


def repository_files(where: Path) -> Path:
    """This checkout's files as a fresh clone has them (tracked and new files; nothing ignored, no .venv)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    return where


def test_the_quick_start_runs_as_pasted_in_a_fresh_copy_of_the_repository(tmp_path: Path) -> None:
    clone = repository_files(tmp_path / "cfmtls-provider")
    output = run_section(QUICK_START, clone, newcomer_environment(tmp_path / "home"), clone, timeout=1800)
    assert "== done." in output, output[-3000:]
