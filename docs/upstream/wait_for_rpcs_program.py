"""The program in wait_for_rpcs_program/ at several sizes, through the real Pulumi CLI on a local file backend
(checkpoints skipped, so that the engine's own quadratic state writes stay out of it): its CPU seconds.

    python wait_for_rpcs_program.py [--linear] [N ...]     # default N: 250 500 1000 2000

Needs the `pulumi` CLI on PATH and the `pulumi` package in the Python that runs this script (the program runs in
it: the project's virtualenv option is left out, so the CLI uses the first python3 on PATH).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROGRAM = Path(__file__).resolve().parent / "wait_for_rpcs_program"
linear = "--linear" in sys.argv
sizes = [int(arg) for arg in sys.argv[1:] if arg.isdigit()] or [250, 500, 1000, 2000]


def pulumi(*args: str, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pulumi {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


for n in sizes:
    with tempfile.TemporaryDirectory() as root_name:
        root = Path(root_name)
        shutil.copytree(PROGRAM, root / "project")
        (root / "state").mkdir()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "repro",
            "PULUMI_HOME": str(root / "home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CHECKPOINTS": "true",
            "PROGRAM_CPU_FILE": str(root / "cpu.txt"),
        }
        project = root / "project"
        pulumi("stack", "init", "repro", cwd=project, env=env)
        pulumi("config", "set", "n", str(n), cwd=project, env=env)
        pulumi("config", "set", "linear", str(linear).lower(), cwd=project, env=env)
        started = time.monotonic()
        pulumi("up", "--yes", "--skip-preview", cwd=project, env=env)
        wall = time.monotonic() - started
        cpu = float((root / "cpu.txt").read_text())
        print(f"{n:5} resources: program {cpu:6.1f} s of CPU, pulumi up {wall:6.1f} s", flush=True)
