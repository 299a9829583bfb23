"""Bad inputs stop `pulumi preview` with the clear message, before any write reaches the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import Stack, assert_preview_refuses

pytestmark = pytest.mark.e2e

GOOD_HOSTS = ["api.example.com"]


def leaf() -> str:
    return make_ca(ca=False).pem


def rsa_pss() -> str:
    return make_ca(key_type="rsa", rsa_pss=True).pem


def public_key() -> str:
    return make_ca().public_key_pem


def garbage() -> str:
    return "this is not a certificate\n"


CASES: dict[str, tuple[Callable[[], str], list[str], str]] = {
    "leaf certificate": (leaf, GOOD_HOSTS, "has BasicConstraints CA:FALSE; Cloudflare requires CA:TRUE"),
    "RSA-PSS CA": (rsa_pss, GOOD_HOSTS, "which Cloudflare refuses. Allowed signature algorithms"),
    "public key PEM": (public_key, GOOD_HOSTS, "is a public key, not a certificate"),
    "garbage": (garbage, GOOD_HOSTS, "no PEM block found (expected '-----BEGIN CERTIFICATE-----')"),
    "invalid hostname": (lambda: make_ca().pem, ["api.example.com", "Bad_Host"], "has upper-case letters"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_preview_fails_with_the_clear_message_and_writes_nothing(
    case: str, tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    make_pem, hostnames, expected = CASES[case]
    pem_path = tmp_path / "input.pem"
    pem_path.write_text(make_pem())
    stack.configure_example(pem_path, hostnames)
    assert_preview_refuses(stack, emulator, expected)


def test_a_mistyped_ca_pem_path_fails_preview_with_one_sentence_and_no_traceback(
    tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    stack.configure_example(tmp_path / "ca.pm", GOOD_HOSTS)  # the example stack reads it with read_pem_file
    assert_preview_refuses(
        stack,
        emulator,
        f"The PEM file '{tmp_path / 'ca.pm'}' does not exist: correct it with 'pulumi config set caPemPath <path>'.",
    )
