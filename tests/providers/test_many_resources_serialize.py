"""A program with 1000+ dynamic resources: the SDK's serialize_provider must not run out of recursion depth
(docs/upstream/serialize-provider-recursion.md). Each resource of this package pickles its provider inside
``sdk_pickler_restored()`` (its constructor, resources/_base.py); test_resource_pattern.py checks that the
constructors leave the pickler as they found it."""

from __future__ import annotations

import pickle

from pulumi.dynamic.dynamic import serialize_provider

from cfmtls_provider.resources._base import sdk_pickler_restored
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider


def test_three_thousand_providers_serialize_and_each_kind_always_the_same() -> None:
    kinds = (MTLSCertificateProvider, HostnameAssociationProvider)
    before = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    with sdk_pickler_restored():
        first = {kind: serialize_provider(kind()) for kind in kinds}
    for index in range(3000):  # without the restore the 973rd call fails with RecursionError
        kind = kinds[index % len(kinds)]
        with sdk_pickler_restored():
            assert serialize_provider(kind()) == first[kind]
    assert pickle._Pickler._batch_setitems is before  # type: ignore[attr-defined]
