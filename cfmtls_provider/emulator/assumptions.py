"""Every Cloudflare fact the emulator assumes, in one place.

Each constant is preceded by a comment that starts with CONFIRMED (and names its public source: a Cloudflare
docs URL, an API operation of Cloudflare's OpenAPI document (cloudflare/api-schemas), a type of the official
``cloudflare`` Python SDK, or a public issue) or UNCONFIRMED (no public source settles it: the emulator's
choice, said as such). A constant whose value describes behaviour (``CHECK_ORDER``, ``*_FORMAT``,
``CERTIFICATE_FIELDS``) is documentation; every other one is read by the code. The API facts themselves, with links, are in ``docs/cloudflare-api.md``;
``docs/emulator.md`` is generated from this module: ``python -m cfmtls_provider.emulator.assumptions --write
docs/emulator.md``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from ..generated_section import replace_generated_section

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

# CONFIRMED (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/): every API path lives
# under https://api.cloudflare.com/client/v4.
API_PREFIX = "/client/v4"

# CONFIRMED (format: the Terraform provider refuses any other api_token, cloudflare/terraform-provider-cloudflare
# internal/provider.go `[A-Za-z0-9-_]{40}`; the API reference's example token is 40 such characters): the token
# the emulator accepts when none is configured (with every scope). The value itself is ours.
DEFAULT_TOKEN = "cfmtls_emulator_token_000000000000000000"  # noqa: S105 (a public test token)

# CONFIRMED (API reference, "Accepted Permissions" of each operation, e.g.
# https://developers.cloudflare.com/api/resources/mtls_certificates/methods/delete/ "Account: SSL and
# Certificates Write"). UNCONFIRMED: these short names are ours. account.ssl:write implies account.ssl:read;
# zone.ssl:write reads and writes associations; zone.waf:write reads and writes rulesets.
SCOPE_ACCOUNT_SSL_READ = "account.ssl:read"
SCOPE_ACCOUNT_SSL_WRITE = "account.ssl:write"
SCOPE_ZONE_SSL_WRITE = "zone.ssl:write"
SCOPE_ZONE_WAF_WRITE = "zone.waf:write"
SCOPES = (SCOPE_ACCOUNT_SSL_READ, SCOPE_ACCOUNT_SSL_WRITE, SCOPE_ZONE_SSL_WRITE, SCOPE_ZONE_WAF_WRITE)

# CONFIRMED (SDK: every account_id and zone_id is documented "Identifier", maxLength 32; ids in the API
# reference's examples are 32 lowercase hex): account and zone ids.
ACCOUNT_OR_ZONE_ID_PATTERN = r"^[0-9a-f]{32}$"

# UNCONFIRMED (the SDK declares mTLS certificate ids "Identifier, maxLength 32", yet ids reported by users are
# 36-character UUIDs; no public example kept): the emulator makes UUIDs (36 characters).
CERTIFICATE_ID_FORMAT = "uuid4"

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rulesets-api/json-object/: rule and ruleset ids
# are 32 hex characters in every example): ruleset and rule ids.
RULESET_AND_RULE_ID_FORMAT = "32 lowercase hex characters (uuid4().hex)"

# CONFIRMED (SDK: uploaded_on, expires_on and last_updated are `datetime`, format date-time; the docs' examples,
# e.g. https://developers.cloudflare.com/ruleset-engine/rulesets-api/update-rule/, show microseconds and 'Z').
# UNCONFIRMED: expires_on with whole seconds.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EXPIRES_ON_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# CONFIRMED (SDK: `mtls_certificates.list` returns a SyncSinglePage; the operation "List mTLS certificates",
# https://developers.cloudflare.com/api/resources/mtls_certificates/methods/list/, documents no paging). The
# emulator still honours page/per_page (UNCONFIRMED, our choice, so paging clients also work).
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000

# UNCONFIRMED (our choice): a page or per_page query parameter that is not an integer in range.
QUERY_INVALID = ErrorSpec(400, 1400, "Invalid request: {detail}")

# UNCONFIRMED (our limit, not Cloudflare's): the largest request body the emulator reads; a bigger one is
# refused with 413 before it is parsed.
MAX_BODY_BYTES = 1_048_576

# --- authentication and routing --------------------------------------------------------------------------

# CONFIRMED (public issue cloudflare/cloudflare-python#2678: HTTP 400, this code and message): no credentials.
MISSING_CREDENTIALS = ErrorSpec(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")

# CONFIRMED (public issue jeessy2/ddns-go#916: HTTP 400, code 6003 with error_chain [6111 "Invalid format for
# Authorization header"]): an Authorization header that is not "Bearer <token68>".
INVALID_HEADERS = ErrorSpec(400, 6003, "Invalid request headers")
INVALID_AUTHORIZATION_FORMAT = ErrorSpec(400, 6111, "Invalid format for Authorization header")

# CONFIRMED (public issue cloudflare/terraform-provider-cloudflare#1361 shows code 10000 "Authentication error";
# the SDK maps 401 to AuthenticationError): an unknown token, or a wrong email + key.
AUTHENTICATION_ERROR = ErrorSpec(401, 10000, "Authentication error")

# CONFIRMED (public issue ChrispyBacon-dev/DockFlare#177: code 9109 "Unauthorized to access requested
# resource"; the SDK maps 403 to PermissionDeniedError). UNCONFIRMED: Cloudflare also answers 403 with 10000
# in some cases; the emulator always uses 9109.
PERMISSION_ERROR = ErrorSpec(403, 9109, "Unauthorized to access requested resource")

# UNCONFIRMED (code and message as users report them; no public thread kept): 7003 "Could not route to ...,
# perhaps your object identifier is invalid?", 400 for a malformed id, 404 for an unknown zone.
INVALID_OBJECT_IDENTIFIER = ErrorSpec(
    400, 7003, "Could not route to {path}, perhaps your object identifier is invalid?"
)
UNKNOWN_ZONE = ErrorSpec(404, 7003, "Could not route to {path}, perhaps your object identifier is invalid?")

# CONFIRMED (public issue cloudflare/terraform-provider-cloudflare#571: code 7000 "No route for that URI",
# there with HTTP 400). UNCONFIRMED: status 404 for a path no endpoint serves.
NO_ROUTE = ErrorSpec(404, 7000, "No route for that URI")

# UNCONFIRMED (observed in use, no public source kept): a known path with an unsupported method.
METHOD_NOT_ALLOWED = ErrorSpec(405, 7001, "Method not allowed for this endpoint")

# UNCONFIRMED (code 6007 observed, no public source kept): a body that is not JSON (or not a JSON object).
MALFORMED_JSON = ErrorSpec(400, 6007, "Malformed JSON in request body")

# UNCONFIRMED (our limit and code): a request body above MAX_BODY_BYTES.
BODY_TOO_LARGE = ErrorSpec(413, 6007, "Request body is larger than {limit} bytes")

# UNCONFIRMED (our choice): the order of the checks: route and ids, then credentials and scope, then the zone
# (known, and of the token's account), then the body, then the rules of the operation.
CHECK_ORDER = ("route and ids", "authentication and scope", "zone", "body", "rules of the operation")

# --- zones ------------------------------------------------------------------------------------------------

# CONFIRMED (SDK type `cloudflare.types.zones.Zone`: a zone has an id, a name, its domain, and an account):
# zones are declared (--zone ID=DOMAIN@ACCOUNT); an API call on an undeclared zone answers UNKNOWN_ZONE.
ZONES_BOUND_TO_ACCOUNTS = True

# CONFIRMED (List Zones, https://developers.cloudflare.com/api/resources/zones/methods/list/; the SDK's
# `zones.list(account={"id": ...})` sends `account.id`, items are `cloudflare.types.zones.Zone` with id, name,
# status and account {id, name}, pages are V4PagePaginationArray with result_info; Zone Details,
# https://developers.cloudflare.com/api/resources/zones/methods/get/, the SDK's `zones.get(zone_id=...)`, answers
# one such Zone): `GET /zones` lists the declared zones, filtered by `account.id` and `name`, paged like the other
# lists; `GET /zones/{zone_id}` answers one (an undeclared one: UNKNOWN_ZONE). UNCONFIRMED (our choice):
# every declared zone is active, the account's name is empty, the other fields the SDK requires are fillers
# (no creation history, no name servers, empty meta/owner/plan), and listing needs the Zone SSL scope
# (Cloudflare lists the zones a token holds any permission on; every token of the provider holds that one).
ZONE_STATUS = "active"
ZONE_FILLER = {
    "created_on": "2014-01-01T00:00:00.000000Z",
    "modified_on": "2014-01-01T00:00:00.000000Z",
    "development_mode": 0,
    "name_servers": [],
    "meta": {},
    "owner": {},
    "plan": {},
}

# UNCONFIRMED (no public source gives the code): a hostname outside the zone's domain in an association.
HOSTNAME_OUTSIDE_ZONE = ErrorSpec(
    400, 1450, "Invalid hostnames: {hostname!r} is not in zone {zone} ({zone_id}); associate it in its own zone"
)

# UNCONFIRMED (no public source gives the code): an mtls_certificate_id of another account than the zone's.
# Cloudflare's certificates are account-scoped (the upload operation is under /accounts/{account_id}), so a
# zone sees only its own account's certificates: answered like an unknown certificate.
CERTIFICATE_OF_ANOTHER_ACCOUNT = ErrorSpec(404, 1472, "Certificate not found")

# --- account level: mTLS certificates --------------------------------------------------------------------

# CONFIRMED (https://developers.cloudflare.com/ssl/client-certificates/byo-ca/ and public issue
# cloudflare/cloudflare-docs#30406: 5 CA certificates per Enterprise account by default): the CA quota, counting
# the account's own ("custom") CA uploads only (UNCONFIRMED: whether managed certificates count; we say no).
MAX_CA_CERTIFICATES_PER_ACCOUNT = 5

# CONFIRMED (public issue cloudflare/cloudflare-docs#30406: error 1489 "Hit maximum CA cert allocation").
CA_QUOTA_EXCEEDED = ErrorSpec(400, 1489, "Hit maximum CA cert allocation.")

# UNCONFIRMED (code and message as users report them, no public thread kept): the same certificate uploaded
# twice; "the same" means the same DER certificates in the same order, among the account's own ("custom")
# uploads; checked before the quota.
CERTIFICATE_ALREADY_EXISTS = ErrorSpec(400, 1471, "This certificate already exists")

# UNCONFIRMED (code and message as users report them, no public thread kept): an unknown certificate id, also
# answered for a malformed id and for an mtls_certificate_id the association endpoints cannot see.
CERTIFICATE_NOT_FOUND = ErrorSpec(404, 1472, "Certificate not found")

# CONFIRMED (message: public issue cloudflare/terraform-provider-cloudflare#5546, a public key uploaded as
# certificates). UNCONFIRMED: the code (ours, one code for every refused upload body) and the detail after it.
CERTIFICATE_INVALID = ErrorSpec(400, 1400, "Unable to parse certificate: {detail}")

# UNCONFIRMED (message and code ours): a private_key that is not a PEM private key.
PRIVATE_KEY_INVALID = ErrorSpec(400, 1400, "Unable to parse private key")

# UNCONFIRMED (code ours): a body with missing or mistyped fields (SDK MTLSCertificateCreateParams: ca and
# certificates required, name and private_key optional strings).
UPLOAD_BODY_INVALID = ErrorSpec(400, 1400, "Invalid request: {detail}")

# CONFIRMED (SDK MTLSCertificateCreateParams: "ca: Indicates whether the certificate is a CA or leaf
# certificate", "private_key: The private key for the certificate"): ca: false is a leaf upload; it is accepted
# (with or without a private_key: UNCONFIRMED), is not held to the CA rules and does not count in the CA quota.
LEAF_UPLOADS_ACCEPTED = True

# CONFIRMED (https://developers.cloudflare.com/ssl/client-certificates/byo-ca/: Enterprise only). UNCONFIRMED:
# status and code (a 403 like a token without access): an upload to a non-Enterprise account.
NOT_ENTITLED = ErrorSpec(403, 9109, "Unauthorized to access requested resource")

# CONFIRMED (operation "Delete mTLS certificate": "Deletes the mTLS certificate unless the certificate is in use
# by one or more Cloudflare services"; removal lags: cloudflare/terraform-provider-cloudflare#5941 "detaching
# hostnames then deleting a certificate may result in an error that hostnames are still attached").
# UNCONFIRMED: status, code and wording.
CERTIFICATE_IN_USE = ErrorSpec(
    400, 1473, "The certificate is in use by one or more Cloudflare services: hostnames are still attached"
)

# CONFIRMED (operation "List mTLS certificate associations" and SDK type CertificateAsssociation: entries are
# {service, status} only, example {"service": "gateway", "status": "pending_deployment"}). UNCONFIRMED: that
# BYO-CA hostname associations appear there at all; the service name and statuses below are ours (one entry
# per distinct status, no zone named).
USAGE_SERVICE = "mtls_hostname_association"
USAGE_STATUS_ACTIVE = "active"
USAGE_STATUS_PENDING_REMOVAL = "pending_deletion"

# CONFIRMED (SDK MTLSCertificate.type: Literal["custom", "gateway_managed", "access_managed"]; the list operation
# takes a comma-separated `type` filter, SDK MTLSCertificateListParams.type): uploads are "custom"; the others
# are created by Cloudflare (seeded with --managed-certificate) and do not count in the CA quota.
CERTIFICATE_TYPE = "custom"
MANAGED_CERTIFICATE_TYPES = ("gateway_managed", "access_managed")
CERTIFICATE_TYPES = (CERTIFICATE_TYPE, *MANAGED_CERTIFICATE_TYPES)

# UNCONFIRMED (our choice): an unknown value in the list's type filter.
TYPE_FILTER_INVALID = ErrorSpec(400, 1400, "Invalid request: type must be among {types}")

# CONFIRMED (SDK MTLSCertificate fields; the official OpenAPI example: serial_number decimal, issuer RFC 4514,
# signature like SHA256WithRSA). private_key is never returned nor stored (only a flag that one was given).
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

# UNCONFIRMED (no public source on order, duplicates, wildcards or limits): hostnames are checked by the shared
# rules (cfmtls_provider.hostnames.hostname_problems, empty list allowed); a duplicate is refused, wildcards are
# accepted as leftmost labels, order is kept as sent, no size limit.
HOSTNAMES_INVALID = ErrorSpec(400, 1450, "Invalid hostnames: {detail}")

# UNCONFIRMED (our choice): a PUT whose 'hostnames' is not a list, or whose mtls_certificate_id is not a string.
ASSOCIATION_BODY_INVALID = ErrorSpec(400, 1451, "Invalid request: {detail}")

# CONFIRMED (the operation's request schema, client-certificate-for-a-zone-put-hostname-associations in
# cloudflare/api-schemas: an object whose two fields, hostnames and mtls_certificate_id, are both optional; the
# official SDK's `hostname_associations.update(zone_id=...)` sends neither, `{}`): a PUT without `hostnames` is
# a valid request. UNCONFIRMED (no public source shows the answer): what it does. The emulator reads it as `[]`,
# the list emptied (the Managed CA's when mtls_certificate_id is missing too), because Cloudflare's API is written
# in Go, which decodes a missing JSON array as an empty one, and because the Terraform provider's resource,
# generated from the same schema, leaves `hostnames` out of its PUT when a user leaves it out of the resource.
# `cfmtls confirm-assumptions` checks it on its throwaway CA's own list.
MISSING_HOSTNAMES_MEANS_EMPTY = True

# CONFIRMED (removal lags: cloudflare/terraform-provider-cloudflare#5941 and #987, which retry the delete after
# emptying the hostnames). UNCONFIRMED: its length. After a (zone, CA) list is emptied the CA still counts as in
# use for this many seconds (--association-lag-seconds; 0 turns it off). On by default so that clients meet it.
DEFAULT_ASSOCIATION_LAG_SECONDS = 2.0

# --- WAF custom rules ------------------------------------------------------------------------------------

# CONFIRMED (https://developers.cloudflare.com/waf/custom-rules/create-api/): the phase of custom rules; the only
# phase whose entrypoint can be created here (UNCONFIRMED: other phases are refused by the emulator only).
CUSTOM_RULES_PHASE = "http_request_firewall_custom"

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rules-language/actions/; custom rulesets are
# deployed by an `execute` rule in the http_request_firewall_custom entrypoint: cloudflare/cloudflare-docs#26765,
# https://developers.cloudflare.com/waf/custom-rules/): the accepted rule actions.
RULE_ACTIONS = ("block", "challenge", "js_challenge", "managed_challenge", "log", "skip", "execute")

# UNCONFIRMED (404 and code 10003 for a missing entrypoint as users report them, no public thread kept; the
# same code for an unknown ruleset or rule is ours).
ENTRYPOINT_NOT_FOUND = ErrorSpec(404, 10003, "could not find entrypoint ruleset in the '{phase}' phase")
RULESET_NOT_FOUND = ErrorSpec(404, 10003, "could not find ruleset {ruleset_id}")
RULE_NOT_FOUND = ErrorSpec(404, 10003, "could not find rule {rule_id} in ruleset {ruleset_id}")

# CONFIRMED (status: https://developers.cloudflare.com/ruleset-engine/rulesets-api/update-rule/ "If the index is
# out of range, the method returns a 400"). UNCONFIRMED: the code (ours) for this and every invalid rule.
RULESET_INVALID = ErrorSpec(400, 20100, "{detail}")

# CONFIRMED (the Rulesets API, https://developers.cloudflare.com/ruleset-engine/rulesets-api/json-object/: kind is
# one of root, zone, managed, custom, and a zone's phase entry points are of kind zone
# (https://developers.cloudflare.com/ruleset-engine/about/phases/)). CONFIRMED, code and wording: a `kind: "root"`
# ruleset created with a zone_id answered "'root' is not a valid value for kind because kind "root" cannot be used
# for phase "http_request_dynamic_redirect" (20004)", quoted in cloudflare/terraform-provider-cloudflare#2542
# (June 2023, the fix of the provider's own example, commit 66ea269). UNCONFIRMED: the HTTP status (400, as every
# invalid ruleset body; the quote shows the code only).
ROOT_KIND_IN_ZONE = ErrorSpec(
    400, 20004, '\'root\' is not a valid value for kind because kind "root" cannot be used for phase "{phase}"'
)

# CONFIRMED (public issue cloudflare/terraform-provider-cloudflare#6273: 400, code 20217, this message): a
# second zone ruleset for the same entrypoint phase.
ENTRYPOINT_EXISTS = ErrorSpec(
    400,
    20217,
    "'zone' is not a valid value for kind because exceeded maximum number of zone rulesets for phase {phase}",
)

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rulesets-api/update-rule/: every change makes a new
# ruleset version; the examples show versions as decimal strings, a rule updated once at "2").
# UNCONFIRMED: both start at "1".
INITIAL_VERSION = 1

# CONFIRMED (rule-position-values partial of the rulesets API docs: index is 1-based, {"before": ""} places
# first, {"after": ""} last, one field at a time; update-rule: a PATCH with only `position` reorders).
# UNCONFIRMED: the largest index accepted is the position just past the last rule (n + 1 on add, n on a move).
POSITION_INDEX_BASE = 1

# CONFIRMED (update-rule: "You must include all the rule fields that you want to be part of the new rule
# definition"): a PATCH with rule fields replaces the definition (an omitted ref keeps the current one,
# UNCONFIRMED); a PATCH with only `position` keeps the definition and moves the rule.
PATCH_KEEPS_REF = True

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rulesets-api/update/, operation updateZoneRuleset
# `PUT /zones/{zone_id}/rulesets/{ruleset_id}`: the rules sent replace the list; name and kind cannot change).
# UNCONFIRMED: a sent rule with the id of an existing rule keeps that id and gets the next rule version.
PUT_KEEPS_RULE_IDS = True

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rulesets-api/delete/, operation deleteZoneRuleset:
# success is 204 No Content; "You cannot delete a ruleset that is still referenced in other rules", which an
# entrypoint never is). A zone's phase entrypoint may be deleted (kind "zone": https://developers.cloudflare.com/
# terraform/additional-configurations/waf-custom-rules/ "Start from scratch by deleting existing rulesets (account
# and zone rulesets with "kind": "root" and "kind": "zone", respectively)"; the Terraform provider's
# cloudflare_ruleset, which manages entrypoints, deletes them with it). UNCONFIRMED: that deleting a ruleset
# already gone answers 404 (RULESET_NOT_FOUND), as a read of it does.
DELETE_RULESET_STATUS = 204

# --- injected failures (faults) --------------------------------------------------------------------------

# CONFIRMED (https://developers.cloudflare.com/fundamentals/api/reference/limits/: 429 with retry-after).
# UNCONFIRMED: the code 971 and its wording (observed, no public source kept).
RATE_LIMITED = ErrorSpec(429, 971, "Please wait and consider throttling your request speed")

# UNCONFIRMED (observed code 10002, no public source kept): the error of an injected or unexpected 5xx answer.
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

# CONFIRMED (https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/http.host/: "The
# http.host field contains the Host header from the original request"; https://developers.cloudflare.com/
# ruleset-engine/rules-language/functions/#lower shows http.host as "WWW.cloudflare.com"; the logs FAQ
# https://developers.cloudflare.com/logs/faq/random-hostnames-partial-zones/: the Host is logged "as-is").
# UNCONFIRMED: that a trailing dot is kept too, and the port removed (the field is "the hostname used in the full
# request URI"). The enforcement rule blocks every form (lower(), an optional dot and port), so it holds either way.
EDGE_HTTP_HOST = "the Host header as sent, port removed (case and a trailing dot kept); no Host: the SNI name"

# CONFIRMED (RFC 6066 section 3: the SNI "HostName" is sent "without a trailing dot"; RFC 4343: DNS names are
# case-insensitive). UNCONFIRMED: that Cloudflare finds a trailing-dot or upper-case Host's zone and associations
# as those of the name without the dot. Which CAs are asked for (the SNI name) and which zone's rules run (the
# Host) are decided on the canonical name: ASCII lower case, one trailing dot dropped (hostnames.canonical).
EDGE_HOSTNAME_LOOKUP = "canonical: ASCII lower case, one trailing dot dropped"

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

# --- the API rate limit (budget.py) ----------------------------------------------------------------------

# CONFIRMED (https://developers.cloudflare.com/fundamentals/api/reference/limits/): 1200 requests per five
# minutes per user, cumulative over dashboard, API keys and tokens; past it all calls of that user are refused
# with 429 for the next five minutes (option --rate-limit QUOTA/SECONDS, or off).
RATE_LIMIT_QUOTA = 1200
RATE_LIMIT_WINDOW_SECONDS = 300.0
# CONFIRMED (https://developers.cloudflare.com/changelog/2025-09-03-rate-limiting-improvement/): every answer
# carries Ratelimit: "default";r=<remaining>;t=<seconds to reset> and Ratelimit-Policy: "<name>";q=<quota>;w=<window>,
# a 429 also retry-after (seconds, rounded up). UNCONFIRMED: the policy's name (the docs' example shows
# "burst" for Ratelimit-Policy and "default" for Ratelimit; the emulator names its one policy "default").
RATE_LIMIT_POLICY_NAME = "default"
# UNCONFIRMED (our choice, not documented): a credential's window opens with its first call and is fixed (not
# sliding); the call past the quota is refused and starts a lock-out of one window, during which refused calls
# do not extend it; the first call after it opens a fresh window. Each token is one budget; a global key's
# budget is its e-mail's (the docs count per user, and the emulator cannot tell which tokens share a user).
RATE_LIMIT_WINDOW_MODEL = "fixed window from the first call; lock-out of one window from the refused call"

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
    rows = assumption_table()
    confirmed = [name for name, _, comment in rows if comment.startswith("CONFIRMED")]
    open_ = [name for name, _, comment in rows if not comment.startswith("CONFIRMED")]
    partly = [name for name, _, comment in rows if comment.startswith("CONFIRMED") and "UNCONFIRMED" in comment]
    out = [
        f"{len(rows)} constants: {len(confirmed)} CONFIRMED by a public source ({len(partly)} of them with an "
        f"UNCONFIRMED part), {len(open_)} UNCONFIRMED (the emulator's choice).",
        "",
        "Still open (UNCONFIRMED, or CONFIRMED only in part): "
        + ", ".join(f"`{name}`" for name in open_ + partly)
        + ".",
        "",
        "| constant | value | status and source |",
        "|---|---|---|",
    ]
    for name, value, comment in rows:
        shown, said = value.replace("|", "\\|"), comment.replace("|", "\\|")
        out.append(f"| `{name}` | `{shown}` | {said} |")
    return "\n".join(out)


def render_docs(current: str) -> str:
    """The document with its generated assumptions section replaced by the current one."""
    return replace_generated_section(current, _DOC_BEGIN, _DOC_END, _markdown_rows())


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
