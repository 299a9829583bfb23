"""Every Cloudflare fact the emulator assumes, in one place.

Each constant is preceded by a comment that starts with CONFIRMED (and names the source; "notes" is
``/work/shared/notes/cloudflare-byo-ca-api.md``, gathered from Cloudflare's docs, SDKs and Terraform provider)
or UNCONFIRMED (no public source settles it: the emulator's choice). ``docs/emulator.md`` is generated from
this module: ``python -m cfmtls_provider.emulator.assumptions --write docs/emulator.md``.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ErrorSpec", "assumption_table", "render_docs"]


@dataclass(frozen=True)
class ErrorSpec:
    """One error answer: HTTP status, Cloudflare error code, message (may hold ``{placeholders}``)."""

    status: int
    code: int
    message: str

    def format(self, **values: object) -> str:
        return self.message.format(**values) if values else self.message


# --- wire basics -----------------------------------------------------------------------------------------

# CONFIRMED (notes): every API path lives under this prefix of https://api.cloudflare.com.
API_PREFIX = "/client/v4"

# UNCONFIRMED (our choice): the token the emulator accepts when none is configured (with every scope).
DEFAULT_TOKEN = "cfmtls-emulator-token"  # noqa: S105 (a public test token, not a secret)

# UNCONFIRMED (our choice, modelled on the token permissions in the notes): the scopes a token may hold.
# account.ssl:write implies account.ssl:read; zone.ssl:write also allows reading associations;
# zone.waf:write allows reading and writing rulesets. A token configured without scopes holds all of them.
SCOPE_ACCOUNT_SSL_READ = "account.ssl:read"
SCOPE_ACCOUNT_SSL_WRITE = "account.ssl:write"
SCOPE_ZONE_SSL_WRITE = "zone.ssl:write"
SCOPE_ZONE_WAF_WRITE = "zone.waf:write"
SCOPES = (SCOPE_ACCOUNT_SSL_READ, SCOPE_ACCOUNT_SSL_WRITE, SCOPE_ZONE_SSL_WRITE, SCOPE_ZONE_WAF_WRITE)

# UNCONFIRMED (observed format, not in the notes): account and zone ids are 32 lowercase hex characters.
ACCOUNT_OR_ZONE_ID_PATTERN = r"^[0-9a-f]{32}$"

# CONFIRMED (notes): an mTLS certificate id is a 36-character UUID (the emulator makes version-4 UUIDs).
CERTIFICATE_ID_FORMAT = "uuid4"

# CONFIRMED (notes: rule ids are 32 hex chars; the ruleset id format is taken to be the same): 32 lowercase hex.
RULESET_AND_RULE_ID_FORMAT = "32 lowercase hex characters (uuid4().hex)"

# CONFIRMED (notes: RFC 3339). UNCONFIRMED: microsecond precision with a 'Z' suffix for server timestamps;
# expires_on (from the certificate) has whole seconds.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EXPIRES_ON_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# UNCONFIRMED (our choice): list pagination defaults and the largest accepted per_page.
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000

# UNCONFIRMED (our choice): a page or per_page query parameter that is not an integer in range.
QUERY_INVALID = ErrorSpec(400, 1400, "Invalid request: {detail}")

# --- authentication and routing --------------------------------------------------------------------------

# UNCONFIRMED (widely observed, code not in the notes): a missing or unknown token, or a wrong email + key.
AUTHENTICATION_ERROR = ErrorSpec(401, 10000, "Authentication error")

# UNCONFIRMED (observed: Cloudflare answers a token lacking a permission with 403 and the same code 10000).
PERMISSION_ERROR = ErrorSpec(403, 10000, "Authentication error")

# UNCONFIRMED (observed format): a malformed account or zone id in the path.
INVALID_OBJECT_IDENTIFIER = ErrorSpec(
    400, 7003, "Could not route to {path}, perhaps your object identifier is invalid?"
)

# UNCONFIRMED (observed): a path no endpoint serves.
NO_ROUTE = ErrorSpec(404, 7000, "No route for that URI")

# UNCONFIRMED (observed): a known path with an unsupported method.
METHOD_NOT_ALLOWED = ErrorSpec(405, 7001, "Method not allowed for this endpoint")

# UNCONFIRMED (observed code 6007): a body that is not JSON (or not a JSON object).
MALFORMED_JSON = ErrorSpec(400, 6007, "Malformed JSON in request body")

# UNCONFIRMED (our choice): the identifier checks (7003) run before authentication, as Cloudflare routes
# before it authenticates; authentication runs before body validation.
CHECK_ORDER = ("route and ids", "authentication and scope", "body", "rules of the operation")

# --- account level: mTLS certificates --------------------------------------------------------------------

# CONFIRMED (notes): at most 5 CA certificates per account (uploads with ca: false do not count).
MAX_CA_CERTIFICATES_PER_ACCOUNT = 5

# CONFIRMED (notes): the quota error.
CA_QUOTA_EXCEEDED = ErrorSpec(400, 1489, "Hit maximum CA cert allocation.")

# CONFIRMED (notes): the same certificate uploaded twice to one account. UNCONFIRMED: "the same" means the
# same DER certificates in the same order (PEM whitespace and line endings do not matter); the duplicate
# check runs before the quota check.
CERTIFICATE_ALREADY_EXISTS = ErrorSpec(400, 1471, "This certificate already exists")

# CONFIRMED (notes): an unknown certificate id (also for a malformed id, and for an unknown
# mtls_certificate_id given to the hostname association endpoints).
CERTIFICATE_NOT_FOUND = ErrorSpec(404, 1472, "Certificate not found")

# UNCONFIRMED (code and wording ours; Cloudflare was seen to say only "Unable to parse certificate"): a bundle
# refused by the shared CA rules (cfmtls_provider.certificates.parse_ca_bundle), whose message is appended.
CERTIFICATE_INVALID = ErrorSpec(400, 1402, "Unable to parse certificate: {detail}")

# UNCONFIRMED (our choice): this product takes CA certificates; ca: false is accepted only with a
# private_key (a leaf upload, not counted in the CA quota, not checked by the CA rules).
CA_FLAG_REQUIRED = ErrorSpec(
    400, 1403, "ca must be true for a client-certificate CA; a leaf certificate (ca: false) needs a private_key"
)

# UNCONFIRMED (our choice): a private_key that is not a PEM private key (checked only for ca: false uploads).
PRIVATE_KEY_INVALID = ErrorSpec(400, 1404, "Unable to parse private key")

# UNCONFIRMED (our choice): a body with missing or mistyped fields (ca, certificates, name, private_key).
UPLOAD_BODY_INVALID = ErrorSpec(400, 1400, "Invalid request: {detail}")

# UNCONFIRMED (our choice; the notes only say "Enterprise accounts only"): an upload to a non-Enterprise account.
NOT_ENTITLED = ErrorSpec(
    403, 1406, "mTLS certificate management requires an Enterprise plan; this account is not entitled to it"
)

# UNCONFIRMED (status, code and wording ours; the notes say only that delete is refused while in use).
CERTIFICATE_IN_USE = ErrorSpec(
    400,
    1473,
    "Certificate is still in use: hostnames are associated with it in zone(s) {zones}; replace its hostname "
    "associations with an empty list first",
)

# UNCONFIRMED (our choice): what the usages endpoint reports, one entry per zone that associates hostnames.
USAGE_SERVICE = "mtls_hostname_association"
USAGE_STATUS_ACTIVE = "active"
# UNCONFIRMED (our choice): the status shown while the association lag runs (DEFAULT_ASSOCIATION_LAG_SECONDS).
USAGE_STATUS_PENDING_REMOVAL = "pending_deletion"

# UNCONFIRMED (the SDK declares the field; the value is our choice): every upload is of type "custom".
CERTIFICATE_TYPE = "custom"

# UNCONFIRMED (our choice): the certificate fields in a result. issuer is the RFC 4514 string of the CA's
# issuer, serial_number is decimal, signature is the algorithm name (e.g. SHA256WithRSA), certificates is
# the normalised PEM (CABundle.pem). private_key is never returned nor stored (only a flag that one was given).
CERTIFICATE_FIELDS = (
    "id",
    "ca",
    "certificates",
    "expires_on",
    "issuer",
    "name",
    "serial_number",
    "signature",
    "type",
    "uploaded_on",
)

# --- zone level: hostname associations -------------------------------------------------------------------

# UNCONFIRMED (notes: "Order, de-duplication, wildcards, limits: UNCONFIRMED"): hostnames are checked by the
# shared rules (cfmtls_provider.hostnames.hostname_problems, empty list allowed); a duplicate is refused,
# wildcards are accepted as leftmost labels, order is kept as sent, no size limit.
HOSTNAMES_INVALID = ErrorSpec(400, 1450, "Invalid hostnames: {detail}")

# UNCONFIRMED (our choice): a PUT without a 'hostnames' list or with a non-string mtls_certificate_id.
ASSOCIATION_BODY_INVALID = ErrorSpec(400, 1451, "Invalid request: {detail}")

# UNCONFIRMED (our choice): zones are not bound to accounts in the emulator, so mtls_certificate_id may
# name a certificate of any account.
ZONES_BOUND_TO_ACCOUNTS = False

# CONFIRMED (notes: removal lags; peers retry the delete). UNCONFIRMED: its length. After a (zone, CA) list
# is emptied the CA still counts as in use for this many seconds (option --association-lag-seconds).
DEFAULT_ASSOCIATION_LAG_SECONDS = 0.0

# --- WAF custom rules ------------------------------------------------------------------------------------

# CONFIRMED (notes): the phase of custom rules; the only phase whose entrypoint can be created here
# (UNCONFIRMED: other phases are refused by the emulator, not by Cloudflare).
CUSTOM_RULES_PHASE = "http_request_firewall_custom"

# UNCONFIRMED (our choice among Cloudflare's actions for this phase): the accepted rule actions.
RULE_ACTIONS = ("block", "challenge", "js_challenge", "managed_challenge", "log", "skip")

# UNCONFIRMED (code ours; message as seen in user reports): no entrypoint ruleset yet, unknown ruleset or rule.
ENTRYPOINT_NOT_FOUND = ErrorSpec(404, 10003, "could not find entrypoint ruleset in the '{phase}' phase")
RULESET_NOT_FOUND = ErrorSpec(404, 10003, "could not find ruleset {ruleset_id}")
RULE_NOT_FOUND = ErrorSpec(404, 10003, "could not find rule {rule_id} in ruleset {ruleset_id}")

# UNCONFIRMED (our choice): an invalid ruleset or rule (action, expression, duplicate ref, position...).
RULESET_INVALID = ErrorSpec(400, 20100, "{detail}")

# UNCONFIRMED (our choice): a second entrypoint ruleset for the same zone and phase.
ENTRYPOINT_EXISTS = ErrorSpec(400, 20101, "an entrypoint ruleset already exists for the '{phase}' phase")

# UNCONFIRMED (our choice): a rule's version starts at "1" and grows by one on each PATCH of that rule; the
# ruleset's version starts at "1" and grows by one on every change. Both are decimal strings.
INITIAL_VERSION = 1

# UNCONFIRMED (Cloudflare's docs describe it; not in the notes): position {"index": n} is 1-based and an index
# past the end appends; {"before": ""} places first and {"after": ""} last. PATCH may move a rule the same way.
POSITION_INDEX_BASE = 1

# UNCONFIRMED (our choice): a PATCH replaces action, expression, description (default ""), enabled (default
# true), action_parameters and logging; an omitted ref keeps the rule's current ref.
PATCH_KEEPS_REF = True

# --- injected failures (faults) --------------------------------------------------------------------------

# CONFIRMED (notes): over the rate limit Cloudflare answers 429 with retry-after (seconds).
# UNCONFIRMED: the code 971 and its wording (observed).
RATE_LIMITED = ErrorSpec(429, 971, "Please wait and consider throttling your request speed")

# UNCONFIRMED (observed code 10002): the error of an injected 5xx answer.
SERVER_ERROR = ErrorSpec(500, 10002, "An unknown error has occurred")


# --- the mTLS edge (--edge-port) -------------------------------------------------------------------------

# CONFIRMED (https://developers.cloudflare.com/ssl/client-certificates/byo-ca/: associating hostnames with a CA
# "enable[s] mTLS" on them; https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/
# cf.tls_client_auth.cert_presented/: "true when a request presents a certificate (valid or not)"): a hostname
# associated with any CA requests a client certificate without requiring it, and the handshake completes with
# a valid certificate, an invalid one or none; other hostnames do not request one.
EDGE_CLIENT_CERTIFICATE = "requested, not required, on hostnames associated with a CA"

# CONFIRMED (field reference above: each string field "defaults to \"\"" without mTLS; booleans false).
EDGE_FIELDS_WITHOUT_MTLS = "strings empty, booleans false"

# CONFIRMED (https://developers.cloudflare.com/ssl/client-certificates/byo-ca/#multiple-cas-for-one-hostname:
# "There can be multiple CAs (Cloudflare-managed or BYOCA) associated with the same hostname. For BYOCA
# certificates, the most recently deployed certificate will be prioritized"). UNCONFIRMED (our reading):
# "prioritized" means only the newest uploaded CA (by uploaded_on) verifies, plus the Managed CA if associated;
# the stricter reading, so a design that keeps clients working under it works under the lenient one too
# (--edge-multiple-cas any: every associated CA verifies).
EDGE_MULTIPLE_CAS = "newest"

# UNCONFIRMED (our choice): the emulator issues no Managed-CA client certificates, so no client certificate
# verifies against the Cloudflare Managed CA; a hostname associated only with it still requests one.
EDGE_MANAGED_CA_ID = "cloudflare-managed"

# UNCONFIRMED (our choice): every certificate of an uploaded bundle is a trust anchor for client chains.
EDGE_BUNDLE_ANCHORS = "every certificate of the bundle"

# CONFIRMED (https://developers.cloudflare.com/ssl/client-certificates/client-certificate-variables/: Workers
# report a failure as "FAILED:unable to get local issuer certificate", OpenSSL's wording). UNCONFIRMED: that
# Cloudflare checks exactly what OpenSSL checks for a TLS client (validity, signatures, issuers CA:TRUE, key
# usage and clientAuth extended key usage where present; no key identifiers required). Revocation is not
# modelled: cert_revoked is false (Cloudflare checks revocation for its Managed CA only).
EDGE_VERIFICATION = "OpenSSL's TLS-client checks (cfmtls_provider.client_auth)"
EDGE_CERT_REVOKED = False

# UNCONFIRMED (our choice; Cloudflare runs a zone's rules for the zone that holds the hostname): the custom
# rules of the declared zone holding the hostname (longest domain); with no declared zone, the zones that
# associate it with a CA; else every zone's custom rules (rules are host-scoped by their expressions).
EDGE_ZONE_OF_HOSTNAME = "declared zone, else associating zones, else all zones"

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rules-language/actions/: block is terminating and
# answers Cloudflare's block page, 403 by default; log and skip are not terminating; skip with
# {"ruleset": "current"} skips the remaining rules of the current ruleset).
EDGE_BLOCK_STATUS = 403

# CONFIRMED (https://developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/detect-response/:
# a challenge answer carries "cf-mitigated: challenge"). UNCONFIRMED: 403, as a client that runs no JavaScript sees.
EDGE_CHALLENGE_STATUS = 403

# UNCONFIRMED (our choice: never guess): a rule the evaluator cannot evaluate is logged and the request answered 500.
EDGE_UNEVALUABLE_STATUS = 500

# UNCONFIRMED (our choice): no TLS session resumption, so each connection sees the associations of its moment.
EDGE_SESSION_RESUMPTION = False

# --- documentation generator -----------------------------------------------------------------------------

_DOC_BEGIN = "<!-- assumptions:begin (generated by python -m cfmtls_provider.emulator.assumptions) -->"
_DOC_END = "<!-- assumptions:end -->"


def assumption_table() -> list[tuple[str, str, str]]:
    """``(name, value, comment)`` for every constant of this module, read from its source."""
    source = Path(__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    rows: list[tuple[str, str, str]] = []
    pending_comment: list[str] = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name) or not target.id.isupper() or target.id.startswith("_"):
            continue
        comment: list[str] = []
        index = node.lineno - 2
        while index >= 0 and lines[index].startswith("#") and not lines[index].startswith("# ---"):
            comment.insert(0, lines[index].lstrip("# ").strip())
            index -= 1
        if comment:
            pending_comment = comment
        elif node.lineno >= 2 and lines[node.lineno - 2].strip():
            comment = pending_comment  # a constant grouped under the previous comment
        value = " ".join(ast.get_source_segment(source, node.value, padded=False).split())  # type: ignore[union-attr]
        rows.append((target.id, value, " ".join(comment)))
    return rows


def _markdown_rows() -> str:
    out = ["| constant | value | status and source |", "|---|---|---|"]
    for name, value, comment in assumption_table():
        shown, said = value.replace("|", "\\|"), comment.replace("|", "\\|")
        out.append(f"| `{name}` | `{shown}` | {said} |")
    return "\n".join(out)


def render_docs(current: str) -> str:
    """The document with its generated assumptions section replaced by the current one."""
    block = f"{_DOC_BEGIN}\n{_markdown_rows()}\n{_DOC_END}"
    pattern = re.compile(re.escape(_DOC_BEGIN) + r".*?" + re.escape(_DOC_END), re.DOTALL)
    if pattern.search(current):
        return pattern.sub(lambda _: block, current)
    return current.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print or update the emulator's assumptions table.")
    parser.add_argument("--write", type=Path, help="update this Markdown file in place")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(_markdown_rows() + "\n")
        return 0
    path: Path = args.write
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(render_docs(current), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
