"""Secrets audit: a token given only as a secret stack config and a private key given to MTLSCertificate never leak.

The whole lifecycle (up, a change, refresh, destroy) runs with a recognisable token set by
`pulumi config set --secret cfmtls:apiToken` (no token in the environment) and a recognisable private key passed as
MTLSCertificate(private_key=...). Then every place they could end up is searched: the exported state with and
without --show-secrets, all CLI output, the engine's and the provider's logs (one run with
`--logflow -v=9 --logtostderr`), and the emulator's request log and state.
"""

from __future__ import annotations

import base64
import json
import pickletools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

from .harness import Stack, write_ca
from .reliability_stack import HOSTNAMES, PROGRAM, PROJECT, ZONES

pytestmark = pytest.mark.e2e

SECRET_TOKEN = "cfmtls-audit-TOKEN-5f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={SECRET_TOKEN: ALL_SCOPES}, zones=TEST_ZONES)


@pytest.fixture
def private_key(tmp_path: Path) -> str:
    made = make_ca("audited CA", key_type="rsa")
    (tmp_path / "ca-0.pem").write_text(made.pem)
    (tmp_path / "ca-0.key").write_text(made.key_pem)
    return made.key_pem


@pytest.fixture
def audited(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str, private_key: str) -> Iterator[Stack]:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    del stack.env["CLOUDFLARE_API_TOKEN"]  # the token comes from the secret stack config only
    config = {
        f"{PROJECT}:caPemPaths": [str(tmp_path / "ca-0.pem"), str(write_ca(tmp_path, "ca-1"))],
        f"{PROJECT}:zones": [{"id": ZONES[0], "ca": 0, "hostnames": HOSTNAMES[0]}],
        f"{PROJECT}:caKeyPaths": {"0": str(tmp_path / "ca-0.key")},
    }
    (stack.workdir / f"Pulumi.{stack.name}.yaml").write_text(json.dumps({"config": config}))
    stack.config("cfmtls:apiToken", SECRET_TOKEN, secret=True)
    yield stack


def key_fragments(private_key: str) -> list[str]:
    """The key's PEM and each of its base64 lines: none may appear anywhere, even cut differently."""
    lines = [line for line in private_key.splitlines() if line and not line.startswith("-----")]
    return [private_key.strip(), *lines]


def leaks(text: str, private_key: str) -> list[str]:
    found = [SECRET_TOKEN] if SECRET_TOKEN in text else []
    found += [fragment[:20] + "..." for fragment in key_fragments(private_key) if fragment in text]
    return found


def walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item)


def test_token_and_private_key_never_leak_through_the_whole_lifecycle(
    audited: Stack, emulator: EmulatorAdmin, private_key: str, tmp_path: Path
) -> None:
    stack_config = (audited.workdir / f"Pulumi.{audited.name}.yaml").read_text()
    assert SECRET_TOKEN not in stack_config  # stored encrypted

    # up, with every log the engine and the provider write, captured once.
    verbose = audited.run("up", "--yes", "--logflow", "-v=9", "--logtostderr")  # the preview's logs too
    assert len(verbose.stderr) > 10_000  # the verbose log really was captured
    assert sorted(c["has_private_key"] for c in emulator.state()["certificates"]) == [False, True]  # key sent

    # a change, a refresh, and the state in between.
    audited.config("zones[0].hostnames[4]", "extra.alpha.example", path=True)
    audited.up()
    audited.refresh()

    plain = audited.export()
    shown = audited.export(show_secrets=True)
    assert leaks(plain, private_key) == []
    # Each serialized provider is stored in clear and holds nothing but its class: the pickle's only strings are
    # the module and the class name, so neither the token (read by configure) nor the key can be in it.
    for resource in json.loads(plain)["deployment"]["resources"]:
        if resource["type"].startswith("pulumi-python:dynamic/cfmtls:"):
            for properties in (resource["inputs"], resource["outputs"]):
                serialized = properties["__provider"]
                assert isinstance(serialized, str), resource["urn"]  # not {"<secret sig>": ..., "ciphertext": ...}
                ops = pickletools.genops(base64.b64decode(serialized))
                module, class_name = (argument for _op, argument, _position in ops if isinstance(argument, str))
                assert module.startswith("cfmtls_provider.resources.") and class_name.endswith("Provider")
    # With --show-secrets the token appears once, decrypted, where the ENGINE keeps the stack config: the inputs
    # and outputs of its default `pulumi:providers:pulumi-python` provider (encrypted in the plain export above).
    # That is Pulumi's own doing for any secret config; no resource of this package ever holds it.
    resources = json.loads(shown)["deployment"]["resources"]
    engine_provider = [r for r in resources if r["type"] == "pulumi:providers:pulumi-python"]
    outside_engine_provider = [r for r in resources if r not in engine_provider]
    assert SECRET_TOKEN not in json.dumps(outside_engine_provider)
    assert all(
        SECRET_TOKEN not in json.dumps(r).replace(json.dumps(r["inputs"]), "").replace(json.dumps(r["outputs"]), "")
        for r in engine_provider
    )
    # The key may appear only as the decrypted secret input it is: never in a serialized provider nor in any
    # output.
    for resource in engine_provider:
        assert leaks(json.dumps(resource).replace(SECRET_TOKEN, ""), private_key) == []
    for resource in outside_engine_provider:
        outputs = resource.get("outputs") or {}
        assert leaks(json.dumps(outputs), private_key) == [], resource["urn"]
        for key, value in (resource.get("inputs") or {}).items():
            if key == "private_key":
                continue
            assert leaks(json.dumps(value), private_key) == [], (resource["urn"], key)
    [ca0] = [r for r in resources if r["urn"].endswith("::ca-0")]
    shown_key = ca0["inputs"]["private_key"]  # the decrypted secret: {"<sig>": ..., "plaintext": "<json>"}
    assert json.loads(shown_key["plaintext"]) == private_key
    assert ca0["outputs"]["private_key_sha256"]  # only a digest, to notice a change

    audited.destroy()
    assert emulator.state()["certificates"] == []

    # every CLI output (stdout and stderr of each command, the verbose run included), the emulator's log.
    # (Their output only: the first line of each entry is our own command line, and `stack export --show-secrets`
    # is asked to print secrets, checked above.)
    everything = "\n".join(
        entry.partition("\n")[2]
        for entry in audited.log
        if not entry.startswith("$ pulumi stack export --show-secrets")
    )
    assert leaks(everything, private_key) == []
    assert leaks(json.dumps(emulator.requests()), private_key) == []
    assert leaks(json.dumps(emulator.state()), private_key) == []
    # Pulumi's own log files, if it wrote any.
    for log_file in (Path(audited.env["PULUMI_HOME"])).rglob("*.log"):
        assert leaks(log_file.read_text(errors="replace"), private_key) == [], log_file
    assert not [s for s in walk_strings(json.loads(plain)) if SECRET_TOKEN in s]
