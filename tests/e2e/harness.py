"""Drive the real Pulumi CLI on the example project, against an emulator, on a local file backend."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cfmtls_provider.throwaway_ca import make_ca

REPO = Path(__file__).resolve().parents[2]
TOKEN = "e2e-token-7f3a9c1d5b2e4f60a8b7c6d5e4f3a2b1"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
ZONE_ID = "fedcba9876543210fedcba9876543210"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def pulumi_bin_dir() -> str:
    """The CLI from scripts/install-pulumi (built once, cached under $HOME)."""
    result = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], check=True, capture_output=True, text=True, timeout=1800
    )
    return result.stdout.strip().splitlines()[-1]


def install_as_a_user(where: Path) -> Path:
    """A fresh virtualenv with this package pip-installed from a copy of its source (what a user's requirement
    line ``cfmtls-provider @ file:///path`` does): no editable install, no extra, no dev tools. Returns it."""
    source = where / "cfmtls-provider"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "cfmtls_provider", source / "cfmtls_provider", ignore=shutil.ignore_patterns("__pycache__"))
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True,
        timeout=900,
    )
    return venv


class Emulator:
    """The admin side of a running emulator: its request log and state."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.admin = base_url.split("/client/v4")[0]

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = httpx.get(f"{self.admin}/__emulator__/requests").json()
        for entry in entries:
            entry["path"] = entry["path"].removeprefix("/client/v4")
        return entries

    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.requests() if entry["method"] in WRITE_METHODS]

    def clear_requests(self) -> None:
        httpx.delete(f"{self.admin}/__emulator__/requests")

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(f"{self.admin}/__emulator__/state").json()
        return state

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {TOKEN}"})

    def add_rule_by_hand(self, zone_id: str, rule: dict[str, Any]) -> dict[str, Any]:
        """Create the zone's custom rules entrypoint outside any stack, holding ``rule``; returns the rule made."""
        with self.api() as api:
            answer = api.post(
                f"/zones/{zone_id}/rulesets",
                json={"name": "default", "kind": "zone", "phase": "http_request_firewall_custom", "rules": [rule]},
            )
            answer.raise_for_status()
        made: dict[str, Any] = answer.json()["result"]["rules"][0]
        return made

    def add_fault(self, *specs: str | dict[str, Any]) -> None:
        """Add fault rules (compact strings or JSON objects, see docs/emulator.md)."""
        httpx.post(f"{self.admin}/__emulator__/faults", json=list(specs)).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.admin}/__emulator__/faults").raise_for_status()


@dataclass
class Stack:
    """One stack of a project (the example project unless ``program`` names another) in a temporary directory."""

    workdir: Path
    env: dict[str, str]
    name: str = "e2e"
    log: list[str] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        tmp: Path,
        emulator: Emulator,
        pulumi_bin: str,
        *,
        program: Path | None = None,
        venv: Path | None = None,
        **extra_env: str,
    ) -> Stack:
        """``program``: a directory holding Pulumi.yaml and __main__.py (default: the example at the repo root).
        ``venv``: the virtualenv the program runs in (default: the repository's .venv), first on PATH as an
        activated virtualenv is (the pinned CLI build's Python host runs the first python3 on PATH)."""
        source = program or REPO
        venv = venv or REPO / ".venv"
        project = tmp / "project"
        project.mkdir()
        shutil.copy(source / "__main__.py", project / "__main__.py")
        yaml = (source / "Pulumi.yaml").read_text().replace("virtualenv: .venv", f"virtualenv: {venv}")
        (project / "Pulumi.yaml").write_text(yaml)
        venv_bin = venv / "bin"
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("PULUMI_", "CLOUDFLARE_", "CFMTLS_"))
        }
        env.update(
            PATH=f"{pulumi_bin}{os.pathsep}{venv_bin}{os.pathsep}{env.get('PATH', '')}",
            PULUMI_BACKEND_URL=f"file://{tmp / 'state'}",
            PULUMI_CONFIG_PASSPHRASE="e2e-passphrase",
            PULUMI_HOME=str(tmp / "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            CLOUDFLARE_BASE_URL=emulator.base_url,
            CLOUDFLARE_API_TOKEN=TOKEN,
            CLOUDFLARE_ACCOUNT_ID=ACCOUNT_ID,
            CFMTLS_DELETE_WAIT_SECONDS="8",  # the emulator lags association removals by default, as Cloudflare does
            CFMTLS_TIMEOUT_SECONDS="10",
        )
        env.update(extra_env)
        (tmp / "state").mkdir()
        stack = cls(project, env)
        stack.run("stack", "init", stack.name)
        return stack

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.log.append(f"$ pulumi {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def config(self, key: str, value: str, *, path: bool = False, secret: bool = False) -> None:
        args = ["config", "set"]
        if path:
            args.append("--path")
        if secret:
            args.append("--secret")
        self.run(*args, key, value)

    def configure_example(self, ca_path: Path, hostnames: list[str], zone_id: str = ZONE_ID) -> None:
        self.config("zoneId", zone_id)
        self.set_hostnames(hostnames)
        self.config("caPemPath", str(ca_path))

    def set_hostnames(self, hostnames: list[str]) -> None:
        self.run("config", "rm", "hostnames", check=False)
        for index, name in enumerate(hostnames):
            self.config(f"hostnames[{index}]", name, path=True)

    # up, refresh and destroy run as users run them: the engine previews first (no --skip-preview), so a
    # plan that cannot be previewed fails the test that drives it.

    def up(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", check=check)

    def preview(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--diff", check=check)

    def refresh(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", check=check)

    def destroy(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", check=check)

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)
        return result

    def export(self, show_secrets: bool = False) -> str:
        args = ["stack", "export"] + (["--show-secrets"] if show_secrets else [])
        return self.run(*args).stdout

    def resources(self) -> list[dict[str, Any]]:
        deployment = json.loads(self.export(show_secrets=True))["deployment"]
        resources: list[dict[str, Any]] = deployment.get("resources") or []
        return resources


# -- what the emulator holds, read through its public API ------------------------------------------------


def write_ca(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pem"
    path.write_text(make_ca(name)[0])
    return path


def certificates(emulator: Emulator) -> list[dict[str, object]]:
    with emulator.api() as api:
        result: list[dict[str, object]] = api.get(f"/accounts/{ACCOUNT_ID}/mtls_certificates").json()["result"]
    return result


def associated(emulator: Emulator, certificate_id: str) -> list[str]:
    with emulator.api() as api:
        answer = api.get(
            f"/zones/{ZONE_ID}/certificate_authorities/hostname_associations",
            params={"mtls_certificate_id": certificate_id},
        )
    hostnames: list[str] = answer.json()["result"]["hostnames"]
    return hostnames


def custom_rules(emulator: Emulator) -> list[dict[str, object]]:
    with emulator.api() as api:
        answer = api.get(f"/zones/{ZONE_ID}/rulesets/phases/http_request_firewall_custom/entrypoint")
    if answer.status_code == 404:
        return []
    rules: list[dict[str, object]] = answer.json()["result"]["rules"]
    return rules


def write_kinds(emulator: Emulator) -> list[str]:
    """Each write as 'METHOD kind', kind being the last meaningful path segment."""
    kinds = []
    for entry in emulator.writes():
        path = entry["path"]
        if "hostname_associations" in path:
            kind = "associations"
        elif path.endswith("/rulesets"):
            kind = "ruleset"
        elif "/rules" in path:
            kind = "rule"
        else:
            kind = "certificate"
        kinds.append(f"{entry['method']} {kind}")
    return kinds
