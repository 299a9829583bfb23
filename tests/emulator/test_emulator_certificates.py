"""The emulator's account-level mTLS certificate endpoints: auth, validation, quota, duplicates, delete rules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import trustme

from cfmtls_provider.emulator.assumptions import DEFAULT_TOKEN
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig, ManagedCertificateSeed
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "11111111111111111111111111111111"
POOR_ACCOUNT = "22222222222222222222222222222222"
ZONE = "fedcba9876543210fedcba9876543210"
CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        zones=TEST_ZONES,
        association_lag_seconds=0,  # the lag has its own tests (test_emulator_associations.py)
        tokens={
            "all": frozenset({"account.ssl:read", "account.ssl:write", "zone.ssl:write", "zone.waf:write"}),
            "reader": frozenset({"account.ssl:read"}),
            "writer": frozenset({"account.ssl:write"}),
            "zone-only": frozenset({"zone.ssl:write"}),
        },
        global_keys={"ops@example.com": "legacy-key"},
        non_enterprise_accounts=frozenset({POOR_ACCOUNT}),
    )


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client("all") as client:
        yield client


def upload(api: httpx.Client, pem: str, account: str = ACCOUNT, **extra: Any) -> httpx.Response:
    return api.post(f"/accounts/{account}/mtls_certificates", json={"ca": True, "certificates": pem, **extra})


def error_codes(response: httpx.Response) -> list[int]:
    body = response.json()
    assert body["success"] is False and body["result"] is None and body["messages"] == []
    return [error["code"] for error in body["errors"]]


# --- authentication and scopes -----------------------------------------------------------------------------


def test_authentication_failures_answer_as_cloudflare_does(emulator: EmulatorServer) -> None:
    def errors(headers: dict[str, str]) -> tuple[int, Any]:
        response = httpx.get(emulator.base_url + CERTS, headers=headers)
        return response.status_code, response.json()["errors"]

    missing = [{"code": 9106, "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"}]
    assert errors({}) == (400, missing)
    ill_formed = [
        {
            "code": 6003,
            "message": "Invalid request headers",
            "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
        }
    ]
    for header in ("Basic all", "Bearer", "Bearer two words", 'Bearer "quoted"'):
        assert errors({"Authorization": header}) == (400, ill_formed)
    assert errors({"Authorization": "Bearer nope"}) == (401, [{"code": 10000, "message": "Authentication error"}])


def test_token_without_the_scope_is_403(emulator: EmulatorServer) -> None:
    pem = make_ca().pem
    with emulator.client("reader") as reader, emulator.client("zone-only") as zone_only:
        assert reader.get(CERTS).status_code == 200
        refused = upload(reader, pem)
        assert refused.status_code == 403 and error_codes(refused) == [9109]
        assert zone_only.get(CERTS).status_code == 403
    with emulator.client("writer") as writer:  # write implies read
        assert upload(writer, pem).status_code == 200
        assert writer.get(CERTS).status_code == 200
        assert writer.get(f"/zones/{ZONE}/certificate_authorities/hostname_associations").status_code == 403


def test_legacy_email_and_global_key(emulator: EmulatorServer) -> None:
    good = {"X-Auth-Email": "ops@example.com", "X-Auth-Key": "legacy-key"}
    assert httpx.get(emulator.base_url + CERTS, headers=good).status_code == 200
    bad = {"X-Auth-Email": "ops@example.com", "X-Auth-Key": "wrong"}
    assert httpx.get(emulator.base_url + CERTS, headers=bad).status_code == 401


def test_default_config_accepts_the_documented_token_which_looks_like_a_real_one() -> None:
    assert re.fullmatch(r"[0-9A-Za-z_-]{40}", DEFAULT_TOKEN)  # what Terraform's provider requires of a token
    with EmulatorServer() as server:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        assert httpx.get(server.base_url + CERTS, headers=headers).status_code == 200


# --- upload ------------------------------------------------------------------------------------------------


def test_upload_returns_cloudflare_fields(api: httpx.Client) -> None:
    ca = make_ca("Upload CA", key_type="rsa")
    response = upload(api, ca.pem, name="my ca", private_key=ca.key_pem)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    result = body["result"]
    assert uuid.UUID(result["id"]).version == 4 and len(result["id"]) == 36
    assert result["ca"] is True and result["name"] == "my ca"
    assert result["certificates"] == ca.pem
    assert result["signature"] == "SHA256WithRSA"
    assert result["serial_number"] == str(ca.cert.serial_number)
    assert result["issuer"] == ca.cert.issuer.rfc4514_string()
    for field in ("uploaded_on", "updated_at", "expires_on"):
        assert RFC3339.match(result[field]), result[field]
    assert result["expires_on"] == ca.cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "private_key" not in result and ca.key_pem not in response.text


def test_certificates_are_normalised(api: httpx.Client) -> None:
    ca = make_ca()
    messy = "\n\n" + ca.pem.replace("\n", "\r\n") + "\n\n"
    assert upload(api, messy).json()["result"]["certificates"] == ca.pem


def test_trustme_ca_is_accepted(api: httpx.Client) -> None:
    """A CA from another maker than the tests' own factory (trustme's, as its users' tests make them)."""
    assert upload(api, trustme.CA().cert_pem.bytes().decode()).status_code == 200


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: make_ca().issue_cert("client.example.com").pem, "CA:TRUE"),
        (lambda: make_ca(ca=False).pem, "CA:FALSE"),
        (lambda: make_ca(ca=None).pem, "no BasicConstraints"),
        (lambda: make_ca(key_type="rsa", rsa_pss=True).pem, "RSASSA-PSS"),
        (lambda: make_ca(key_type="ed25519").pem, "refuses"),
        (lambda: make_ca(key_type="dsa").pem, "refuses"),
        (lambda: make_ca(hash_name="sha224").pem, "refuses"),
        (lambda: make_ca(not_after=datetime.now(UTC) - timedelta(days=1)).pem, "expired"),
        (lambda: make_ca().public_key_pem, "public key"),
        (lambda: "hello, not a certificate", "no PEM block"),
        (lambda: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "base64"),
    ],
    ids=[
        "leaf",
        "ca-false",
        "no-basic-constraints",
        "rsa-pss",
        "ed25519",
        "dsa",
        "sha224",
        "expired",
        "pubkey",
        "garbage",
        "damaged",
    ],
)
def test_refused_uploads_say_why(api: httpx.Client, make: Any, words: str) -> None:
    response = upload(api, make())
    assert response.status_code == 400
    assert error_codes(response) == [1400]
    message = response.json()["errors"][0]["message"]
    assert message.startswith("Unable to parse certificate") and words in message
    assert api.get(CERTS).json()["result"] == []


@pytest.mark.parametrize(
    "body",
    [{"certificates": "x"}, {"ca": "yes", "certificates": "x"}, {"ca": True}, {"ca": True, "certificates": 3}],
)
def test_missing_or_mistyped_fields(api: httpx.Client, body: dict[str, Any]) -> None:
    response = api.post(CERTS, json=body)
    assert response.status_code == 400 and error_codes(response) == [1400]


def test_body_that_is_not_json_is_400(api: httpx.Client) -> None:
    for content in (b"{not json", b"[1, 2]", b""):
        response = api.post(CERTS, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 400 and error_codes(response) == [6007]


def test_leaf_uploads_with_ca_false_are_accepted_and_not_counted_as_cas(api: httpx.Client) -> None:
    leaf = make_ca("leaf", ca=False)
    accepted = api.post(CERTS, json={"ca": False, "certificates": leaf.pem, "private_key": leaf.key_pem})
    assert accepted.status_code == 200 and accepted.json()["result"]["ca"] is False
    without_key = api.post(CERTS, json={"ca": False, "certificates": make_ca("leaf 2", ca=False).pem})
    assert without_key.status_code == 200
    bad_key = api.post(CERTS, json={"ca": False, "certificates": make_ca(ca=False).pem, "private_key": "nope"})
    assert bad_key.status_code == 400 and error_codes(bad_key) == [1400]
    assert "nope" not in bad_key.text
    for index in range(5):  # the two leaves leave the five CA slots free
        assert upload(api, make_ca(f"CA {index}").pem).status_code == 200


def test_duplicate_is_1471_even_with_other_whitespace(api: httpx.Client) -> None:
    ca = make_ca()
    assert upload(api, ca.pem).status_code == 200
    again = upload(api, ca.pem.replace("\n", "\r\n") + "\n\n\n", name="other name")
    assert again.status_code == 400
    assert again.json()["errors"] == [{"code": 1471, "message": "This certificate already exists"}]
    assert upload(api, ca.pem, account=OTHER_ACCOUNT).status_code == 200  # per account


def test_sixth_ca_is_refused_with_1489(api: httpx.Client) -> None:
    for index in range(5):
        assert upload(api, make_ca(f"CA {index}").pem).status_code == 200
    sixth = upload(api, make_ca("CA 6").pem)
    assert sixth.status_code == 400
    assert sixth.json()["errors"] == [{"code": 1489, "message": "Hit maximum CA cert allocation."}]
    assert len(api.get(CERTS).json()["result"]) == 5
    assert upload(api, make_ca("elsewhere").pem, account=OTHER_ACCOUNT).status_code == 200


def test_non_enterprise_account_is_refused(api: httpx.Client) -> None:
    response = upload(api, make_ca().pem, account=POOR_ACCOUNT)
    assert response.status_code == 403 and error_codes(response) == [9109]


# --- read, list, delete ------------------------------------------------------------------------------------


def test_get_list_and_paging(api: httpx.Client) -> None:
    ids = [upload(api, make_ca(f"CA {i}").pem).json()["result"]["id"] for i in range(3)]
    listed = api.get(CERTS).json()
    assert [cert["id"] for cert in listed["result"]] == ids
    assert listed["result_info"] == {"page": 1, "per_page": 50, "count": 3, "total_count": 3, "total_pages": 1}
    page = api.get(CERTS, params={"page": 2, "per_page": 2}).json()
    assert [cert["id"] for cert in page["result"]] == ids[2:]
    assert page["result_info"]["total_pages"] == 2
    assert api.get(CERTS, params={"per_page": "x"}).status_code == 400
    got = api.get(f"{CERTS}/{ids[0]}").json()["result"]
    assert got["id"] == ids[0] and "updated_at" not in got
    assert api.get(f"/accounts/{OTHER_ACCOUNT}/mtls_certificates").json()["result"] == []


def test_unknown_certificate_is_1472(api: httpx.Client) -> None:
    for method in ("GET", "DELETE"):
        response = api.request(method, f"{CERTS}/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["errors"] == [{"code": 1472, "message": "Certificate not found"}]
    assert api.get(f"{CERTS}/{uuid.uuid4()}/associations").status_code == 404
    cert_id = upload(api, make_ca().pem).json()["result"]["id"]
    assert api.get(f"/accounts/{OTHER_ACCOUNT}/mtls_certificates/{cert_id}").status_code == 404


def test_delete_refused_while_associated_then_allowed(api: httpx.Client) -> None:
    cert_id = upload(api, make_ca().pem).json()["result"]["id"]
    hosts = f"/zones/{ZONE}/certificate_authorities/hostname_associations"
    api.put(hosts, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id}).raise_for_status()
    refused = api.delete(f"{CERTS}/{cert_id}")
    assert refused.status_code == 400 and error_codes(refused) == [1473]
    assert "in use" in refused.json()["errors"][0]["message"]
    api.put(hosts, json={"hostnames": [], "mtls_certificate_id": cert_id}).raise_for_status()
    deleted = api.delete(f"{CERTS}/{cert_id}")
    assert deleted.status_code == 200 and deleted.json()["result"]["id"] == cert_id
    assert api.get(f"{CERTS}/{cert_id}").status_code == 404


def test_malformed_account_id_is_7003(api: httpx.Client) -> None:
    for bad in ("xyz", "0123456789ABCDEF0123456789ABCDEF", ACCOUNT + "0"):
        response = api.get(f"/accounts/{bad}/mtls_certificates")
        assert response.status_code == 400 and error_codes(response) == [7003]


def test_unknown_route_and_method_answer_envelopes(api: httpx.Client) -> None:
    missing = api.get("/accounts/nothing/here/at/all")
    assert missing.status_code == 404 and error_codes(missing) == [7000]
    wrong = api.patch(CERTS, json={})
    assert wrong.status_code == 405 and error_codes(wrong) == [7001]


class TestManagedCertificates:
    @pytest.fixture
    def emulator_config(self) -> EmulatorConfig:
        seeds = (ManagedCertificateSeed(ACCOUNT, "gateway_managed"), ManagedCertificateSeed(ACCOUNT, "access_managed"))
        return EmulatorConfig(tokens={"all": ALL_SCOPES}, zones=TEST_ZONES, managed_certificates=seeds)

    def test_the_type_filter_and_the_quota_count_only_uploads(
        self, emulator: EmulatorServer, api: httpx.Client
    ) -> None:
        every = api.get(CERTS).json()["result"]
        assert sorted(cert["type"] for cert in every) == ["access_managed", "gateway_managed"]
        assert api.get(CERTS, params={"type": "custom"}).json()["result"] == []
        both = api.get(CERTS, params={"type": "gateway_managed,access_managed"}).json()["result"]
        assert len(both) == 2
        for index in range(5):
            assert upload(api, make_ca(f"CA {index}").pem).status_code == 200
        assert upload(api, make_ca("sixth").pem).json()["errors"][0]["code"] == 1489
        assert len(api.get(CERTS, params={"type": "custom"}).json()["result"]) == 5
        emulator.reset()
        assert len(api.get(CERTS).json()["result"]) == 2  # seeded again
