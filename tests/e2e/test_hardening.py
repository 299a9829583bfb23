"""Issue 17 through the real engine, as users run it: `pulumi up` (with its preview) and `pulumi preview`.

* two associations named "edge rule" and "edge/rule" in one zone get two Cloudflare rules (point 1);
* a bundle given root first pins the intermediate, the CA that issues client certificates (point 2);
* renaming the CA fails the preview with the options, changes nothing, and on_rename='record_only' then makes
  no API call (point 4);
* killing the CLI's process group ends the provider process too (point 12);
* with Pulumi's gRPC debug log on, a token from CLOUDFLARE_API_TOKEN and a key from private_key_file never
  appear in it, while a token set as secret stack config does (Pulumi logs every gRPC message; point 11).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import REPO, TOKEN, ZONE_ID, Stack, assert_preview_refuses, rule_stops

pytestmark = pytest.mark.e2e

PROGRAM = REPO / "tests" / "e2e" / "programs" / "hardening"


def custom_rules(emulator: EmulatorAdmin) -> list[dict[str, object]]:
    [ruleset] = emulator.state()["rulesets"]
    rules: list[dict[str, object]] = ruleset["rules"]
    return rules


def key_body(pem: str) -> str:
    """The base64 of a PEM key, one line: what a log would hold of it, however it escapes line breaks."""
    return "".join(pem.strip().splitlines()[1:-1])[:64]


def ski(cert: x509.Certificate) -> str:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex().upper()


def test_two_rules_a_root_first_bundle_and_a_rename(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> None:
    root = make_ca("hardening root")
    intermediate = root.issue_ca("hardening intermediate")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(root.pem + intermediate.pem)
    key = tmp_path / "intermediate.key"
    key.write_text(intermediate.key_pem)
    grpc_log = tmp_path / "grpc.log"
    other = make_ca("hardening other CA")
    other_pem = tmp_path / "other.pem"
    other_pem.write_text(other.pem)
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    try:
        stack.config("zoneId", ZONE_ID)
        stack.config("caPemPath", str(bundle))
        stack.config("otherCaPemPath", str(other_pem))
        stack.config("caKeyPath", str(key))
        stack.env["PULUMI_DEBUG_GRPC"] = str(grpc_log)
        stack.run("up", "--yes")
        del stack.env["PULUMI_DEBUG_GRPC"]
        logged = grpc_log.read_text()
        assert "MTLSCertificate" in logged and "private_key_file_sha256" in logged  # the log is the real thing
        assert TOKEN not in logged
        assert key_body(intermediate.key_pem) not in logged
        by_name = {cert["name"].split(" [")[0]: cert for cert in emulator.state()["certificates"]}
        assert {name: cert["has_private_key"] for name, cert in by_name.items()} == {
            "corp-ca": True,
            "other-ca": False,
        }

        rules = custom_rules(emulator)
        assert len(rules) == 2 and len({rule["ref"] for rule in rules}) == 2, rules
        # Each association's own rule protects its hostname and no other (found by the edge, not by the text).
        [edge_rule] = [rule for rule in rules if str(rule["description"]).endswith("(edge rule)")]
        [edge_slash_rule] = [rule for rule in rules if str(rule["description"]).endswith("(edge/rule)")]
        # The pin is the intermediate's SKI (the CA that issues client certificates), not the root's.
        issuers = {"intermediate": ski(intermediate.cert), "root": ski(root.cert), "other": ski(other.cert)}
        assert stack.outputs()["subjectKeyIdentifier"] == issuers["intermediate"]
        assert stack.outputs()["otherSubjectKeyIdentifier"] == issuers["other"]
        for rule, host, admitted in (
            (edge_rule, "a.example.com", "intermediate"),
            (edge_slash_rule, "b.example.com", "other"),
        ):
            outsider = "a.example.com" if host == "b.example.com" else "b.example.com"
            assert rule_stops(rule, host, None) and not rule_stops(rule, outsider, None), rule
            assert {who: rule_stops(rule, host, issuer) for who, issuer in issuers.items()} == {
                who: who != admitted for who in issuers
            }, rule
        assert stack.run("preview", "--expect-no-changes").returncode == 0

        held = by_name["corp-ca"]
        stack.config("caName", "corp-ca-2024")
        emulator.clear_requests()
        # The refusal is the one error: no traceback, none of the program's own as the engine stops.
        said = assert_preview_refuses(
            stack, emulator, "name changed from 'corp-ca' to 'corp-ca-2024' while the certificates stay the same."
        )
        assert "on_rename='record_only'" in said and "on_rename='delete_first'" in said

        stack.config("onRename", "record_only")
        stack.run("up", "--yes")
        assert emulator.writes() == []
        assert held["id"] in [cert["id"] for cert in emulator.state()["certificates"]]
        assert len(emulator.state()["certificates"]) == 2

        # What the docs say about Pulumi's own logging: a token kept as secret stack config is sent to the
        # provider in Configure, and PULUMI_DEBUG_GRPC writes it down in clear.
        stack.config("cfmtls:apiToken", TOKEN, secret=True)
        stack.env["PULUMI_DEBUG_GRPC"] = str(tmp_path / "grpc-config-token.log")
        del stack.env["CLOUDFLARE_API_TOKEN"]
        stack.run("preview")
        assert TOKEN in (tmp_path / "grpc-config-token.log").read_text()
        del stack.env["PULUMI_DEBUG_GRPC"]
    finally:
        stack.destroy(check=False)


def provider_processes(stack: Stack) -> list[int]:
    """The `python -m pulumi.dynamic` processes started for this stack (found by its PULUMI_HOME)."""
    marker = f"PULUMI_HOME={stack.env['PULUMI_HOME']}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"pulumi.dynamic" in cmdline and marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the provider processes through /proc")
def test_killing_the_cli_process_group_ends_the_provider_process(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str, stack: Stack
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(make_ca("watchdog CA").pem)
    stack.config("zoneId", ZONE_ID)
    stack.config("caPemPath", str(ca))
    stack.run("config", "set", "--path", "hostnames[0]", "api.example.com")
    emulator.add_faults("POST:*/mtls_certificates:delay=60")  # the provider is mid-call when the CLI dies
    output = tmp_path / "up.log"
    cli = subprocess.Popen(
        ["pulumi", "up", "--yes", "--non-interactive"],
        cwd=stack.workdir,
        env=stack.env,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a shell's job is
    )
    try:
        deadline = time.monotonic() + 240
        while "MTLSCertificate corp-ca creating" not in output.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert provider_processes(stack), "no provider process started:\n" + output.read_text()
        time.sleep(3)  # the upload is in flight (the emulator delays it)
        os.killpg(cli.pid, signal.SIGKILL)  # what a user's kill of the CLI's process group does
        cli.wait(timeout=10)
        deadline = time.monotonic() + 20
        while provider_processes(stack) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert provider_processes(stack) == [], "the provider process outlived the engine"
    finally:
        for pid in provider_processes(stack):
            os.kill(pid, signal.SIGKILL)
        emulator.clear_faults()
