"""At `pulumi preview` any input may be unknown (an output of a resource not yet created or replaced), and so
may any element of a list. Every provider's check and diff must plan around it, never raise: a raise is a
traceback in the user's preview (issue 13: a CA rotation crashed the pinned rule's diff).

Each case replaces one input (or one element of a list input) of a valid resource with an unknown value,
then all of them at once, and calls check (new resource and existing one) and diff (against the outputs of
a real create), as the engine does: diff receives what check returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.dynamic import CheckResult, DiffResult, ResourceProvider
from pulumi.output import UNKNOWN

from cfmtls_provider import ClientCertificateRuleArgs, HostnameAssociationArgs, MTLSCertificateArgs
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
OLD_PEM, NEW_PEM = make_ca("old CA").pem, make_ca("new CA").pem
HOSTS = ["api.example.com", "*.admin.example.com"]


def certificate_case() -> tuple[ResourceProvider, dict[str, Any], dict[str, Any]]:
    provider = MTLSCertificateProvider()
    news = {
        "certificates": NEW_PEM,
        "name": "corp-ca",
        "account_id": ACCOUNT,
        "private_key": None,
        "adopt_existing": None,
        "on_rename": None,
        "private_key_file": None,
        "ownership_tag": "cfmtls-0123456789ab",
    }
    olds = provider.check({}, {**news, "certificates": OLD_PEM}).inputs
    outputs = {**olds, "certificate_id": "c" * 32, "uploaded_on": "2026-01-01T00:00:00Z", "adopt_existing": False}
    return provider, news, outputs


def association_case() -> tuple[ResourceProvider, dict[str, Any], dict[str, Any]]:
    news = {
        "zone_id": ZONE,
        "mtls_certificate_id": "n" * 32,
        "hostnames": HOSTS,
        "adopt_existing": None,
        "declared_by": "hosts",
    }
    outputs = {"zone_id": ZONE, "mtls_certificate_id": "o" * 32, "hostnames": HOSTS[:1], "adopt_existing": False}
    return HostnameAssociationProvider(), news, outputs


def rule_case() -> tuple[ResourceProvider, dict[str, Any], dict[str, Any]]:
    old_ski, new_ski = "AB" * 20, "CD" * 20
    news = {
        "zone_id": ZONE,
        "hostnames": HOSTS,
        "mtls_certificate_id": "n" * 32,
        "issuer_ski": new_ski,
        "action": "block",
        "description": "cfmtls: require a client certificate",
        "enabled": None,
        "ref": "cfmtls:proj:stack:rule",
        "ref_is_default": True,
        "adopt_existing": None,
    }
    outputs = {
        **news,
        "mtls_certificate_id": "o" * 32,
        "issuer_ski": old_ski,
        "enabled": True,
        "ruleset_id": "r" * 32,
        "rule_id": "u" * 32,
        "expression": build_expression(HOSTS, old_ski),
    }
    return ClientCertificateRuleProvider(), news, outputs


CASES: dict[str, tuple[Callable[[], tuple[ResourceProvider, dict[str, Any], dict[str, Any]]], type]] = {
    "MTLSCertificate": (certificate_case, MTLSCertificateArgs),
    "HostnameAssociation": (association_case, HostnameAssociationArgs),
    "ClientCertificateRule": (rule_case, ClientCertificateRuleArgs),
}


def with_unknowns(news: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each input unknown in turn, each element of a list input unknown in turn, then every input at once."""
    for key, value in news.items():
        yield key, {**news, key: UNKNOWN}
        if isinstance(value, list):
            for index in range(len(value)):
                yield f"{key}[{index}]", {**news, key: [UNKNOWN if i == index else v for i, v in enumerate(value)]}
    yield "everything", dict.fromkeys(news, UNKNOWN)


def variants() -> Iterator[Any]:
    for resource, (make, _args) in CASES.items():
        _provider, news, _outputs = make()
        for label, _variant in with_unknowns(news):
            yield pytest.param(resource, label, id=f"{resource}-{label}")


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("resource", list(CASES))
def test_the_cases_cover_every_argument(resource: str) -> None:
    make, args_class = CASES[resource]
    _provider, news, _outputs = make()
    assert {field.name for field in dataclasses.fields(args_class)} <= set(news)


@pytest.mark.parametrize(("resource", "label"), list(variants()))
def test_check_and_diff_plan_around_unknown_values(resource: str, label: str) -> None:
    make, _args = CASES[resource]
    provider, news, outputs = make()
    variant = dict(with_unknowns(news))[label]

    created = provider.check({}, variant)
    assert isinstance(created, CheckResult)
    assert all(isinstance(failure.reason, str) for failure in created.failures)

    checked = provider.check(outputs, variant)
    assert isinstance(checked, CheckResult)
    planned = provider.diff("id", outputs, checked.inputs)
    assert isinstance(planned, DiffResult)
    assert planned.changes, "an unknown input may change the resource: the plan must say so"
    assert all(isinstance(key, str) for key in planned.replaces or [])
