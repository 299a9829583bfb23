"""Nothing of a value pasted into ``certificates`` is printed by `pulumi preview` or `pulumi up`: a private key's
base64 body without its BEGIN/END lines, a JWK, a leaf certificate's PEM (issue 22).

The engine prints a failing property's value beside the check's reason ("property certificates value {...} has
a problem"); the check therefore names no property for ``certificates`` (the reason begins with it). Each text
goes through the real engine twice: as a plain string (the constructor also recognises key material and makes it
a secret) and through an Output (only the check sees it), with ``--show-secrets`` on the plain one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import CA, make_ca

from .harness import REPO, Stack

pytestmark = pytest.mark.e2e

PROGRAM = REPO / "tests" / "e2e" / "programs" / "pasted_text"


TEXTS: dict[str, tuple[Callable[[CA], str], str, str]] = {
    # name: (the text, its secret part, the sentence printed)
    "EC key body": (lambda ca: ca.key_body(), "", "certificates: the value holds the base64 body of a private key"),
    "RSA key body": (
        lambda ca: ca.key_body(serialization.PrivateFormat.TraditionalOpenSSL),
        "",
        "certificates: the value holds the base64 body of a private key",
    ),
    "JWK": (
        lambda ca: json.dumps(ca.private_jwk),
        "d",
        "certificates: the value holds a JSON Web Key (JWK) with its private members",
    ),
    "leaf PEM": (
        lambda ca: make_ca("pasted leaf", ca=False).pem,
        "",
        "certificates: the PEM block has BasicConstraints CA:FALSE; Cloudflare requires CA:TRUE",
    ),
}


def fragments(text: str, member: str) -> list[str]:
    """Every 16-character window (step 4) of the text's secret part: its base64 body, or a JWK member."""
    secret = json.loads(text)[member] if member else "".join(line for line in text.splitlines() if "-----" not in line)
    return [secret[index : index + 16] for index in range(0, max(1, len(secret) - 15), 4)]


@pytest.mark.parametrize("name", list(TEXTS))
def test_preview_and_up_print_the_refusal_and_nothing_of_the_text(
    name: str, tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    make, member, sentence = TEXTS[name]
    text = make(make_ca(f"{name} owner", key_type="rsa" if name.startswith("RSA") else "ec"))
    pasted = tmp_path / "pasted.txt"
    pasted.write_text(text)
    stack = Stack.create(tmp_path / "stack", emulator, pulumi_bin, program=PROGRAM)
    stack.config("pemPath", str(pasted))
    runs = [stack.run("up", "--yes", "--show-secrets", check=False)]
    stack.config("viaOutput", "true")
    runs += [stack.run("preview", "--diff", check=False), stack.run("up", "--yes", check=False)]
    output = "\n".join(run.stdout + run.stderr for run in runs)
    assert all(run.returncode != 0 for run in runs), output
    assert output.count(sentence) >= len(runs), output
    assert "Traceback" not in output
    leaked = [fragment for fragment in fragments(text, member) if fragment in output]
    assert leaked == [], f"{len(leaked)} fragments of the pasted text printed:\n{output}"
    assert emulator.writes() == []
