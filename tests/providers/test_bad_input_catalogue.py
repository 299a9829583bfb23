"""The bad-input catalogue: every way a user can get an input wrong, and the exact sentence they read.

Each entry is caught as early as possible: at check time (what `pulumi preview` shows, on the property at fault,
before any API call) where the input alone is wrong, otherwise at create time, through the provider, against an
in-process emulator configured to refuse as Cloudflare would (wrong token, missing permission, non-Enterprise
account, quota, duplicate upload). Messages are written for a person: what is wrong, where, what to do.
A few entries (leaf, RSA-PSS, public key, garbage, upper-case hostname) also run through `pulumi preview` with the
real engine in tests/e2e/test_engine_bad_inputs.py: the engine prints the message and no write reaches the API.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import CloudflareProvider, ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support import certs as hostile
from tests.support.certs import make_ca
from tests.support.providers import association_inputs, configured
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
NON_ENTERPRISE = "99999999999999999999999999999999"
ZONE = "fedcba9876543210fedcba9876543210"
GOOD_TOKEN = "catalogue-token"
ZONE_ONLY_TOKEN = "catalogue-zone-only-token"
SSL_ONLY_TOKEN = "catalogue-ssl-only-token"
WAF_ONLY_TOKEN = "catalogue-waf-only-token"
GOOD_HOSTS = ["api.example.com"]
#: Configuration refusals fail at their first answer.
NO_RETRY = {"cfmtls:maxRetries": "0"}
SKI = "AB" * 20


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        zones=TEST_ZONES,
        tokens={
            GOOD_TOKEN: ALL_SCOPES,
            ZONE_ONLY_TOKEN: frozenset({"zone.ssl:write", "zone.waf:write"}),
            SSL_ONLY_TOKEN: frozenset({"account.ssl:write", "zone.ssl:write"}),
            WAF_ONLY_TOKEN: frozenset({"zone.waf:write"}),
        },
        non_enterprise_accounts=frozenset({NON_ENTERPRISE}),
    )


pytestmark = pytest.mark.usefixtures("no_ambient_settings")


# -- inputs ---------------------------------------------------------------------------------------------------


def csr_pem() -> str:
    made = make_ca()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client")]))
        .sign(made.key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def damaged_base64() -> str:
    lines = make_ca().pem.splitlines()
    lines[3] = lines[3][:10] + "!@#" + lines[3][13:]
    return "\n".join(lines) + "\n"


def expired_ca() -> str:
    now = datetime.now(UTC)
    return make_ca(not_before=now - timedelta(days=400), not_after=now - timedelta(days=2)).pem


def cert(pem: str | Callable[[], str], **extra: Any) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        return {"certificates": pem() if callable(pem) else pem, "account_id": ACCOUNT, "name": "corp-ca", **extra}

    return build


def assoc(hostnames: Any = GOOD_HOSTS, **extra: Any) -> Callable[[], dict[str, Any]]:
    """A HostnameAssociation's inputs, as given ``certificate=`` (an id, its SKI and revision), with ``extra``."""
    ca = {"certificate_id": "0" * 8 + "-cafe", "subject_key_identifier": SKI, "revision": "r1"}
    return lambda: association_inputs(ca, hostnames, **extra)


@dataclass
class Case:
    """One bad input: the provider, its inputs, where it is caught, and the message (whole, or whole sentences)."""

    provider: type[CloudflareProvider]
    inputs: Callable[[], dict[str, Any]]
    message: str | tuple[str, ...]
    #: "check": a CheckFailure on ``prop`` (preview); "create": a ProviderError from create against the emulator.
    #: ``prop`` is "" where the value may hold key material (certificates, private_key): the engine prints a
    #: named property's value, so those failures name none and their message begins with the property.
    stage: str = "check"
    prop: str = ""
    config: dict[str, str] = field(default_factory=dict)
    #: Something the emulator must hold first (quota, duplicate), given the configured provider.
    before: Callable[[MTLSCertificateProvider], Any] | None = None


ALGORITHMS = (
    "Allowed signature algorithms: SHA1WithRSA, SHA256WithRSA, SHA384WithRSA, SHA512WithRSA, ECDSAWithSHA1, "
    "ECDSAWithSHA256, ECDSAWithSHA384, ECDSAWithSHA512 (PKCS#1 v1.5 RSA or ECDSA; RSASSA-PSS, DSA, Ed25519, Ed448 "
    "and SHA-224 are refused even where the hash is allowed). Re-issue the CA with an allowed algorithm, e.g. "
    "'openssl req -x509 -sha256' with an RSA or EC key."
)
REISSUE = "Re-issue the CA certificate with a standard tool (e.g. 'openssl req -x509' or your PKI) and upload that."
LEAF_ADVICE = (
    "This is a leaf (client or server) certificate: upload the CA certificate that issues your client certificates "
    "instead."
)


def fill_quota(provider: MTLSCertificateProvider) -> None:
    for index in range(5):
        provider.create(provider.check({}, cert(make_ca(f"held-{index}").pem, name=f"held-{index}")()).inputs)


DUPLICATE_PEM = make_ca("already uploaded").pem

CATALOGUE: dict[str, Case] = {
    # -- certificates ---------------------------------------------------------------------------------------
    "certificate: leaf with CA:FALSE": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(ca=False).pem),
        f"certificates: the PEM block has BasicConstraints CA:FALSE; Cloudflare requires CA:TRUE. {LEAF_ADVICE}",
        prop="",
    ),
    "certificate: leaf without BasicConstraints": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(ca=None).pem),
        "certificates: the PEM block has no BasicConstraints extension; Cloudflare requires CA:TRUE. This looks "
        "like a leaf (client or server) certificate: upload the CA certificate that issues your client "
        "certificates instead.",
        prop="",
    ),
    "certificate: RSASSA-PSS": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(key_type="rsa", rsa_pss=True).pem),
        f"certificates: the PEM block is signed with RSASSA_PSS (OID 1.2.840.113549.1.1.10), which Cloudflare "
        f"refuses. {ALGORITHMS}",
        prop="",
    ),
    "certificate: DSA": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(key_type="dsa").pem),
        f"certificates: the PEM block is signed with DSA_WITH_SHA256 (OID 2.16.840.1.101.3.4.3.2), which "
        f"Cloudflare refuses. {ALGORITHMS}",
        prop="",
    ),
    "certificate: Ed25519": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(key_type="ed25519").pem),
        f"certificates: the PEM block is signed with ED25519 (OID 1.3.101.112), which Cloudflare refuses. {ALGORITHMS}",
        prop="",
    ),
    "certificate: SHA-224": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca(key_type="rsa", hash_name="sha224").pem),
        f"certificates: the PEM block is signed with RSA_WITH_SHA224 (OID 1.2.840.113549.1.1.14), which "
        f"Cloudflare refuses. {ALGORITHMS}",
        prop="",
    ),
    "certificate: public key": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().public_key_pem),
        "certificates: the PEM block is a public key, not a certificate. Pass the CA certificate itself "
        "('-----BEGIN CERTIFICATE-----').",
        prop="",
    ),
    "certificate: private key": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().key_pem),
        "certificates: the PEM block is a private key, not a certificate. Pass the CA certificate itself "
        "('-----BEGIN CERTIFICATE-----'). A private key must never be passed as 'certificates' (use "
        "'private_key' only if Cloudflare needs it, and keep it secret).",
        prop="",
    ),
    "certificate: CSR": Case(
        MTLSCertificateProvider,
        cert(csr_pem),
        "certificates: the PEM block is a certificate signing request (CSR), not a certificate. Pass the CA "
        "certificate itself ('-----BEGIN CERTIFICATE-----').",
        prop="",
    ),
    "certificate: garbage": Case(
        MTLSCertificateProvider,
        cert("hello, this is not a certificate"),
        "certificates: no PEM block found (expected '-----BEGIN CERTIFICATE-----'). If you have a DER (.der/.cer) "
        "file, convert it: 'openssl x509 -inform der -in ca.der -out ca.pem'.",
        prop="",
    ),
    "certificate: damaged base64": Case(
        MTLSCertificateProvider,
        cert(damaged_base64),
        "certificates: the PEM block is not valid base64; the PEM text is damaged (copy it again from the CA's "
        ".pem/.crt file).",
        prop="",
    ),
    "certificate: expired": Case(
        MTLSCertificateProvider,
        cert(expired_ca),
        (
            "certificates: the PEM block (CN=cfmtls test CA) expired on ",
            "; Cloudflare refuses an expired CA. Issue a new CA certificate (and new client certificates) and "
            "upload that.",
        ),
        prop="",
    ),
    "certificate: negative serial number (Go refuses it)": Case(
        MTLSCertificateProvider,
        cert(hostile.negative_serial_ca),
        "certificates: the PEM block has a negative serial number (-511), which Go's crypto/x509 parser (and so "
        f"Cloudflare) refuses since Go 1.23. {REISSUE}",
        prop="",
    ),
    "certificate: two BasicConstraints extensions": Case(
        MTLSCertificateProvider,
        cert(hostile.duplicate_extension_ca),
        "certificates: the PEM block holds the 2.5.29.19 extension twice (BASIC_CONSTRAINTS); Go's crypto/x509 "
        f"parser (and so Cloudflare) refuses duplicate extensions. {REISSUE}",
        prop="",
    ),
    "certificate: malformed extension": Case(
        MTLSCertificateProvider,
        cert(hostile.malformed_key_usage_ca),
        ("certificates: the PEM block has a malformed extension (", f"refuses. {REISSUE}"),
        prop="",
    ),
    "certificate: unknown key type": Case(
        MTLSCertificateProvider,
        cert(hostile.unknown_key_type_ca),
        (
            "certificates: the PEM block has a public key that cannot be used (Unknown key type: ",
            f"a CA verifying client certificates needs an RSA or ECDSA (P-256, P-384, P-521) key. {REISSUE}",
        ),
        prop="",
    ),
    "certificate: two unrelated CAs in one bundle": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca("first CA").pem + make_ca("second CA").pem),
        "certificates: the bundle holds 2 certificates that are not one chain: 2 of them issued no other "
        "certificate of the bundle (CN=first CA; CN=second CA), so no single CA can be named as the issuer of "
        "your client certificates (subject_key_identifier, which rules pin with issuer_ski). Upload one CA, or "
        "one chain (the CA that issues client certificates and the CAs above it), per MTLSCertificate.",
        prop="",
    ),
    "certificate: private_key_file that is not a key": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem, private_key_file=__file__),
        f"private_key_file {__file__!r} does not hold an unencrypted PEM private key ('-----BEGIN PRIVATE KEY-----').",
        prop="private_key_file",
    ),
    "certificate: empty": Case(
        MTLSCertificateProvider,
        cert(""),
        "certificates: the value is empty; pass the PEM text of your CA certificate ('-----BEGIN "
        "CERTIFICATE-----' ...), e.g. open('ca.pem').read().",
        prop="",
    ),
    # -- hostnames ------------------------------------------------------------------------------------------
    "hostnames: empty list": Case(
        HostnameAssociationProvider,
        assoc(hostnames=[]),
        "hostnames: the list is empty; name at least one hostname (to remove every hostname, delete the resource "
        "instead)",
        prop="hostnames",
    ),
    "hostnames: duplicate": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["api.example.com", "api.example.com"]),
        "hostnames: 'api.example.com' is listed more than once; list each hostname once",
        prop="hostnames",
    ),
    "hostnames: upper case": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["API.example.com"]),
        "hostnames: 'API.example.com' has upper-case letters; write it in lower case: 'api.example.com'",
        prop="hostnames",
    ),
    "hostnames: URL": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["https://api.example.com/login"]),
        "hostnames: 'https://api.example.com/login' is a URL or has a port or path; give the bare hostname, "
        "e.g. 'api.example.com'",
        prop="hostnames",
    ),
    "hostnames: port": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["api.example.com:8443"]),
        "hostnames: 'api.example.com:8443' is a URL or has a port or path; give the bare hostname, e.g. "
        "'api.example.com'",
        prop="hostnames",
    ),
    "hostnames: trailing dot": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["api.example.com."]),
        "hostnames: 'api.example.com.' ends with a dot; drop the trailing dot",
        prop="hostnames",
    ),
    "hostnames: wildcard in the middle": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["api.*.example.com"]),
        "hostnames: 'api.*.example.com' has '*' in the middle; a wildcard may only be the leftmost label "
        "('*.example.com')",
        prop="hostnames",
    ),
    "hostnames: label longer than 63": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["a" * 64 + ".example.com"]),
        f"hostnames: '{'a' * 64}.example.com' has a label longer than 63 characters",
        prop="hostnames",
    ),
    "hostnames: non-ASCII": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["bücher.example.com"]),
        "hostnames: 'bücher.example.com' is not ASCII; write internationalised names in punycode: "
        "'xn--bcher-kva.example.com'",
        prop="hostnames",
    ),
    "hostnames: several problems at once": Case(
        HostnameAssociationProvider,
        assoc(hostnames=["ok.example.com", "Bad.example.com", "ok.example.com"]),
        "hostnames: 'Bad.example.com' has upper-case letters; write it in lower case: 'bad.example.com'; "
        "'ok.example.com' is listed more than once; list each hostname once",
        prop="hostnames",
    ),
    # -- ids ------------------------------------------------------------------------------------------------
    "ids: bad zone id": Case(
        HostnameAssociationProvider,
        assoc(zone_id="example.com"),
        "zone_id 'example.com' is not a Cloudflare id: expected 32 lower-case hex characters (the Cloudflare zone "
        "id, shown in the dashboard's Overview page and in its URL).",
        prop="zone_id",
    ),
    "ids: bad account id": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem, account_id="ACME-1234"),
        "account_id 'ACME-1234' is not a Cloudflare id: expected 32 lower-case hex characters (the Cloudflare "
        "account id, shown in the dashboard's Overview page and in its URL).",
        prop="account_id",
    ),
    "ids: missing account": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem, account_id=None),
        "account_id is required: pass account_id=..., or set 'pulumi config set cfmtls:accountId <id>' or "
        "CLOUDFLARE_ACCOUNT_ID.",
        prop="account_id",
    ),
    "ids: missing mtls_certificate_id": Case(
        HostnameAssociationProvider,
        assoc(mtls_certificate_id=""),
        "mtls_certificate_id is required: the id of the uploaded CA (MTLSCertificate.id).",
        prop="mtls_certificate_id",
    ),
    # -- the rule -------------------------------------------------------------------------------------------
    "rule: bad action": Case(
        HostnameAssociationProvider,
        assoc(action="deny"),
        "action 'deny' is not one of block, managed_challenge, challenge, js_challenge, log.",
        prop="action",
    ),
    "rule: bad issuer_ski": Case(
        HostnameAssociationProvider,
        assoc(issuer_ski="not-a-ski"),
        "issuer_ski 'not-a-ski' is not a hex subject key identifier; pass MTLSCertificate.subject_key_identifier",
        prop="issuer_ski",
    ),
    "rule: pinned without an issuer": Case(
        HostnameAssociationProvider,
        assoc(issuer_ski=None),
        "issuer_ski is required to admit only this CA's clients: pass certificate=<the MTLSCertificate> (its "
        "subject_key_identifier is used), or issuer_ski=<the SKI of the CA that issues your client certificates>, "
        "or pin_issuer=False to admit any certificate Cloudflare verifies.",
        prop="issuer_ski",
    ),
    "rule: expression over Cloudflare's 4,096 characters": Case(
        HostnameAssociationProvider,
        assoc(hostnames=[f"host-{index:04d}.example.com" for index in range(200)]),
        "hostnames: the rule expression for these 200 hostnames would be 5223 characters, over Cloudflare's limit "
        "of 4,096 characters for one rule expression (https://developers.cloudflare.com/ruleset-engine/rules-"
        "language/expressions/#maximum-rule-expression-length). One rule enforces one association's hostnames: "
        "list at most about 154 hostnames in it, or cover a subdomain with one wildcard ('*.example.com'). That "
        "counts room for a second issuer: a rotation accepts both CAs for a moment.",
        prop="hostnames",
    ),
    # -- configuration: caught at create, from Cloudflare's answer ----------------------------------------
    "config: wrong token": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        f"Uploading the CA certificate to account {ACCOUNT} failed: POST /accounts/{ACCOUNT}/mtls_certificates "
        "failed: HTTP 401: Authentication error (code 10000). Check the API token: 'pulumi config set --secret "
        "cfmtls:apiToken <token>' or CLOUDFLARE_API_TOKEN (and cfmtls:baseUrl / CLOUDFLARE_BASE_URL when using "
        "the emulator); cfmtls:apiToken wins over CLOUDFLARE_API_TOKEN. If you changed the token since the last "
        "'pulumi up', 'pulumi refresh' and 'pulumi destroy' still use the one recorded then: run them with "
        "--run-program (e.g. 'pulumi refresh --run-program'), or run 'pulumi up' first.",
        stage="create",
        config={"cfmtls:apiToken": "not-the-token"},
    ),
    "config: token without the permission": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        f"Uploading the CA certificate to account {ACCOUNT} failed: POST /accounts/{ACCOUNT}/mtls_certificates "
        "failed: HTTP 403: Unauthorized to access requested resource (code 9109). "
        "Cloudflare refuses an upload like this for one of two reasons: the token lacks Account 'SSL and Certificates "
        "Write' for this account (add it to the token, My Profile > API Tokens, or use another token); or the "
        "account's plan does not include bringing your own CA for mTLS, which Cloudflare offers on Enterprise "
        "accounts only (check that account_id, or cfmtls:accountId, names the Enterprise account, or ask "
        "Cloudflare to enable it).",
        stage="create",
        config={"cfmtls:apiToken": ZONE_ONLY_TOKEN},
    ),
    "config: token without the permission (rule)": Case(
        HostnameAssociationProvider,
        assoc(),
        f"Associating hostnames of zone {ZONE} with CA 00000000-cafe failed: GET /zones/{ZONE}/rulesets/phases/"
        "http_request_firewall_custom/entrypoint failed: HTTP 403: Unauthorized to access requested resource "
        "(code 9109). The token lacks a permission this call needs: Zone 'Zone WAF Write', or does not cover this zone (its Zone "
        "Resources). Add it to the token (My Profile > API Tokens) or use another token.",
        stage="create",
        config={"cfmtls:apiToken": SSL_ONLY_TOKEN},
    ),
    "config: token without the permission (association)": Case(
        HostnameAssociationProvider,
        assoc(),
        f"Associating hostnames of zone {ZONE} with CA 00000000-cafe failed: GET /zones/{ZONE}/"
        "certificate_authorities/hostname_associations failed: HTTP 403: Unauthorized to access requested resource "
        "(code 9109). The token lacks a permission this call needs: Zone 'SSL and Certificates Write', or does not "
        "cover this zone (its Zone Resources). Add it to the token (My Profile > API Tokens) or use another token.",
        stage="create",
        config={"cfmtls:apiToken": WAF_ONLY_TOKEN},
    ),
    "config: non-Enterprise account": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem, account_id=NON_ENTERPRISE),
        f"Uploading the CA certificate to account {NON_ENTERPRISE} failed: POST /accounts/{NON_ENTERPRISE}/"
        "mtls_certificates failed: HTTP 403: Unauthorized to access requested resource (code 9109). "
        "Cloudflare refuses an upload like this for one of two reasons: the token lacks Account 'SSL and Certificates "
        "Write' for this account (add it to the token, My Profile > API Tokens, or use another token); or the "
        "account's plan does not include bringing your own CA for mTLS, which Cloudflare offers on Enterprise "
        "accounts only (check that account_id, or cfmtls:accountId, names the Enterprise account, or ask "
        "Cloudflare to enable it).",
        stage="create",
    ),
    "config: no credentials at all": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "No Cloudflare credentials: set an API token with 'pulumi config set --secret cfmtls:apiToken <token>' "
        "or the CLOUDFLARE_API_TOKEN environment variable (the token needs Account 'SSL and Certificates Write', "
        "Zone 'SSL and Certificates Write' and, for the HostnameAssociation's rule, Zone 'Zone WAF Write').",
        stage="create",
        config={"cfmtls:apiToken": ""},
    ),
    "config: timeout that is not a number": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:timeoutSeconds / CFMTLS_TIMEOUT_SECONDS must be a number of seconds from 1 to 600 (default 30), "
        "got 'thirty'.",
        stage="create",
        config={"cfmtls:timeoutSeconds": "thirty"},
    ),
    "config: delete wait of nan": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:deleteWaitSeconds / CFMTLS_DELETE_WAIT_SECONDS must be a number of seconds from 0 to 3600 "
        "(default 60), got 'nan'.",
        stage="create",
        config={"cfmtls:deleteWaitSeconds": "nan"},
    ),
    "config: infinite timeout": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:timeoutSeconds / CFMTLS_TIMEOUT_SECONDS must be a number of seconds from 1 to 600 (default 30), "
        "got 'inf'.",
        stage="create",
        config={"cfmtls:timeoutSeconds": "inf"},
    ),
    "config: negative retries": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:maxRetries / CFMTLS_MAX_RETRIES must be a whole number from 0 to 20 (default 4), got '-1'.",
        stage="create",
        config={"cfmtls:maxRetries": "-1"},
    ),
    "config: absurd rate-limit wait": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:rateLimitWaitSeconds / CFMTLS_RATE_LIMIT_WAIT_SECONDS must be a number of seconds from 0 to 3600 "
        "(default 360), got '1e9'.",
        stage="create",
        config={"cfmtls:rateLimitWaitSeconds": "1e9"},
    ),
    "config: base URL that is not one": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:baseUrl / CLOUDFLARE_BASE_URL must be an http(s) URL such as https://api.cloudflare.com/client/v4 "
        "(or the emulator's, e.g. http://127.0.0.1:8787/client/v4), got '127.0.0.1:8787'.",
        stage="create",
        config={"cfmtls:baseUrl": "127.0.0.1:8787"},
    ),
    "config: account id that is not one": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:accountId / CLOUDFLARE_ACCOUNT_ID 'my-account' is not a Cloudflare account id: expected 32 "
        "lower-case hex characters (shown in the dashboard's Overview page and in its URL).",
        stage="create",
        config={"cfmtls:accountId": "my-account"},
    ),
    "config: token pasted with a line break": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        "cfmtls:apiToken / CLOUDFLARE_API_TOKEN holds characters an API token cannot contain (spaces, line breaks "
        "or non-ASCII letters): copy it again from the dashboard.",
        stage="create",
        config={"cfmtls:apiToken": "first-half\nsecond-half"},
    ),
    "config: quota of 5 CAs reached (1489)": Case(
        MTLSCertificateProvider,
        cert(lambda: make_ca().pem),
        (
            f"Account {ACCOUNT} already holds the maximum number of CA certificates (5; Cloudflare said: POST "
            f"/accounts/{ACCOUNT}/mtls_certificates failed: HTTP 400: Hit maximum CA cert allocation. (code 1489)).",
            "It holds: held-0 (id ",
            "Delete one you no longer use (empty its hostname associations first) and run again. A rotation "
            "needs a free slot too",
            "opts=ResourceOptions(delete_before_replace=True)",
        ),
        stage="create",
        before=fill_quota,
    ),
    "config: already uploaded (1471)": Case(
        MTLSCertificateProvider,
        cert(DUPLICATE_PEM, name="new-name"),
        (
            f"This CA certificate is already uploaded to account {ACCOUNT} as certificate ",
            "(name 'first-upload', uploaded ",
            "To manage that upload with this stack, set adopt_existing=True on the MTLSCertificate (it is matched "
            "by certificate content); or delete the existing upload first (after emptying its hostname "
            "associations).",
        ),
        stage="create",
        before=lambda provider: provider.create(provider.check({}, cert(DUPLICATE_PEM, name="first-upload")()).inputs),
    ),
}


def test_the_catalogue_has_at_least_25_distinct_bad_inputs() -> None:
    assert len(CATALOGUE) >= 25
    assert len({case.message for case in CATALOGUE.values()}) == len(CATALOGUE)


@pytest.mark.parametrize("name", [name for name, case in CATALOGUE.items() if case.stage == "check"])
def test_bad_input_fails_check_on_its_property_with_the_exact_message(name: str) -> None:
    case = CATALOGUE[name]
    provider = case.provider()
    result = provider.check({}, case.inputs())
    reasons = {failure.property: failure.reason for failure in result.failures}
    assert list(reasons) == [case.prop], reasons
    assert_message(reasons[case.prop], case.message)


@pytest.mark.parametrize("name", [name for name, case in CATALOGUE.items() if case.stage == "create"])
def test_bad_configuration_fails_create_with_the_exact_message_and_creates_nothing(
    name: str, emulator: EmulatorServer
) -> None:
    case = CATALOGUE[name]
    if case.before is not None:
        setup = configured(MTLSCertificateProvider(), emulator, **NO_RETRY)
        assert isinstance(setup, MTLSCertificateProvider)
        case.before(setup)
    held = emulator.state()
    inputs = case.provider().check({}, case.inputs()).inputs
    with pytest.raises(ProviderError) as raised:
        configured(case.provider(), emulator, **{**NO_RETRY, **case.config}).create(inputs)
    assert_message(str(raised.value), case.message)
    assert emulator.state() == held  # nothing half-done


def assert_message(actual: str, expected: str | tuple[str, ...]) -> None:
    if isinstance(expected, str):
        assert actual == expected
    else:
        for sentence in expected:
            assert sentence in actual, f"{sentence!r} not in {actual!r}"


def test_damaged_base64_really_is_damaged() -> None:
    body = "".join(damaged_base64().splitlines()[1:-1])
    with pytest.raises(ValueError):
        base64.b64decode(body, validate=True)
