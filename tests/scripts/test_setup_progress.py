"""What the set-up scripts print on a first run: one line per stage, the tools' own output in a log file whose
path (and last lines) are printed when a stage fails.

A stand-in ``go`` (and ``python3``) on PATH plays the toolchain: it prints the chatter the real one prints
(hundreds of ``go: added ...`` lines), builds stand-in binaries in a moment, or fails the way a compiler does.
The real ten-minute build is what `scripts/demo` does on a fresh machine (measured in the README).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.pulumi_stack import REPO

CLI_VERSION = "3.274.1"

FAKE_GO = """#!/bin/sh
# A stand-in for the Go toolchain: its chatter on stderr, stand-in binaries, or a compile error.
case "$1" in
  get)
    i=0
    while [ $i -lt 300 ]; do i=$((i + 1)); echo "go: added example.com/module$i v1.0.$i" >&2; done
    echo "go: warning: example.com/old@v1.0.0: retracted by module author" >&2 ;;
  build)
    [ "$FAKE_GO_FAIL" = build ] && { echo "pkg/cmd/pulumi/main.go:12:2: undefined: frobnicate" >&2; exit 1; }
    while [ "$1" != -o ]; do shift; done
    printf '#!/bin/sh\\necho v%s\\n' "$FAKE_PULUMI_VERSION" >"$2"
    chmod +x "$2" ;;
  env) echo "$FAKE_GOMODCACHE" ;;
esac
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def toolchain(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine whose only Go is the stand-in, with an empty cfmtls cache."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    executable(bin_dir / "go", FAKE_GO)
    sdk = tmp_path / "gomodcache" / "github.com" / "pulumi" / "pulumi" / f"sdk/v3@v{CLI_VERSION}" / "python"
    for launcher in ("cmd/pulumi-language-python-exec", "dist/pulumi-resource-pulumi-python"):
        (sdk / launcher).parent.mkdir(parents=True, exist_ok=True)
        executable(sdk / launcher, "#!/bin/sh\n")
    return {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path / "home"),
        "CFMTLS_CACHE_DIR": str(tmp_path / "cache"),
        "CFMTLS_BUILD_PULUMI": "1",
        "FAKE_GOMODCACHE": str(tmp_path / "gomodcache"),
        "FAKE_PULUMI_VERSION": CLI_VERSION,
        "TMPDIR": str(tmp_path),
    }


def run(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_first_build_prints_one_line_per_stage_and_keeps_the_go_chatter_in_its_log(
    toolchain: dict[str, str],
) -> None:
    done = run(REPO / "scripts" / "install-pulumi", toolchain)

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[1:5] == [
        "install-pulumi: [1/4] downloading the CLI's Go modules ...",
        "install-pulumi: [2/4] compiling the CLI (the long step) ...",
        "install-pulumi: [3/4] compiling the Python language host ...",
        "install-pulumi: [4/4] copying the Python launchers ...",
    ], done.stderr
    assert len(lines) == 6, done.stderr  # the build announced with its log's path, four stages, the result
    assert "go: added" not in done.stderr and "retracted" not in done.stderr
    log = Path(toolchain["CFMTLS_CACHE_DIR"]) / "logs" / "install-pulumi.log"
    assert str(log) in lines[0]
    assert "go: added example.com/module300 v1.0.300" in log.read_text()
    bin_dir = done.stdout.splitlines()[-1]
    assert lines[-1].startswith(f"install-pulumi: installed: v{CLI_VERSION} in {bin_dir}, built in ")

    again = run(REPO / "scripts" / "install-pulumi", toolchain)
    assert again.stderr.splitlines() == [f"install-pulumi: cached: pulumi v{CLI_VERSION} in {bin_dir}"]


def test_a_failed_compile_names_the_stage_shows_the_error_and_the_full_logs_path(toolchain: dict[str, str]) -> None:
    done = run(REPO / "scripts" / "install-pulumi", {**toolchain, "FAKE_GO_FAIL": "build"})

    assert done.returncode != 0
    log = Path(toolchain["CFMTLS_CACHE_DIR"]) / "logs" / "install-pulumi.log"
    assert "install-pulumi: [2/4] compiling the CLI (the long step): FAILED (exit status 1)" in done.stderr
    assert "    pkg/cmd/pulumi/main.go:12:2: undefined: frobnicate" in done.stderr
    assert done.stderr.splitlines()[-1] == f"install-pulumi: the full log: {log}"
    assert "go: added example.com/module1 v1.0.1" in log.read_text()
    assert len(done.stderr.splitlines()) <= 25, done.stderr
    assert done.stdout == ""


def test_bootstrap_failing_to_make_the_virtualenv_says_so_with_the_logs_path(
    tmp_path: Path, toolchain: dict[str, str]
) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "scripts", checkout / "scripts")
    python = executable(tmp_path / "python", "#!/bin/sh\necho 'Error: ensurepip is not available' >&2\nexit 1\n")

    done = run(checkout / "scripts" / "bootstrap", {**toolchain, "PYTHON": str(python)})

    log = Path(toolchain["CFMTLS_CACHE_DIR"]) / "logs" / "bootstrap.log"
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 4, done.stderr
    assert lines[0] == "bootstrap: creating the virtualenv (.venv) ..."
    assert lines[1].startswith("bootstrap: creating the virtualenv (.venv): FAILED (exit status 1) after ")
    assert lines[2:] == ["    Error: ensurepip is not available", f"bootstrap: the full log: {log}"]
    assert "ensurepip is not available" in log.read_text()


def test_a_run_with_nothing_to_do_keeps_the_log_of_the_last_run_that_did_something(tmp_path: Path) -> None:
    script = executable(
        tmp_path / "setup",
        f". {REPO / 'scripts' / 'lib' / 'progress.sh'}\n"
        'progress_init setup\n[ "$1" = work ] && stage "working" echo "the tool\'s output"\nexit 0\n',
    )
    env = {"PATH": "/usr/bin:/bin", "CFMTLS_CACHE_DIR": str(tmp_path / "cache")}
    log = tmp_path / "cache" / "logs" / "setup.log"
    subprocess.run(["bash", str(script), "work"], env=env, check=True, timeout=60)
    subprocess.run(["bash", str(script)], env=env, check=True, timeout=60)
    assert "the tool's output" in log.read_text()
    assert sorted(path.name for path in log.parent.iterdir()) == ["setup.log"]
