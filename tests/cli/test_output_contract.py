"""What a CI gate and a person read from ``cfmtls``, run as a subprocess: ``--json`` follows the schema of its
command (cfmtls_provider/cli/schema.py; every field it prints is in the schema, numbers are numbers), and the text
has no trailing spaces, with its sentences (the verdict, the account line, the count) whole on one line at 80
columns."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.cli.schema import SCHEMA_VERSION, SCHEMAS, render_docs
from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.cloudflare.models import RuleSpec
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.cli_json import assert_follows
from tests.support.pulumi_stack import REPO
from tests.support.zones import ACCOUNT, ZONE

HOST = "api.example.com"
EXTRA = "extra.example.com"


def cfmtls(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cfmtls_provider", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def account(emulator: EmulatorServer, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A CA on two hostnames, a rule enforcing one of them (an error finding), an unused CA (a warning), client
    certificates in tmp_path; and the command's environment, with an 80-column terminal's COLUMNS."""
    ca = make_ca("corp CA")
    (tmp_path / "client.pem").write_text(ca.issue_cert("client").pem)
    (tmp_path / "intruder.pem").write_text(make_ca("other CA").issue_cert("intruder").pem)
    (tmp_path / "ca.pem").write_text(ca.pem)
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        record = client.upload_certificate(ACCOUNT, ca.pem, name="corp-ca [cfmtls-0123456789ab]")
        client.upload_certificate(ACCOUNT, make_ca("spare CA").pem, name="spare")
        client.replace_hostname_associations(ZONE, record.id, [HOST, EXTRA])
        ski = parse_ca_bundle(ca.pem).issuing_ca.subject_key_identifier
        spec = RuleSpec(ref="cfmtls:corp", expression=build_expression([HOST], ski), description="require mTLS")
        client.create_custom_rules_entrypoint(ZONE, spec)
    yield {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "80",
        "CLOUDFLARE_BASE_URL": emulator.base_url,
        "CLOUDFLARE_API_TOKEN": emulator.token,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
    }


def test_the_schemas_are_json_schemas_and_docs_cli_json_shows_them_as_they_are() -> None:
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)
    document = (REPO / "docs" / "cli-json.md").read_text()
    assert render_docs(document) == document, "run: python -m cfmtls_provider.cli.schema --write docs/cli-json.md"


def test_inventory_json_follows_its_schema_with_numbers_as_numbers(account: dict[str, str]) -> None:
    done = cfmtls(account, "inventory", "--zone", ZONE, "--json")
    assert done.returncode == 1, done.stderr  # the error finding
    data = json.loads(done.stdout)
    assert_follows("inventory", data)
    assert (data["schema_version"], data["command"]) == (SCHEMA_VERSION, "inventory")
    assert data["quota"] == {"used": 2, "limit": 5}
    [quota] = [finding for finding in data["findings"] if finding["code"] == "quota"]
    assert quota["extra"] == {"used": 2, "limit": 5} and quota["zone_id"] is None
    [unenforced] = [finding for finding in data["findings"] if finding["code"] == "associated-not-enforced"]
    assert (unenforced["zone_id"], unenforced["hostname"]) == (ZONE, EXTRA)
    assert all(isinstance(ca["days_left"], int) and ca["days_left"] > 300 for ca in data["cas"])


def test_check_client_json_follows_its_schema_for_each_decision(account: dict[str, str], tmp_path: Path) -> None:
    base = ["check-client", "--hostname", HOST, "--zone", ZONE, "--json"]
    allowed = cfmtls(account, *base, "--cert", str(tmp_path / "client.pem"))
    refused = cfmtls(account, *base, "--cert", str(tmp_path / "intruder.pem"))
    # A rule outside what the evaluator knows: the verdict cannot be told (exit 3), offline.
    (tmp_path / "rule.txt").write_text('http.request.headers["x-test"][0] eq "1"\n')
    offline = ["--ca", str(tmp_path / "ca.pem"), "--rules", str(tmp_path / "rule.txt")]
    unknown = cfmtls(account, *base, *offline, "--cert", str(tmp_path / "client.pem"))
    for done, decision, status in ((allowed, "allowed", 0), (refused, "refused", 1), (unknown, "unknown", 3)):
        assert done.returncode == status, done.stdout + done.stderr
        data = json.loads(done.stdout)
        assert_follows("check-client", data)
        assert (data["schema_version"], data["decision"]) == (SCHEMA_VERSION, decision)
    assert json.loads(allowed.stdout)["failure"] is None
    assert json.loads(refused.stdout)["fields"]["cf.tls_client_auth.cert_verified"] is False


def test_text_has_no_trailing_spaces_and_whole_sentences_at_80_columns(account: dict[str, str], tmp_path: Path) -> None:
    check = ["check-client", "--hostname", HOST, "--zone", ZONE, "--cert", str(tmp_path / "intruder.pem")]
    refused = cfmtls(account, *check)
    reason = json.loads(cfmtls(account, *check, "--json").stdout)["reason"]
    inventory = cfmtls(account, "inventory", "--zone", ZONE)
    for done in (refused, inventory):
        assert [line for line in done.stdout.splitlines() if line != line.rstrip()] == [], done.stdout
    verdict = refused.stdout.splitlines()[-1]
    assert verdict == f"REFUSED: {reason}" and len(verdict) > 80, refused.stdout
    assert [line for line in refused.stdout.splitlines() if len(line) > 80] == [verdict], refused.stdout
    lines = inventory.stdout.splitlines()
    assert lines[0].startswith(f"Account {ACCOUNT}: 2 of 5 CA slots used, 1 zone(s) read at "), inventory.stdout
    assert lines[-1] == "1 error(s), 1 warning(s)", inventory.stdout
    assert [line for line in lines[1:] if len(line) > 80] == [], inventory.stdout  # the tables fit
