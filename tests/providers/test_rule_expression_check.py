"""Every rule expression an association writes is one Cloudflare's engine (wirefilter) accepts: the final rule the
preview shows, and the rule of a rotation caught half-way, accepting two issuers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import octorules_wirefilter
import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import pinned_issuers
from tests.support.certs import make_ca
from tests.support.providers import association_inputs, checked, create_association, rules_of, upload

CA = {"certificate_id": "c" * 32, "subject_key_identifier": "ab:cd:ef" * 4, "revision": "r1"}


def wirefilter_error(expression: str) -> str:
    return str(octorules_wirefilter.parse_expression(expression).get("error", ""))


@pytest.mark.parametrize(
    "extra",
    [{}, {"pin_issuer": False}, {"action": "log"}],
    ids=["pinned", "unpinned", "log"],
)
def test_the_expression_the_preview_shows_is_accepted_by_cloudflares_engine(
    extra: dict[str, Any], assocs: HostnameAssociationProvider
) -> None:
    hostnames = ["a.example.com", "*.internal.example.com", "xn--bcher-kva.example.com"]
    planned = checked(assocs, {}, association_inputs(CA, hostnames, **extra))["expression"]
    assert isinstance(planned, str) and wirefilter_error(planned) == ""


def test_the_rule_of_a_rotation_caught_half_way_is_accepted_by_cloudflares_engine(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    old, new = upload(certs, make_ca("old"), "old"), upload(certs, make_ca("new"), "new")
    association_id, outs = create_association(assocs, old, ["a.example.com", "*.example.com"])
    emulator.add_fault("PUT:*/hostname_associations:status=502:count=0")
    with pytest.raises(ProviderError):
        assocs.update(association_id, outs, checked(assocs, outs, association_inputs(new, ["a.example.com"])))
    [rule] = rules_of(emulator)
    assert len(pinned_issuers(rule["expression"])) == 2
    assert wirefilter_error(rule["expression"]) == ""


PREVIEW_WORK = """
import sys
from typing import Any
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
inputs = {"zone_id": "f" * 32, "mtls_certificate_id": "c" * 32, "hostnames": ["a.example.com"],
          "issuer_ski": "AB" * 20, "declared_by": "hosts", "rule_ref": "r"}
provider = HostnameAssociationProvider()
checked = provider.check(dict(inputs), dict(inputs))
assert checked.failures == []
provider.diff("id", {**checked.inputs, "rule_id": "u"}, checked.inputs)
print("lark" in sys.modules)
"""


def test_a_preview_does_not_build_the_rules_language_parser() -> None:
    """The parser (lark) reads a live rule when a run resumes; a preview never needs it, nor its start-up."""
    result = subprocess.run([sys.executable, "-c", PREVIEW_WORK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr
