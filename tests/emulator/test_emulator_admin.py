"""The emulator's admin side: request log, state dump, reset, persistence, latency, and the CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import httpx
import pytest

from cfmtls_provider.emulator import assumptions, middleware
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"
HOSTS = f"/zones/{ZONE}/certificate_authorities/hostname_associations"
REPO = Path(__file__).resolve().parents[2]


def test_request_log_lists_api_calls_only_and_never_secrets(emulator: EmulatorServer) -> None:
    ca = make_ca()
    with emulator.client() as api:
        api.post(CERTS, json={"ca": True, "certificates": ca.pem, "private_key": ca.key_pem})
        api.get(HOSTS, params={"mtls_certificate_id": "x"})
    httpx.get(f"{emulator.admin_url}/state")
    log = httpx.get(f"{emulator.admin_url}/requests").json()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("POST", CERTS, "", 200),
        ("GET", HOSTS, "mtls_certificate_id=x", 404),
    ]
    assert all(isinstance(e["time"], float) for e in log) and log[0]["time"] <= log[1]["time"]
    text = json.dumps(log)
    assert emulator.token not in text and "PRIVATE KEY" not in text
    assert httpx.delete(f"{emulator.admin_url}/requests").status_code == 200
    assert httpx.get(f"{emulator.admin_url}/requests").json() == []


def test_state_dump_and_reset(emulator: EmulatorServer) -> None:
    ca = make_ca()
    with emulator.client() as api:
        cert_id = api.post(CERTS, json={"ca": True, "certificates": ca.pem, "private_key": ca.key_pem}).json()[
            "result"
        ]["id"]
        api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id})
    state = httpx.get(f"{emulator.admin_url}/state").json()
    [cert] = state["certificates"]
    assert cert["id"] == cert_id and cert["has_private_key"] is True
    assert state["associations"] == {ZONE: {cert_id: ["a.example.com"]}}
    assert ca.key_pem.splitlines()[1] not in json.dumps(state)
    assert httpx.post(f"{emulator.admin_url}/reset").status_code == 200
    empty = httpx.get(f"{emulator.admin_url}/state").json()
    assert empty["certificates"] == [] and empty["associations"] == {} and empty["rulesets"] == []
    assert emulator.requests() == []


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state" / "emulator.json"
    ca = make_ca()
    config = EmulatorConfig(zones=TEST_ZONES)
    with EmulatorServer(config, state_file=state_file) as first, first.client() as api:
        cert_id = api.post(CERTS, json={"ca": True, "certificates": ca.pem, "private_key": ca.key_pem}).json()[
            "result"
        ]["id"]
        api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id}).raise_for_status()
        ruleset = api.post(
            f"/zones/{ZONE}/rulesets", json={"name": "d", "kind": "zone", "phase": "http_request_firewall_custom"}
        ).json()["result"]
    assert ca.key_pem.splitlines()[1] not in state_file.read_text()
    assert [p.name for p in state_file.parent.iterdir()] == ["emulator.json"]  # no temporary file left
    with EmulatorServer(config, state_file=state_file) as second, second.client() as api:
        assert [c["id"] for c in api.get(CERTS).json()["result"]] == [cert_id]
        assert api.get(HOSTS, params={"mtls_certificate_id": cert_id}).json()["result"]["hostnames"] == [
            "a.example.com"
        ]
        assert api.get(f"/zones/{ZONE}/rulesets/{ruleset['id']}").json()["result"] == ruleset
        dup = api.post(CERTS, json={"ca": True, "certificates": ca.pem})
        assert dup.json()["errors"][0]["code"] == 1471


def test_unreadable_state_file_is_a_clear_error(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("{not json")
    with pytest.raises(RuntimeError, match="cannot read the emulator state file"):
        EmulatorServer(state_file=state_file)


class TestLatency:
    @pytest.fixture
    def emulator_config(self) -> EmulatorConfig:
        return EmulatorConfig(latency_ms=300, zones=TEST_ZONES)

    def test_latency_delays_api_calls_without_blocking_others(
        self, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Proved with events, not wall-clock totals: each API call waits out the latency, the four calls are all
        waiting at the same moment (so they are served side by side, not one after another) and admin calls
        never wait. A call that waited alone would hold the others back, and the barrier would not open."""
        real_sleep = asyncio.sleep
        waits: list[float] = []
        all_waiting: list[asyncio.Event] = []

        async def latency(seconds: float) -> None:
            waits.append(seconds)
            if not all_waiting:
                all_waiting.append(asyncio.Event())  # made on the emulator's event loop
            if len(waits) == 4:
                all_waiting[0].set()
            await asyncio.wait_for(all_waiting[0].wait(), timeout=30)
            await real_sleep(seconds)

        monkeypatch.setattr(middleware, "asyncio", types.SimpleNamespace(sleep=latency))
        failures: list[httpx.HTTPError] = []
        durations: list[float] = []

        def call(api: httpx.Client) -> None:
            start = time.monotonic()
            try:
                with api:
                    api.get(CERTS).raise_for_status()
            except httpx.HTTPError as error:  # reported by the assertion below
                failures.append(error)
            durations.append(time.monotonic() - start)

        threads = [threading.Thread(target=call, args=(emulator.client(timeout=60),)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []  # calls served one after another would never open the barrier: they time out
        assert waits == [0.3] * 4
        assert min(durations) >= 0.29  # a lower bound only: load can make a call slower, never faster
        with httpx.Client() as admin:
            admin.get(f"{emulator.admin_url}/state").raise_for_status()
            admin.get(f"{emulator.admin_url}/requests").raise_for_status()
        assert len(waits) == 4  # admin calls are not delayed


def test_docs_list_every_assumption() -> None:
    docs = (REPO / "docs" / "emulator.md").read_text()
    assert assumptions.render_docs(docs) == docs, (
        "run: python -m cfmtls_provider.emulator.assumptions --write docs/emulator.md"
    )
    for name, _, comment in assumptions.assumption_table():
        assert comment.startswith(("CONFIRMED", "UNCONFIRMED")), name


def test_cli_prints_its_url_and_serves(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "cfmtls_provider.emulator",
        "--port",
        "0",
        "--token",
        "cli-token=account.ssl:read",
        "--fault",
        "GET:*/mtls_certificates:status=503:count=1",
        "--state-file",
        str(tmp_path / "s.json"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        prefix = "cfmtls emulator listening on "
        assert line.startswith(prefix) and line.endswith("/client/v4"), line
        base_url = line.removeprefix(prefix)
        headers = {"Authorization": "Bearer cli-token"}
        assert httpx.get(base_url + CERTS, headers=headers).status_code == 503
        assert httpx.get(base_url + CERTS, headers=headers).status_code == 200
        refused = httpx.post(base_url + CERTS, headers=headers, json={"ca": True, "certificates": "x"})
        assert refused.status_code == 403
        assert httpx.get(base_url + CERTS, headers={"Authorization": "Bearer cfmtls-emulator-token"}).status_code == 401
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0


def test_cli_refuses_a_bad_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfmtls_provider.emulator", "--port", "0", "--fault", "GET:*:explode"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "unknown fault action" in result.stderr


# --- the emulator as a server: every refusal an envelope, bounded bodies, a bad state file said in one line -------


def test_deeply_nested_or_oversized_bodies_are_refused_with_envelopes(emulator: EmulatorServer) -> None:
    with emulator.client() as api:
        nested = api.post(CERTS, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
        assert nested.status_code == 400 and nested.json()["errors"][0]["code"] == 6007
        big = api.post(CERTS, content=b" " * (assumptions.MAX_BODY_BYTES + 1))
        assert big.status_code == 413 and big.json()["success"] is False
        assert "larger than" in big.json()["errors"][0]["message"]


def test_an_unexpected_failure_is_a_500_envelope_not_plain_text(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(emulator.emulator.store, "_save", disk_full)
    with emulator.client() as api:
        answer = api.post(CERTS, json={"ca": True, "certificates": make_ca().pem})
        assert answer.status_code == 500
        [error] = answer.json()["errors"]
        assert error["code"] == 10002 and "No space left on device" in error["message"]
        assert api.get(CERTS).json()["result"] == []  # nothing half-applied


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[" * 100_000, b'{"format_version": 1, "certificates": 3}', b"\xff\xfe"],
    ids=["not-json", "deeply-nested", "wrong-shape", "not-utf8"],
)
def test_a_bad_state_file_at_start_is_a_one_line_error(tmp_path: Path, content: bytes) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "cfmtls_provider.emulator", "--port", "0", "--state-file", str(state_file)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read the emulator state file") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_an_unusable_state_file_path_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "cfmtls_provider.emulator", "--port", "0", "--state-file", str(blocker / "state.json")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "state file" in result.stderr and "Traceback" not in result.stderr


def test_zones_are_declared_on_the_command_line_or_through_the_admin_api(tmp_path: Path) -> None:
    zone = "ab" * 16
    command = [
        sys.executable,
        "-m",
        "cfmtls_provider.emulator",
        "--port",
        "0",
        "--zone",
        f"{zone}=corp.test@{'0' * 32}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().removeprefix("cfmtls emulator listening on ")
        root = base_url.removesuffix("/client/v4")
        headers = {"Authorization": f"Bearer {assumptions.DEFAULT_TOKEN}"}
        hosts = "/certificate_authorities/hostname_associations"
        assert httpx.get(f"{base_url}/zones/{zone}{hosts}", headers=headers).status_code == 200
        other = "cd" * 16
        assert httpx.get(f"{base_url}/zones/{other}{hosts}", headers=headers).status_code == 404
        declared = httpx.post(f"{root}/__emulator__/zones", json=[f"{other}=example.org@{'0' * 32}"])
        assert {z["id"]: z["name"] for z in declared.json()} == {zone: "corp.test", other: "example.org"}
        assert httpx.get(f"{base_url}/zones/{other}{hosts}", headers=headers).status_code == 200
        assert httpx.post(f"{root}/__emulator__/zones", json=["nonsense"]).status_code == 400
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(
    "args",
    [
        ["--zone", "abc=example.com@x"],
        ["--zone", f"{'a' * 32}=not a domain@{'0' * 32}"],
        ["--zone", "noequals"],
        ["--managed-certificate", f"{'0' * 32}:custom"],
        ["--association-lag-seconds", "nan"],
    ],
)
def test_cli_refuses_a_bad_zone_or_seed_in_one_line(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfmtls_provider.emulator", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr
