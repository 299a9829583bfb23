"""The command's dependencies stay out of the provider: a Pulumi program imports none of them."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys
import cfmtls_provider
import cfmtls_provider.cli
print(sorted(name for name in ("rich", "lark", "httpx") if name in sys.modules))
"""


def test_importing_the_package_and_the_cli_entry_loads_no_cli_dependency() -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run([sys.executable, "-m", "cfmtls_provider", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "inventory" in result.stdout and "check-client" in result.stdout
