"""ClientCertificateRule refuses at preview an expression Cloudflare's engine would reject."""

from __future__ import annotations

import subprocess
import sys

import octorules_wirefilter
import pytest

from cfmtls_provider.resources import client_certificate_rule
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider

ZONE = "f" * 32


def test_the_expressions_the_provider_builds_pass_the_check() -> None:
    result = ClientCertificateRuleProvider().check(
        {}, {"zone_id": ZONE, "hostnames": ["a.example.com", "*.example.net"], "issuer_ski": "ab:cd", "ref": "r"}
    )
    assert result.failures == []


def test_an_expression_cloudflare_would_reject_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = '(http.host in {"a.example.com"} and not cf.tls_client_auth.cert_verified eq true)'
    assert "error" in octorules_wirefilter.parse_expression(bad)
    monkeypatch.setattr(client_certificate_rule, "build_expression", lambda *_args: bad)
    result = ClientCertificateRuleProvider().check({}, {"zone_id": ZONE, "hostnames": ["a.example.com"], "ref": "r"})
    assert [failure.property for failure in result.failures] == ["hostnames"]
    assert "Cloudflare would reject the rule expression" in result.failures[0].reason
    assert "use it alone" in result.failures[0].reason


NO_CHANGE_PREVIEW = """
import sys
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
inputs = {"zone_id": "f" * 32, "hostnames": ["a.example.com"], "issuer_ski": "AB", "ref": "r"}
assert ClientCertificateRuleProvider().check(dict(inputs), dict(inputs)).failures == []
print("lark" in sys.modules)
"""


def test_a_preview_with_the_rule_unchanged_does_not_build_the_parser() -> None:
    """The expression was checked when it was made; a no-change preview skips the parser's start-up."""
    result = subprocess.run([sys.executable, "-c", NO_CHANGE_PREVIEW], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr
