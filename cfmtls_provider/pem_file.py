"""``read_pem_file``: read a PEM file named in a program's configuration, or stop the program with one sentence.

A program reading ``Path(config.require("caPemPath")).read_text()`` turns a mistyped path into a Python traceback
printed by `pulumi preview`. This raises :class:`pulumi.RunError` instead, which Pulumi reports as the program's
error without a traceback: which file, why it cannot be used, what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

__all__ = ["PEMFileError", "read_pem_file"]


class PEMFileError(pulumi.RunError):
    """A PEM file that cannot be read as text; the message names the file and says what to do."""


def read_pem_file(path: str | os.PathLike[str], *, setting: str | None = None) -> str:
    """The text of the PEM file at ``path`` (``~`` expanded, relative to the project directory where Pulumi.yaml
    is, since Pulumi runs the program there). ``setting`` names where the path came from (e.g. ``"caPemPath"``)
    so that the error can say what to change.

    Raises :class:`PEMFileError` (a :class:`pulumi.RunError`) when the file is missing, a directory, unreadable,
    not text (a DER file) or empty. What the PEM holds is checked by the resource it is given to, at preview."""
    given = Path(path).expanduser()
    where = f"{str(path)!r}" + (f" (resolved to {given.resolve()})" if not given.is_absolute() else "")
    fix = (
        f"correct it with 'pulumi config set {setting} <path>'"
        if setting
        else "pass the path of the CA's PEM file ('-----BEGIN CERTIFICATE-----')"
    )
    try:
        data = given.read_bytes()
    except FileNotFoundError:
        raise PEMFileError(f"The PEM file {where} does not exist: {fix}.") from None
    except IsADirectoryError:
        raise PEMFileError(f"The PEM file {where} is a directory, not a file: {fix}.") from None
    except OSError as error:
        raise PEMFileError(f"The PEM file {where} cannot be read ({error.strerror or error}): {fix}.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        converted = given.stem + ("-converted.pem" if given.suffix.lower() == ".pem" else ".pem")
        raise PEMFileError(
            f"The file {where} is not PEM text (a DER file?): convert it with "
            f"'openssl x509 -inform der -in {given.name} -out {converted}', or {fix}."
        ) from None
    if not text.strip():
        raise PEMFileError(f"The PEM file {where} is empty: {fix}.")
    return text
