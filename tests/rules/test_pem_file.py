"""read_pem_file: a PEM file's text, or one sentence naming the file and what to do (a pulumi.RunError, which
Pulumi prints without a traceback)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from cfmtls_provider import read_pem_file
from tests.support.certs import make_ca


def test_a_pem_file_is_read_as_text(tmp_path: Path) -> None:
    pem = make_ca().pem
    (tmp_path / "ca.pem").write_text(pem)
    assert read_pem_file(tmp_path / "ca.pem") == pem


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        (lambda path: None, "does not exist: correct it with 'pulumi config set caPemPath <path>'."),
        (lambda path: path.mkdir(), "is a directory, not a file: correct it with"),
        (lambda path: path.write_text(" \n"), "is empty: correct it with"),
        (lambda path: path.write_bytes(make_ca().der), "is not PEM text (a DER file?): convert it with 'openssl x509"),
    ],
    ids=["missing", "directory", "empty", "DER"],
)
def test_an_unusable_file_is_one_sentence_naming_it(tmp_path: Path, prepare: object, expected: str) -> None:
    path = tmp_path / "ca.pem"
    assert callable(prepare)
    prepare(path)
    with pytest.raises(pulumi.RunError) as raised:
        read_pem_file(str(path), setting="caPemPath")
    message = str(raised.value)
    assert message.startswith(f"The PEM file '{path}'") or message.startswith(f"The file '{path}'")
    assert expected in message and message.count(". ") == 0 and message.endswith(".")


def test_a_relative_path_is_shown_resolved_and_the_fix_without_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pulumi.RunError, match=r"^The PEM file 'ca\.pm' \(resolved to .*/ca\.pm\) does not exist: pass"):
        read_pem_file("ca.pm")
