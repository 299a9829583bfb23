"""The contract, checked against the official ``cloudflare`` SDK (generated from Cloudflare's OpenAPI document).

Every answer of the emulator, for every endpoint the project uses (successes and the main refusals), validates
against the SDK's own model of that answer, and carries no field the model does not declare. Every request body
the project's client sends validates against the SDK's parameter type of that operation, and carries no field
the type does not declare. Where the SDK and Cloudflare's documentation disagree, docs/cloudflare-api.md says
which the emulator follows and why (certificate ids: 36-character UUIDs, though the SDK says maxLength 32).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import cloudflare
import httpx
import pydantic
import pytest
from cloudflare.types.certificate_authorities import (
    HostnameAssociationGetResponse,
    HostnameAssociationUpdateResponse,
)
from cloudflare.types.certificate_authorities.hostname_association_update_params import (
    HostnameAssociationUpdateParams,
)
from cloudflare.types.mtls_certificates import MTLSCertificate, MTLSCertificateCreateResponse
from cloudflare.types.mtls_certificates.certificate_asssociation import CertificateAsssociation
from cloudflare.types.mtls_certificates.mtls_certificate_create_params import MTLSCertificateCreateParams
from cloudflare.types.rulesets import (
    PhaseGetResponse,
    RulesetGetResponse,
    rule_create_params,
    rule_edit_params,
    ruleset_create_params,
)

# The SDK types the write operations Union[Ruleset, object, None] (a dry run answers `result: null`); the
# emulator never dry-runs, so its answers are checked against the Ruleset member of each.
from cloudflare.types.rulesets.rule_create_response import Ruleset as RuleCreateResponse
from cloudflare.types.rulesets.rule_delete_response import Ruleset as RuleDeleteResponse
from cloudflare.types.rulesets.rule_edit_response import Ruleset as RuleEditResponse
from cloudflare.types.rulesets.ruleset_create_response import Ruleset as RulesetCreateResponse
from cloudflare.types.rulesets.ruleset_update_response import Ruleset as RulesetUpdateResponse
from cloudflare.types.shared import ResponseInfo

from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.cloudflare.models import RuleSpec
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import ACCOUNT, TEST_ZONES, ZONE

CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"
HOSTS = f"/zones/{ZONE}/certificate_authorities/hostname_associations"
RULESETS = f"/zones/{ZONE}/rulesets"
PHASE = "http_request_firewall_custom"
ENTRYPOINT = f"{RULESETS}/phases/{PHASE}/entrypoint"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(zones=TEST_ZONES, association_lag_seconds=0.3)


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def documented(model: type[pydantic.BaseModel], data: Any) -> pydantic.BaseModel:
    """``data`` validates against the SDK's model and holds only fields the model declares (for a ruleset, each
    rule too, against the rule model the SDK picks by its action)."""
    assert isinstance(data, dict), data
    undeclared = set(data) - set(model.model_fields)
    assert not undeclared, f"{model.__name__} does not declare {sorted(undeclared)}"
    parsed = model.model_validate(data)
    for raw, rule in zip(data.get("rules") or [], getattr(parsed, "rules", None) or [], strict=True):
        extra = set(raw) - set(type(rule).model_fields)
        assert not extra, f"{type(rule).__name__} does not declare {sorted(extra)}"
    return parsed


def success(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    return body["result"]


def refusal(answer: httpx.Response, status: int, code: int) -> None:
    """A v4 error envelope whose errors validate as the SDK's ResponseInfo (``error_chain`` entries too)."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["success"] is False and body["result"] is None and body["messages"] == []
    for error in body["errors"]:
        chain = error.pop("error_chain", [])
        documented(ResponseInfo, error)
        for inner in chain:
            documented(ResponseInfo, inner)
    assert body["errors"][0]["code"] == code


def test_mtls_certificate_answers(api: httpx.Client) -> None:
    ca = make_ca("contract")
    created = success(api.post(CERTS, json={"ca": True, "certificates": ca.pem, "name": "c"}))
    documented(MTLSCertificateCreateResponse, created)
    assert created["type"] == "custom"
    for item in success(api.get(CERTS)):
        documented(MTLSCertificate, item)
    assert success(api.get(CERTS, params={"type": "gateway_managed,access_managed"})) == []
    documented(MTLSCertificate, success(api.get(f"{CERTS}/{created['id']}")))
    success(api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": created["id"]}))
    for usage in success(api.get(f"{CERTS}/{created['id']}/associations")):
        documented(CertificateAsssociation, usage)
    refusal(api.delete(f"{CERTS}/{created['id']}"), 400, 1473)
    refusal(api.post(CERTS, json={"ca": True, "certificates": ca.pem}), 400, 1471)
    refusal(api.post(CERTS, json={"ca": True, "certificates": "not a certificate"}), 400, 1400)
    refusal(api.get(f"{CERTS}/{'0' * 8}-0000-4000-8000-{'0' * 12}"), 404, 1472)
    refusal(api.get(CERTS, params={"type": "mine"}), 400, 1400)


def test_hostname_association_answers(api: httpx.Client) -> None:
    cert_id = success(api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}))["id"]
    body = {"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id}
    documented(HostnameAssociationUpdateResponse, success(api.put(HOSTS, json=body)))
    documented(HostnameAssociationGetResponse, success(api.get(HOSTS, params={"mtls_certificate_id": cert_id})))
    documented(HostnameAssociationGetResponse, success(api.get(HOSTS)))  # the managed CA's list
    refusal(api.put(HOSTS, json={**body, "hostnames": ["a.example.org"]}), 400, 1450)
    refusal(api.get(f"/zones/{'9' * 32}/certificate_authorities/hostname_associations"), 404, 7003)


def test_ruleset_answers(api: httpx.Client) -> None:
    refusal(api.get(ENTRYPOINT), 404, 10003)
    rule = {"action": "block", "expression": "not cf.tls_client_auth.cert_verified", "ref": "mine"}
    created = success(api.post(RULESETS, json={"name": "default", "kind": "zone", "phase": PHASE, "rules": [rule]}))
    documented(RulesetCreateResponse, created)
    refusal(api.post(RULESETS, json={"name": "again", "kind": "zone", "phase": PHASE}), 400, 20217)
    ruleset_id = created["id"]
    documented(PhaseGetResponse, success(api.get(ENTRYPOINT)))
    documented(RulesetGetResponse, success(api.get(f"{RULESETS}/{ruleset_id}")))
    execute = {
        "action": "execute",
        "expression": "true",
        "action_parameters": {"id": "4814384a9e5d4991b9815dcfc25d2f1f"},
    }
    added = success(api.post(f"{RULESETS}/{ruleset_id}/rules", json=execute))
    documented(RuleCreateResponse, added)
    rule_id = added["rules"][0]["id"]
    documented(RuleEditResponse, success(api.patch(f"{RULESETS}/{ruleset_id}/rules/{rule_id}", json=rule)))
    documented(
        RuleEditResponse,
        success(api.patch(f"{RULESETS}/{ruleset_id}/rules/{rule_id}", json={"position": {"index": 2}})),
    )
    refusal(api.post(f"{RULESETS}/{ruleset_id}/rules", json={**rule, "position": {"index": 9}}), 400, 20100)
    replaced = success(api.put(f"{RULESETS}/{ruleset_id}", json={"rules": [{**rule, "ref": "only"}]}))
    documented(RulesetUpdateResponse, replaced)
    only = replaced["rules"][0]["id"]
    documented(RuleDeleteResponse, success(api.delete(f"{RULESETS}/{ruleset_id}/rules/{only}")))
    deleted = api.delete(f"{RULESETS}/{ruleset_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    refusal(api.get(f"{RULESETS}/{ruleset_id}"), 404, 10003)


def test_authentication_refusals(emulator: EmulatorServer) -> None:
    url = emulator.base_url + CERTS
    refusal(httpx.get(url), 400, 9106)
    refusal(httpx.get(url, headers={"Authorization": "Bearer"}), 400, 6003)
    refusal(httpx.get(url, headers={"Authorization": "Bearer unknown-token"}), 401, 10000)


# --- what the client sends --------------------------------------------------------------------------------------


class Recording(httpx.BaseTransport):
    """A real transport that keeps every request the client sends."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _declared(params: type, body: dict[str, Any]) -> None:
    """``body`` validates against the SDK's parameter TypedDict and uses only keys it declares."""
    undeclared = set(body) - set(params.__annotations__)
    assert not undeclared, f"{params.__name__} does not declare {sorted(undeclared)}"
    pydantic.TypeAdapter(params).validate_python(body)


#: (method, path suffix) of each write the client makes -> the SDK's parameter type of that operation.
_PARAMS: dict[tuple[str, str], Any] = {
    ("POST", "/mtls_certificates"): MTLSCertificateCreateParams,
    ("PUT", "/hostname_associations"): HostnameAssociationUpdateParams,
    ("POST", "/rulesets"): ruleset_create_params.RulesetCreateParams,
    ("POST", "/rules"): rule_create_params.BlockRule,
    ("PATCH", "/rules/{id}"): rule_edit_params.BlockRule,
}


def _operation(request: httpx.Request) -> tuple[str, str]:
    path = request.url.path
    if request.method == "PATCH":
        return ("PATCH", "/rules/{id}")
    return (request.method, "/" + path.rstrip("/").rsplit("/", 1)[-1])


def test_every_request_body_the_client_sends_is_an_sdk_parameter_type(emulator: EmulatorServer) -> None:
    recording = Recording()
    client = CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url, transport=recording)
    with client:
        ca = make_ca("sent")
        record = client.upload_certificate(ACCOUNT, ca.pem, name="sent", private_key=ca.key_pem)
        client.replace_hostname_associations(ZONE, record.id, ["a.example.com"])
        rule = RuleSpec(ref="cfmtls-x", expression="not cf.tls_client_auth.cert_verified", description="mTLS")
        ruleset = client.create_custom_rules_entrypoint(ZONE, rule)
        rule_id = ruleset.rules[0].id
        client.update_rule(ZONE, ruleset.id, rule_id, RuleSpec(ref="cfmtls-x", expression="true"))
        client.delete_rule(ZONE, ruleset.id, rule_id)
        client.add_rule(ZONE, ruleset.id, rule)
        client.replace_hostname_associations(ZONE, record.id, [])
    writes = [request for request in recording.sent if request.method in ("POST", "PUT", "PATCH")]
    assert {_operation(request) for request in writes} == set(_PARAMS)
    for request in writes:
        body = json.loads(request.content)
        path = request.url.path
        params = _PARAMS[_operation(request)]
        for key, marker in (("account_id", "/accounts/"), ("zone_id", "/zones/"), ("ruleset_id", "/rulesets/")):
            if marker in path and key in params.__annotations__:  # path ids are parameters of the SDK call too
                body[key] = path.split(marker)[1].split("/")[0]
        _declared(params, body)


def test_the_client_deletes_a_ruleset_with_the_request_the_sdk_sends(emulator: EmulatorServer) -> None:
    """``delete_ruleset`` is the SDK's ``rulesets.delete`` ("Delete a zone ruleset"): the same method, the same
    path, no body; the emulator answers both with 204 and no body."""
    ours, theirs = Recording(), Recording()
    rule = RuleSpec(ref="cfmtls-x", expression="not cf.tls_client_auth.cert_verified")
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url, transport=ours) as client:
        first = client.create_custom_rules_entrypoint(ZONE, rule)
        assert first.created_by_us
        assert client.delete_ruleset(ZONE, first.id) is True
        second = client.create_custom_rules_entrypoint(ZONE, rule)
        with cloudflare.Cloudflare(
            api_token=emulator.token,
            base_url=emulator.base_url,
            max_retries=0,
            http_client=httpx.Client(transport=theirs),
        ) as sdk:
            sdk.rulesets.delete(second.id, zone_id=ZONE)
        assert client.get_custom_rules_entrypoint(ZONE) is None
        assert client.delete_ruleset(ZONE, second.id) is False  # already gone: deleted
    [mine, _again] = [request for request in ours.sent if request.method == "DELETE"]
    [sdk_delete] = [request for request in theirs.sent if request.method == "DELETE"]
    assert mine.url.path.replace(first.id, "{id}") == sdk_delete.url.path.replace(second.id, "{id}")
    assert mine.content == sdk_delete.content == b""
