"""The cfmtls command as a subprocess, fed hostile strings from the API and bad input from its user (issue 22):
control characters from Cloudflare never reach the terminal raw (``--json`` keeps them exact), and every bad
input exits 2 with one line on stderr, never a traceback nor a status a CI gate would read as a verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.cli.terminal import printable
from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.cloudflare.models import RuleSpec
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.zones import ACCOUNT, ZONE

HOST = "api.example.com"
#: Erase the line, move up, erase again (hides the line printed before); set the window title; bidi override.
HOSTILE = "evil\x1b[2K\x1b[1A\x1b[2Kname\x1b]0;owned\x07\u202egnp.exe"


def cfmtls(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cfmtls_provider", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def api_env(emulator: EmulatorServer) -> Iterator[dict[str, str]]:
    """A CA and a rule made through the API with hostile names, and the command's environment."""
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        record = client.upload_certificate(ACCOUNT, make_ca("hostile").pem, name=HOSTILE)
        client.replace_hostname_associations(ZONE, record.id, [HOST])
        spec = RuleSpec(ref="hostile", expression=build_expression([HOST]), description=HOSTILE)
        client.create_custom_rules_entrypoint(ZONE, spec)
    yield {
        "PATH": "/usr/bin:/bin",
        "CLOUDFLARE_BASE_URL": emulator.base_url,
        "CLOUDFLARE_API_TOKEN": emulator.token,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
    }


def test_control_characters_from_the_api_are_shown_escaped_and_kept_exact_in_json(api_env: dict[str, str]) -> None:
    shown = cfmtls("inventory", "--zone", ZONE, env=api_env)
    assert shown.returncode == 0, shown.stderr
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in shown.stdout + shown.stderr
    assert shown.stdout.count(printable(HOSTILE)) >= 2  # the CA's name and the rule's description
    assert "evil\\x1b[2K\\x1b[1A\\x1b[2Kname\\x1b]0;owned\\x07\\u202egnp.exe" in shown.stdout
    exact = json.loads(cfmtls("inventory", "--zone", ZONE, "--json", env=api_env).stdout)
    assert exact["cas"][0]["name"] == HOSTILE
    assert exact["zones"][0]["client_certificate_rules"][0]["description"] == HOSTILE


def test_check_client_shows_a_hostile_rule_description_escaped(tmp_path: Path) -> None:
    ca = make_ca("offline CA")
    (tmp_path / "ca.pem").write_text(ca.pem)
    rule = {"id": "r1", "action": "block", "expression": build_expression([HOST]), "description": HOSTILE}
    (tmp_path / "rules.json").write_text(json.dumps([rule]))
    refused = cfmtls(
        "check-client",
        "--hostname",
        HOST,
        "--no-cert",
        "--ca",
        str(tmp_path / "ca.pem"),
        "--rules",
        str(tmp_path / "rules.json"),
    )
    assert refused.returncode == 1, refused.stderr
    assert "\x1b" not in refused.stdout and printable(HOSTILE) in refused.stdout


def bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each bad input: the arguments after ``check-client --hostname api.example.com``, and the line printed."""
    ca = make_ca("bad input CA")
    (tmp / "ca.pem").write_text(ca.pem)
    (tmp / "garbage.pem").write_text("not a certificate\n")
    offline = ["--no-cert", "--ca", str(tmp / "ca.pem"), "--rules"]

    def rules(name: str, text: str) -> str:
        (tmp / name).write_text(text)
        return str(tmp / name)

    good = {"action": "block", "expression": build_expression([HOST])}
    return {
        "missing certificate file": (
            ["--cert", str(tmp / "missing.pem"), "--ca", str(tmp / "ca.pem")],
            f"cfmtls: cannot read the client certificate {tmp / 'missing.pem'}: No such file or directory",
        ),
        "not a PEM certificate": (
            ["--cert", str(tmp / "garbage.pem"), "--ca", str(tmp / "ca.pem")],
            f"cfmtls: --cert {tmp / 'garbage.pem'} is neither PEM nor DER; pass the certificate file (e.g. client.pem).",
        ),
        "missing rules file": (
            [*offline, str(tmp / "missing.json")],
            f"cfmtls: cannot read the rules file {tmp / 'missing.json'}: No such file or directory",
        ),
        "rules file not JSON": (
            [*offline, rules("broken.json", '{"rules": [')],
            f"cfmtls: the rules file {tmp / 'broken.json'} is not valid JSON (Expecting value: line 1 column 12 "
            "(char 11)).",
        ),
        "wrong type": (
            [*offline, rules("types.json", json.dumps([{**good, "enabled": "no"}]))],
            f"cfmtls: the rules file {tmp / 'types.json'}: rules[0].enabled is a string ('no'), expected true or false.",
        ),
        "unknown field": (
            [*offline, rules("typo.json", json.dumps({"rules": [{**good, "enbled": False}]}))],
            f"cfmtls: the rules file {tmp / 'typo.json'}: rules[0] has a field 'enbled' that Cloudflare's rule "
            "object does not have (its fields: action, action_parameters, categories, description, enabled, "
            "exposed_credential_check, expression, id, last_updated, logging, ratelimit, ref, version).",
        ),
        "no expression": (
            [*offline, rules("empty.json", json.dumps({"result": {"rules": [{"action": "block"}]}}))],
            f"cfmtls: the rules file {tmp / 'empty.json'}: result.rules[0].expression is missing or empty, expected "
            "the rule's expression.",
        ),
        "unknown flag": (["--no-cert", "--bogus"], "cfmtls: unrecognized arguments: --bogus; see 'cfmtls --help'."),
        "two certificates": (
            ["--no-cert", "--cert", str(tmp / "ca.pem")],
            "cfmtls: argument --cert: not allowed with argument --no-cert; see 'cfmtls check-client --help'.",
        ),
        "bad zone id": (
            ["--no-cert", "--zone", "example.com"],
            "cfmtls: --zone 'example.com' is not a Cloudflare id: expected 32 lower-case hex characters.",
        ),
        "bad path": (
            ["--no-cert", "--path", "api/health"],
            "cfmtls: --path 'api/health' is not a request path: it starts with '/', e.g. /api/health.",
        ),
    }


def test_every_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    failed = []
    for name, (args, expected) in bad_inputs(tmp_path).items():
        run = cfmtls("check-client", "--hostname", HOST, *args, env={"PATH": "/usr/bin:/bin"})
        if (run.returncode, run.stdout, run.stderr) != (2, "", expected + "\n"):
            failed.append(f"{name}: rc {run.returncode}\n{run.stdout}{run.stderr}")
    assert failed == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["check-client", "--no-cert"],
            "cfmtls: the following arguments are required: --hostname; see 'cfmtls check-client --help'.",
        ),
        (["check-client", "--hostname", "Bad_Host", "--no-cert"], "cfmtls: --hostname: 'bad_host'"),
        (["inventory", "--zone", "nope"], "cfmtls: --zone 'nope' is not a Cloudflare id"),
        (["frobnicate"], "cfmtls: argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], expected: str) -> None:
    run = cfmtls(*args, env={"PATH": "/usr/bin:/bin"})
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith(expected) and run.stderr.count("\n") == 1, run.stderr


def test_the_fields_a_rules_file_may_hold_are_the_official_sdks() -> None:
    import inspect

    import cloudflare.types.rulesets as sdk
    import pydantic
    from cloudflare.types.rulesets.ruleset_get_response import RulesetGetResponse

    from cfmtls_provider.cli.rules_file import RULE_FIELDS, RULESET_FIELDS

    rule_types = [
        kind
        for name, kind in vars(sdk).items()
        if name.endswith("Rule") and inspect.isclass(kind) and issubclass(kind, pydantic.BaseModel)
    ]
    assert len(rule_types) > 10
    assert {field for kind in rule_types for field in kind.model_fields} == RULE_FIELDS
    assert set(RulesetGetResponse.model_fields) == RULESET_FIELDS
