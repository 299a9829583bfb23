"""Answers that are not shaped as Cloudflare documents them are refused at the boundary, with one error naming the
call: never a crash, never a wrong value taken for a right one, never retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cfmtls_provider.cloudflare import (
    APIResponseValidationError,
    ApiToken,
    BadRequestError,
    CloudflareClient,
    RetryPolicy,
    RuleSpec,
)
from cfmtls_provider.cloudflare.pacer import Pacer
from tests.support.clock import FakeClock

BASE = "https://api.cloudflare.test/client/v4"
ACCOUNT = "acc1"
ZONE = "zone1"
PHASE = "http_request_firewall_custom"
RULE = RuleSpec(ref="cfmtls-1", expression="(not cf.tls_client_auth.cert_verified)")
RULESET = {"id": "rs1", "phase": PHASE, "version": "1", "rules": [{"id": "r1", "ref": "cfmtls-1"}]}


def client_answering(body: Any, status: int = 200) -> tuple[CloudflareClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": "application/json"})
        return httpx.Response(status, json=body)

    clock = FakeClock()
    client = CloudflareClient(
        ApiToken("t"),
        base_url=BASE,
        retry=RetryPolicy(max_retries=3),
        transport=httpx.MockTransport(handle),
        sleep=clock.sleep,
        pacer=Pacer(clock=clock, sleep=clock.sleep),
    )
    return client, requests


def ok(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


Call = Callable[[CloudflareClient], object]
CALLS: dict[str, Call] = {
    "get_certificate": lambda c: c.get_certificate(ACCOUNT, "c1"),
    "list_certificates": lambda c: c.list_certificates(ACCOUNT),
    "upload_certificate": lambda c: c.upload_certificate(ACCOUNT, "pem"),
    "certificate_usages": lambda c: c.certificate_usages(ACCOUNT, "c1"),
    "get_hostname_associations": lambda c: c.get_hostname_associations(ZONE, "c1"),
    "replace_hostname_associations": lambda c: c.replace_hostname_associations(ZONE, "c1", ["a.example.com"]),
    "get_custom_rules_entrypoint": lambda c: c.get_custom_rules_entrypoint(ZONE),
    "create_custom_rules_entrypoint": lambda c: c.create_custom_rules_entrypoint(ZONE, RULE),
    "add_rule": lambda c: c.add_rule(ZONE, "rs1", RULE),
    "update_rule": lambda c: c.update_rule(ZONE, "rs1", "r1", RULE),
}

CERTIFICATES = f"/accounts/{ACCOUNT}/mtls_certificates"
ASSOCIATIONS = f"/zones/{ZONE}/certificate_authorities/hostname_associations"
CASES: list[tuple[str, Any, str]] = [
    # (call, answer, what the error says after "<METHOD> <path> failed: ")
    ("get_certificate", ok([]), "result is a list, expected an object"),
    ("get_certificate", ok("c1"), "result is a string ('c1'), expected an object"),
    ("get_certificate", ok({"id": "c2"}), "result.id is 'c2': an answer about another certificate than 'c1'"),
    ("get_certificate", ok({"id": 7}), "result.id is a number, expected a non-empty string"),
    ("get_certificate", ok({"name": "x"}), "result.id is missing, expected a non-empty string"),
    ("get_certificate", ok({"id": "c1", "ca": "true"}), "result.ca is a string ('true'), expected true or false"),
    ("list_certificates", ok({"id": "c1"}), "result is an object, expected a list"),
    ("list_certificates", ok(["c1"]), "result[0] is a string ('c1'), expected an object"),
    ("list_certificates", ok([{"id": "c1", "certificates": 5}]), "result[0].certificates is a number"),
    ("upload_certificate", ok(None), "result is null, expected an object"),
    ("certificate_usages", ok({"service": "gateway"}), "result is an object, expected a list"),
    ("get_hostname_associations", ok({"hostnames": "a.example.com"}), "result.hostnames is a string"),
    ("get_hostname_associations", ok({"hostnames": [1]}), "result.hostnames[0] is a number, expected a hostname"),
    ("replace_hostname_associations", ok(["a.example.com"]), "result is a list, expected an object"),
    ("get_custom_rules_entrypoint", ok({**RULESET, "phase": "http_ratelimit"}), "result.phase is 'http_ratelimit'"),
    ("get_custom_rules_entrypoint", ok({**RULESET, "rules": {"id": "r1"}}), "result.rules is an object"),
    ("get_custom_rules_entrypoint", ok({**RULESET, "rules": [{"ref": "x"}]}), "result.rules[0].id is missing"),
    ("create_custom_rules_entrypoint", ok({**RULESET, "phase": ""}), "result.phase is ''"),
    ("add_rule", ok({**RULESET, "id": "rs2"}), "an answer about another ruleset than 'rs1'"),
    ("add_rule", ok({**RULESET, "rules": []}), "result.rules has no rule with ref 'cfmtls-1'"),
    ("update_rule", ok({**RULESET, "rules": [{"id": "r9"}]}), "result.rules has no rule 'r1'"),
    ("update_rule", ok({**RULESET, "rules": [{"id": "r1", "enabled": "no"}]}), "result.rules[0].enabled is a string"),
]


@pytest.mark.parametrize(("call", "answer", "said"), CASES, ids=[f"{c}:{s[:30]}" for c, _, s in CASES])
def test_a_misshapen_answer_is_one_clear_error_naming_the_call_and_is_not_retried(
    call: str, answer: Any, said: str
) -> None:
    client, requests = client_answering(answer)
    with pytest.raises(APIResponseValidationError) as info:
        CALLS[call](client)
    message = str(info.value)
    operation = f"{requests[0].method} {requests[0].url.path.removeprefix('/client/v4')}"
    assert info.value.operation == operation
    assert message.startswith(f"{operation} failed: Cloudflare's answer is not shaped as its API documents: ")
    assert said in message
    assert len(requests) == 1


@pytest.mark.parametrize("success", ["false", "true", 1, None])
def test_success_that_is_not_a_boolean_is_not_taken_for_success(success: object) -> None:
    client, requests = client_answering({"success": success, "errors": [], "result": {"id": "c1"}})
    with pytest.raises(APIResponseValidationError) as info:
        client.get_certificate(ACCOUNT, "c1")
    assert str(info.value).startswith(f'GET {CERTIFICATES}/c1 failed: the answer\'s "success" is ')
    assert "not true or false" in str(info.value)
    assert len(requests) == 1


def test_deeply_nested_json_is_one_error_not_a_crash() -> None:
    depth = 100_000
    client, _ = client_answering('{"success": true, "result": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(APIResponseValidationError, match="nested too deeply to read"):
        client.list_certificates(ACCOUNT)


def test_a_deeply_nested_error_chain_is_quoted_a_few_levels_deep() -> None:
    error: dict[str, Any] = {"code": 1, "message": "bottom"}
    for level in range(200):
        error = {"code": 1000 + level, "message": f"level {level}", "error_chain": [error]}
    client, _ = client_answering({"success": False, "errors": [error], "result": None}, status=400)
    with pytest.raises(BadRequestError) as info:
        client.get_certificate(ACCOUNT, "c1")
    assert "level 199 (code 1199)" in str(info.value)
    assert "bottom" not in str(info.value)
    assert len(str(info.value)) < 1000


def test_a_well_formed_answer_with_extra_fields_is_accepted() -> None:
    record = {"id": "c1", "ca": True, "certificates": "pem", "type": "custom", "new_field": {"x": [1]}}
    client, _ = client_answering(ok(record))
    found = client.get_certificate(ACCOUNT, "c1")
    assert found is not None and (found.id, found.ca) == ("c1", True)


def test_null_lists_are_empty_lists() -> None:
    client, _ = client_answering(ok({"hostnames": None}))
    assert client.get_hostname_associations(ZONE, "c1") == []


def test_the_request_bodies_are_json() -> None:
    client, requests = client_answering(ok({"hostnames": ["a.example.com"]}))
    client.replace_hostname_associations(ZONE, "c1", ["a.example.com"])
    assert json.loads(requests[0].content) == {"hostnames": ["a.example.com"], "mtls_certificate_id": "c1"}
    assert requests[0].url.path == f"/client/v4{ASSOCIATIONS}"


def test_the_user_reads_the_call_what_was_wrong_and_what_to_check() -> None:
    from cfmtls_provider.resources._errors import explain

    client, _ = client_answering(ok({"id": "c2"}))
    with pytest.raises(APIResponseValidationError) as info:
        client.get_certificate(ACCOUNT, "c1")
    assert explain(info.value, "Reading CA certificate c1") == (
        f"Reading CA certificate c1 failed: GET {CERTIFICATES}/c1 failed: Cloudflare's answer is not shaped as its "
        "API documents: result.id is 'c2': an answer about another certificate than 'c1'. Check that "
        "cfmtls:baseUrl / CLOUDFLARE_BASE_URL is Cloudflare's API (https://api.cloudflare.com/client/v4) or the "
        "emulator, and that no proxy in between rewrites answers; then run the command again, and report it if it "
        "persists."
    )
