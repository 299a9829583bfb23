"""The public surface is pinned (as httpx's tests/test_exported_members.py does): ``cfmtls_provider.__all__`` is
exactly the public names the package exports, and holds everything a user's program needs."""

from __future__ import annotations

import types

import pulumi

import cfmtls_provider

#: Importable so that a program written for 0.1 is told how to upgrade, but no longer part of the surface.
REMOVED_IN_0_2 = {"ClientCertificateRule", "IssuerHandover"}


def test_all_is_exactly_the_public_names_the_package_exports() -> None:
    public = {
        name
        for name, value in vars(cfmtls_provider).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(cfmtls_provider.__all__) == sorted(public - REMOVED_IN_0_2)
    assert cfmtls_provider.__all__ == sorted(cfmtls_provider.__all__, key=str.casefold)


def test_everything_a_program_needs_is_exported() -> None:
    """Each resource with its Args, and the PEM file reader with its error."""
    resources = {
        name
        for name in cfmtls_provider.__all__
        if isinstance(getattr(cfmtls_provider, name), type)
        and issubclass(getattr(cfmtls_provider, name), pulumi.dynamic.Resource)
    }
    assert resources == {"HostnameAssociation", "MTLSCertificate"}
    assert {f"{name}Args" for name in resources} <= set(cfmtls_provider.__all__)
    assert {"read_pem_file", "PEMFileError"} <= set(cfmtls_provider.__all__)
