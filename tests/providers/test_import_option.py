"""`opts=ResourceOptions(import_=...)` cannot work for a dynamic resource (the engine reads it without its
provider: `KeyError: '__provider'` in Pulumi's SDK). The constructors refuse it first, saying what works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from cfmtls_provider import HostnameAssociation, MTLSCertificate

ZONE = "fedcba9876543210fedcba9876543210"
IMPORTS: dict[str, tuple[Callable[..., Any], dict[str, Any], str]] = {
    "MTLSCertificate": (MTLSCertificate, {"certificates": "pem"}, "adopt_existing=True"),
    "HostnameAssociation": (
        HostnameAssociation,
        {"zone_id": ZONE, "mtls_certificate_id": "c" * 32, "hostnames": ["a.example.com"]},
        "adopt_existing=True",
    ),
}


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_import_option_is_refused_with_what_to_do_instead(kind: str) -> None:
    resource, kwargs, instead = IMPORTS[kind]
    with pytest.raises(pulumi.RunError) as refused:
        resource("existing", opts=pulumi.ResourceOptions(import_="0123"), **kwargs)
    message = str(refused.value)
    assert f"{kind} 'existing'" in message and "import_='0123'" in message
    assert "does not import dynamic resources" in message and instead in message
