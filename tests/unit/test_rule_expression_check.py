"""ClientCertificateRule refuses at preview an expression Cloudflare's engine would reject."""

from __future__ import annotations

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
