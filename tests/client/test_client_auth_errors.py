"""The authentication and permission failures Cloudflare is seen to give become the client's authentication and
permission errors, and the user reads the token advice in each case (sources in cloudflare/errors.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cfmtls_provider.cloudflare import (
    ApiToken,
    AuthenticationError,
    CloudflareClient,
    CloudflareError,
    PermissionDeniedError,
    RetryPolicy,
)
from cfmtls_provider.cloudflare.pacer import Pacer
from cfmtls_provider.resources._errors import AUTH_REFUSED_ADVICE, explain
from tests.support.clock import FakeClock

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"


def answering(status: int, errors: list[dict[str, Any]]) -> tuple[CloudflareClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, json={"success": False, "errors": errors, "messages": [], "result": None})

    clock = FakeClock()
    client = CloudflareClient(
        ApiToken("0123456789abcdefghijABCDEFGHIJ_-012345"),
        base_url="https://api.cloudflare.test/client/v4",
        retry=RetryPolicy(max_retries=3),
        transport=httpx.MockTransport(handle),
        sleep=clock.sleep,
        pacer=Pacer(clock=clock, sleep=clock.sleep),
    )
    return client, requests


OBSERVED: dict[str, tuple[int, list[dict[str, Any]], type[CloudflareError], str]] = {
    "no credentials (400/9106)": (
        400,
        [{"code": 9106, "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"}],
        AuthenticationError,
        "Missing X-Auth-Key, X-Auth-Email or Authorization headers (code 9106)",
    ),
    "ill-formed Authorization (400/6003 + 6111)": (
        400,
        [
            {
                "code": 6003,
                "message": "Invalid request headers",
                "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
            }
        ],
        AuthenticationError,
        "Invalid request headers (code 6003): Invalid format for Authorization header (code 6111)",
    ),
    "ill-formed global key (400/6003 + 6103)": (
        400,
        [
            {
                "code": 6003,
                "message": "Invalid request headers",
                "error_chain": [{"code": 6103, "message": "Invalid format for X-Auth-Key header"}],
            }
        ],
        AuthenticationError,
        "Invalid format for X-Auth-Key header (code 6103)",
    ),
    "unknown token (401/10000)": (
        401,
        [{"code": 10000, "message": "Authentication error"}],
        AuthenticationError,
        "Authentication error (code 10000)",
    ),
    "no access (403/9109)": (
        403,
        [{"code": 9109, "message": "Unauthorized to access requested resource"}],
        PermissionDeniedError,
        "Unauthorized to access requested resource (code 9109)",
    ),
    "no access (403/10000)": (
        403,
        [{"code": 10000, "message": "Authentication error"}],
        PermissionDeniedError,
        "Authentication error (code 10000)",
    ),
}


@pytest.mark.parametrize("case", OBSERVED)
def test_each_observed_auth_failure_maps_to_its_error_gets_token_advice_and_is_not_retried(case: str) -> None:
    status, errors, error_class, quoted = OBSERVED[case]
    client, requests = answering(status, errors)
    with pytest.raises(error_class) as info:
        client.get_hostname_associations(ZONE, "c1")
    assert len(requests) == 1
    assert quoted in str(info.value)
    message = explain(info.value, f"Reading the hostnames of zone {ZONE}")
    if error_class is AuthenticationError:
        assert message.endswith(AUTH_REFUSED_ADVICE)
    else:
        assert message.endswith(
            "The token lacks a permission this call needs: Zone 'SSL and Certificates Write', or does not cover "
            "this zone (its Zone Resources). Add it to the token (My Profile > API Tokens) or use another token."
        )


def test_a_6003_without_a_credential_cause_stays_a_bad_request() -> None:
    client, _ = answering(400, [{"code": 6003, "message": "Invalid request headers"}])
    with pytest.raises(Exception) as info:
        client.get_hostname_associations(ZONE, "c1")
    assert type(info.value).__name__ == "BadRequestError"


@pytest.mark.parametrize("code", [9109, 10000, 1406])
def test_a_403_on_upload_names_both_possible_causes_whatever_the_code(code: int) -> None:
    client, _ = answering(403, [{"code": code, "message": "Forbidden"}])
    with pytest.raises(PermissionDeniedError) as info:
        client.upload_certificate(ACCOUNT, "pem")
    message = explain(info.value, f"Uploading the CA certificate to account {ACCOUNT}")
    assert "the token lacks Account 'SSL and Certificates Write' for this account" in message
    assert "the account's plan does not include bringing your own CA for mTLS" in message
    assert "Enterprise accounts only" in message


def test_a_403_on_an_account_call_names_the_account_resources() -> None:
    client, _ = answering(403, [{"code": 9109, "message": "Unauthorized to access requested resource"}])
    with pytest.raises(PermissionDeniedError) as info:
        client.get_certificate(ACCOUNT, "c1")
    assert explain(info.value, "Reading CA certificate c1").endswith(
        "The token lacks a permission this call needs: Account 'SSL and Certificates Write' (or Read), or does not "
        "cover this account (its Account Resources). Add it to the token (My Profile > API Tokens) or use another "
        "token."
    )
