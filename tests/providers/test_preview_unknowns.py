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

from cfmtls_provider import HostnameAssociationArgs, MTLSCertificateArgs
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import configured

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
OLD_PEM, NEW_PEM = make_ca("old CA").pem, make_ca("new CA").pem
HOSTS = ["api.example.com", "*.admin.example.com"]


def certificate_case(
    _emulator: EmulatorServer | None = None,
) -> tuple[ResourceProvider, dict[str, Any], dict[str, Any]]:
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


def association_case(emulator: EmulatorServer | None = None) -> tuple[ResourceProvider, dict[str, Any], dict[str, Any]]:
    """Settled (the outputs are what these inputs made): an unknown value is the only possible change."""
    news = {
        "zone_id": ZONE,
        "mtls_certificate_id": "n" * 32,
        "hostnames": HOSTS,
        "issuer_ski": "CD" * 20,
        "pin_issuer": None,
        "action": None,
        "certificate_revision": "r2",
        "adopt_existing": None,
        "declared_by": "hosts",
        "rule_ref": "cfmtls_hosts_0123456789abcdef01234567",
    }
    provider = HostnameAssociationProvider()
    if emulator is not None:  # the check reads the zone (not when the cases are only listed)
        configured(provider, emulator)
    outputs = {**provider.check({}, news).inputs, "adopt_existing": False, "ruleset_id": "r" * 32}
    return provider, news, {**outputs, "rule_id": "u" * 32}


#: Inputs the constructor always knows: the resource's name, and the rule's ref made from it.
ALWAYS_KNOWN = {"declared_by", "rule_ref"}
#: HostnameAssociation's ``certificate=`` reaches the provider as the CA's id, SKI and revision.
REGISTERED_AS = {"certificate": {"mtls_certificate_id", "issuer_ski", "certificate_revision"}}


Case = Callable[[EmulatorServer | None], tuple[ResourceProvider, dict[str, Any], dict[str, Any]]]
CASES: dict[str, tuple[Case, type]] = {
    "MTLSCertificate": (certificate_case, MTLSCertificateArgs),
    "HostnameAssociation": (association_case, HostnameAssociationArgs),
}


def with_unknowns(news: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each input unknown in turn, each element of a list input unknown in turn, then every input at once."""
    for key, value in news.items():
        if key in ALWAYS_KNOWN:
            continue
        yield key, {**news, key: UNKNOWN}
        if isinstance(value, list):
            for index in range(len(value)):
                yield f"{key}[{index}]", {**news, key: [UNKNOWN if i == index else v for i, v in enumerate(value)]}
    yield "everything", {key: value if key in ALWAYS_KNOWN else UNKNOWN for key, value in news.items()}


def variants() -> Iterator[Any]:
    for resource, (make, _args) in CASES.items():
        _provider, news, _outputs = make(None)
        for label, _variant in with_unknowns(news):
            yield pytest.param(resource, label, id=f"{resource}-{label}")


pytestmark = pytest.mark.usefixtures("no_ambient_settings")


@pytest.mark.parametrize("resource", list(CASES))
def test_the_cases_cover_every_argument(resource: str) -> None:
    make, args_class = CASES[resource]
    _provider, news, _outputs = make(None)
    registered = set().union(*(REGISTERED_AS.get(field.name, {field.name}) for field in dataclasses.fields(args_class)))
    assert registered <= set(news)


def test_a_settled_association_plans_no_change(emulator_module: EmulatorServer) -> None:
    """The association's variants are meaningful: without an unknown value its diff is empty."""
    provider, news, outputs = association_case(emulator_module)
    assert not provider.diff("id", outputs, provider.check(outputs, news).inputs).changes


@pytest.mark.parametrize(("resource", "label"), list(variants()))
def test_check_and_diff_plan_around_unknown_values(resource: str, label: str, emulator_module: EmulatorServer) -> None:
    make, _args = CASES[resource]
    provider, news, outputs = make(emulator_module)
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
