"""A program with 1000+ dynamic resources: the SDK's serialize_provider must not run out of recursion depth."""

from __future__ import annotations

from pulumi.dynamic.dynamic import serialize_provider

from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider


def test_three_thousand_providers_serialize_and_each_kind_always_the_same() -> None:
    kinds = (MTLSCertificateProvider, HostnameAssociationProvider)
    first = {kind: serialize_provider(kind()) for kind in kinds}
    for index in range(3000):  # without the fix the 985th call fails with RecursionError
        kind = kinds[index % len(kinds)]
        assert serialize_provider(kind()) == first[kind]
