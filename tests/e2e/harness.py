"""Drive the real Pulumi CLI on the example project (or another program), against an emulator."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from cfmtls_provider.client_auth import NOT_PRESENTED, ClientAuth
from cfmtls_provider.custom_rules import parsed_expression, request_fields
from cfmtls_provider.emulator.admin_client import WRITE_METHODS, EmulatorAdmin
from cfmtls_provider.rules_language import evaluate
from tests.support.certs import make_ca
from tests.support.package_source import copy_package_source, install_in_new_venv, package_source_at
from tests.support.pulumi_stack import REPO, PulumiStack

__all__ = [
    "ACCOUNT_ID",
    "REPO",
    "TOKEN",
    "WRITE_METHODS",
    "ZONE_ID",
    "Stack",
    "add_rule_by_hand",
    "api_client",
    "associated",
    "certificates",
    "cfmtls",
    "custom_rules",
    "install_as_a_user",
    "rule_stops",
    "write_ca",
    "write_kinds",
]

TOKEN = "e2e-token-7f3a9c1d5b2e4f60a8b7c6d5e4f3a2b1"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
ZONE_ID = "fedcba9876543210fedcba9876543210"


def install_as_a_user(where: Path, commit: str | None = None) -> Path:
    """A fresh virtualenv with this package pip-installed from a copy of its source (what a user's requirement
    line ``cfmtls-provider @ file:///path`` does): no editable install, no extra, no dev tools. Returns it.
    ``commit``: the package as it was at that commit of this repository (an earlier release), not as it is now."""
    target = where / "cfmtls-provider"
    source = copy_package_source(target) if commit is None else package_source_at(commit, target)
    return install_in_new_venv(source, where / "venv")


class Stack(PulumiStack):
    """A stack of the example project (unless ``program`` names another) using the emulator's API."""

    @classmethod
    def create(
        cls,
        tmp: Path,
        emulator: EmulatorAdmin,
        pulumi_bin: str,
        *,
        program: Path | None = None,
        venv: Path | None = None,
        **extra_env: str,
    ) -> Stack:
        """``program``: a directory holding Pulumi.yaml and __main__.py (default: the example at the repo root).
        ``venv``: the virtualenv the program runs in (default: the repository's .venv)."""
        env = {
            "CLOUDFLARE_BASE_URL": emulator.base_url,
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
            "CFMTLS_DELETE_WAIT_SECONDS": "8",  # the emulator lags association removals by default, as Cloudflare does
            "CFMTLS_TIMEOUT_SECONDS": "10",
            **extra_env,
        }
        return cls.new(tmp, program or REPO, pulumi_bin, env=env, name="e2e", venv=venv)

    def configure_example(self, ca_path: Path, hostnames: list[str], zone_id: str = ZONE_ID) -> None:
        self.config("zoneId", zone_id)
        self.set_hostnames(hostnames)
        self.config("caPemPath", str(ca_path))

    def set_hostnames(self, hostnames: list[str]) -> None:
        self.run("config", "rm", "hostnames", check=False)
        for index, name in enumerate(hostnames):
            self.config(f"hostnames[{index}]", name, path=True)


# -- changes made outside any stack, and what the emulator holds, through its public API ----------------------


def api_client(emulator: EmulatorAdmin) -> httpx.Client:
    """A Cloudflare API client of the emulator, with the tests' token: changes made outside any stack."""
    return httpx.Client(base_url=emulator.base_url, headers={"Authorization": f"Bearer {TOKEN}"})


def add_rule_by_hand(emulator: EmulatorAdmin, zone_id: str, rule: dict[str, Any]) -> dict[str, Any]:
    """Create the zone's custom rules entrypoint outside any stack, holding ``rule``; returns the rule made."""
    with api_client(emulator) as api:
        answer = api.post(
            f"/zones/{zone_id}/rulesets",
            json={"name": "default", "kind": "zone", "phase": "http_request_firewall_custom", "rules": [rule]},
        )
        answer.raise_for_status()
    made: dict[str, Any] = answer.json()["result"]["rules"][0]
    return made


def assert_preview_refuses(stack: Stack, emulator: EmulatorAdmin, expected: str) -> str:
    """`pulumi preview` fails showing ``expected``, with no traceback, no error of the program's own after it, and
    without any API write. Returns what it showed."""
    preview = stack.preview(check=False)
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0
    assert expected in output, output
    assert "Traceback" not in output
    assert "Resource monitor has terminated" not in output, output
    assert emulator.writes() == []
    return output


def cfmtls(stack: PulumiStack, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``cfmtls`` console script of the repository's virtualenv, run as an operator runs it: the settings from
    the stack's environment."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "cfmtls"), *args], env=stack.env, capture_output=True, text=True, timeout=120
    )


def write_ca(tmp_path: Path, name: str) -> Path:
    """A fresh CA named ``name`` in a new file (a new path each call, so a changed config value is a change)."""
    path = tmp_path / f"{name}-{time.monotonic_ns()}.pem"
    path.write_text(make_ca(name).pem)
    return path


def certificates(emulator: EmulatorAdmin) -> list[dict[str, Any]]:
    with api_client(emulator) as api:
        result: list[dict[str, Any]] = api.get(f"/accounts/{ACCOUNT_ID}/mtls_certificates").json()["result"]
    return result


def associated(emulator: EmulatorAdmin, certificate_id: str) -> list[str]:
    with api_client(emulator) as api:
        answer = api.get(
            f"/zones/{ZONE_ID}/certificate_authorities/hostname_associations",
            params={"mtls_certificate_id": certificate_id},
        )
    hostnames: list[str] = answer.json()["result"]["hostnames"]
    return hostnames


def custom_rules(emulator: EmulatorAdmin) -> list[dict[str, Any]]:
    with api_client(emulator) as api:
        answer = api.get(f"/zones/{ZONE_ID}/rulesets/phases/http_request_firewall_custom/entrypoint")
    if answer.status_code == 404:
        return []
    rules: list[dict[str, Any]] = answer.json()["result"]["rules"]
    return rules


_RULE_PATH = re.compile(r"/rulesets/[^/]+/rules(?:/|$)")


def write_kinds(emulator: EmulatorAdmin) -> list[str]:
    """Each write as 'METHOD kind': associations (a list), rule (one rule of a ruleset), ruleset (the entrypoint
    itself: made with its first rule, or deleted), certificate."""
    kinds = []
    for entry in emulator.writes():
        path = entry["path"]
        if "hostname_associations" in path:
            kind = "associations"
        elif _RULE_PATH.search(path):
            kind = "rule"
        elif "/rulesets" in path:
            kind = "ruleset"
        else:
            kind = "certificate"
        kinds.append(f"{entry['method']} {kind}")
    return kinds


def rule_stops(rule: dict[str, Any], hostname: str, issuer_ski: str | None) -> bool:
    """Whether ``rule`` (as the API answers it) matches a request to ``hostname`` whose client presents a verified
    certificate issued by the CA whose SKI is ``issuer_ski`` (None: no certificate): evaluated with the rules
    runner's fields, never read from the expression's text."""
    expression = parsed_expression(str(rule["expression"]))
    assert not isinstance(expression, Exception), expression
    auth = NOT_PRESENTED
    if issuer_ski is not None:
        auth = ClientAuth(cert_presented=True, cert_verified=True, cert_issuer_ski=issuer_ski)
    return evaluate(expression, request_fields(hostname, auth))
