"""``cfmtls``: argument parsing, settings, the client, and exit statuses. The work is in the sibling modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..client_auth import AssociatedCA, ClientCertificateError, load_certificates
from ..cloudflare.errors import CloudflareError
from ..cloudflare.models import Zone
from ..hostnames import canonical, covers, hostname_problems, in_domain
from ..settings import CLOUDFLARE_ID, ProviderSettings, SettingsError
from .check import check_client
from .findings import find
from .output import (
    check_json,
    confirmation_json,
    console,
    inventory_json,
    print_check,
    print_confirmation,
    print_inventory,
)
from .rules_file import RulesFileError, read_rules_file
from .survey import MANAGED_CA_ID, survey_account
from .terminal import printable

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["EXIT_ERROR_FINDING", "EXIT_USAGE", "main"]

EXIT_OK = 0
#: inventory: a finding of severity error; check-client: the client is refused.
EXIT_ERROR_FINDING = 1
#: Bad arguments, settings, files, or a failed API call.
EXIT_USAGE = 2
#: check-client: a rule could not be evaluated, so the verdict is not known.
EXIT_UNKNOWN = 3

EPILOG = """\
Settings are the provider's, from the environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and
CLOUDFLARE_API_KEY), CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_BASE_URL (the emulator), CFMTLS_TIMEOUT_SECONDS,
CFMTLS_MAX_RETRIES. inventory and check-client only read (GET); confirm-assumptions writes, in the scratch zone
you name, a throwaway CA's hostnames and one disabled rule, and removes all it made.
"""

CONFIRM_DESCRIPTION = """Check the emulator's UNCONFIRMED assumptions against your account: in the scratch zone ZONE it uploads a
throwaway CA (valid two days), tries the uploads and hostname lists Cloudflare should refuse, associates hostnames
of its own (*-cfmtls-confirm-<tag>.<zone's domain>), adds one disabled rule to the zone's custom rules, then removes
everything it made (a CA delete waits out Cloudflare's association lag). It refuses a zone that has hostname
associations it did not make, and an account with no free CA slot. With --read-only it only reads.
Token permissions: Account 'SSL and Certificates Write', Zone 'SSL and Certificates Write', Zone 'Zone WAF Write',
Zone 'Zone Read'. Exit status: 0 nothing refuted, 1 an assumption refuted, 2 usage or API error, or something
could not be removed (it is named).
"""


class UsageError(Exception):
    """A problem with the arguments, settings or files: one sentence, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one sentence (argparse prints the usage first) raised as UsageError."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see '{self.prog} --help'.")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cfmtls",
        description="See what Cloudflare's dashboard does not show about mTLS with your own CA.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inventory = commands.add_parser(
        "inventory",
        help="the account's CAs, each zone's hostname associations and client-certificate rules, and findings",
        description="Exit status: 0 no error finding, 1 at least one error finding, 2 usage or API error.",
    )
    inventory.add_argument("--account", metavar="ID", help="account id (default: CLOUDFLARE_ACCOUNT_ID)")
    inventory.add_argument(
        "--zone", metavar="ID", action="append", default=[], help="read only this zone (repeatable; default: all)"
    )
    inventory.add_argument("--json", action="store_true", help="print JSON instead of tables")
    check = commands.add_parser(
        "check-client",
        help="would Cloudflare accept this client certificate on this hostname, and why",
        description=(
            "Exit status: 0 allowed, 1 refused, 2 usage or API error, 3 cannot tell (a rule could not be "
            "evaluated). With --ca and --rules it runs offline."
        ),
    )
    check.add_argument(
        "--hostname",
        required=True,
        metavar="H",
        help="the Host as the client sends it (upper case and a trailing dot are kept for the rules, as Cloudflare's "
        "http.host keeps them; the CAs and the zone are found on the name in lower case without the dot)",
    )
    certificate = check.add_mutually_exclusive_group(required=True)
    certificate.add_argument("--cert", type=Path, metavar="FILE", help="the client certificate (PEM, leaf first)")
    certificate.add_argument("--no-cert", action="store_true", help="a client that presents no certificate")
    check.add_argument("--zone", metavar="ID", help="the hostname's zone (default: found from the account's zones)")
    check.add_argument("--account", metavar="ID", help="account id (default: CLOUDFLARE_ACCOUNT_ID)")
    check.add_argument("--path", default="/", help="the request path the rules see (default: /)")
    check.add_argument(
        "--ca",
        type=Path,
        action="append",
        metavar="FILE",
        help="a CA (PEM) associated with the hostname, instead of reading the associations (repeatable; "
        "the last one counts as the most recently deployed)",
    )
    check.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="the zone's custom rules instead of reading them: the entrypoint ruleset as JSON (the API answer, "
        "the ruleset or a list of rules), or a text file with one expression (action block)",
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of tables")
    confirm = commands.add_parser(
        "confirm-assumptions",
        help="check the emulator's UNCONFIRMED assumptions against your account, in a scratch zone",
        description=CONFIRM_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    confirm.add_argument("--zone", metavar="ID", required=True, help="the scratch zone (no hostname associations)")
    confirm.add_argument("--account", metavar="ID", help="account id (default: the zone's)")
    confirm.add_argument("--read-only", action="store_true", help="only the checks that read (GET)")
    confirm.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``cfmtls`` console script."""
    client: CloudflareClient | None = None
    try:
        args = _parser().parse_args(argv)
        _check_ids(args)
        if args.command == "inventory":
            client = _client(ProviderSettings.resolve())
            return _inventory(client, args)
        if args.command == "confirm-assumptions":
            return _confirm(args)
        return _check(args)
    except (UsageError, SettingsError, CloudflareError) as error:
        _say(str(error))
        return EXIT_USAGE
    except Exception as error:  # a bug: still one line, and never an exit status that reads as a verdict
        _say(f"internal error ({type(error).__name__}: {error}); please report it with the command line.")
        return EXIT_USAGE
    finally:
        if client is not None:
            client.close()


def _say(message: str) -> None:
    """One line on stderr; what it quotes from Cloudflare or from a file is made safe for a terminal."""
    print(f"cfmtls: {printable(message)}", file=sys.stderr, flush=True)


def _check_ids(args: argparse.Namespace) -> None:
    """Ids, hostname and path given on the command line, checked before anything is read."""
    zones = args.zone if isinstance(args.zone, list) else [args.zone] if args.zone else []
    for flag, value in [("--account", args.account), *(("--zone", zone) for zone in zones)]:
        if value is not None and not CLOUDFLARE_ID.match(value):
            raise UsageError(f"{flag} {value!r} is not a Cloudflare id: expected 32 lower-case hex characters.")
    if args.command == "check-client":
        _looked_up(str(args.hostname))
        if not args.path.startswith("/") or not args.path.isprintable():
            raise UsageError(f"--path {args.path!r} is not a request path: it starts with '/', e.g. /api/health.")


def _looked_up(host: str) -> str:
    """The name whose CAs and zone a request with ``Host: host`` gets (:func:`~cfmtls_provider.hostnames.canonical`),
    or a UsageError saying what is wrong with ``host``."""
    name = canonical(host)
    if name.endswith("."):
        problems = [f"{host!r} ends with more than one dot; a client sends at most one"]
    elif "*" in name:
        problems = [f"{host!r} is a wildcard; give a hostname a client sends, e.g. 'api.example.com'"]
    else:
        problems = hostname_problems([name])
    if problems:
        raise UsageError(f"--hostname: {problems[0]}.")
    return name


def _client(settings: ProviderSettings) -> CloudflareClient:
    if settings.credentials is None:
        raise UsageError(
            "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (a token with Account 'SSL and Certificates "
            "Read', Zone 'SSL and Certificates Read' and Zone 'Zone WAF Read' is enough: cfmtls only reads)."
        )
    return settings.client(
        settings.credentials, user_agent="cfmtls-provider cli", base_url_setting="CLOUDFLARE_BASE_URL"
    )


def _account(args: argparse.Namespace, settings: ProviderSettings) -> str:
    account = args.account or settings.account_id
    if not account:
        raise UsageError("no account: pass --account ID or set CLOUDFLARE_ACCOUNT_ID.")
    return str(account)


def _progress(index: int, total: int, name: str) -> None:
    if total > 1:
        _say(f"reading zone {index}/{total}: {name}")


def _inventory(client: CloudflareClient, args: argparse.Namespace) -> int:
    account = _account(args, ProviderSettings.resolve())
    survey = survey_account(client, account, args.zone, progress=_progress)
    now = datetime.now(UTC)
    findings = find(survey, now)
    if args.json:
        print(inventory_json(survey, findings, now))
    else:
        print_inventory(console(), survey, findings, now)
    return EXIT_ERROR_FINDING if any(finding.severity == "error" for finding in findings) else EXIT_OK


def _confirm(args: argparse.Namespace) -> int:
    from ..confirm import ConfirmError, Wire, confirm_assumptions  # the probes (and cryptography) only here

    settings = ProviderSettings.resolve()
    with _client(settings) as client:
        assert settings.credentials is not None  # _client refuses settings without
        wire = Wire(settings.base_url, settings.credentials, timeout=settings.timeout_seconds)
        try:
            result = confirm_assumptions(client, wire, args.zone, account_id=args.account, read_only=args.read_only)
        except ConfirmError as error:
            raise UsageError(str(error)) from None
        finally:
            wire.close()
    if args.json:
        print(confirmation_json(result))
    else:
        print_confirmation(console(), result)
    if result.left_behind:
        return EXIT_USAGE
    return EXIT_ERROR_FINDING if result.count("refuted") else EXIT_OK


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {what} {path}: {error.strerror or error}") from None


def _check(args: argparse.Namespace) -> int:
    host = str(args.hostname)
    hostname = _looked_up(host)
    chain = None
    try:
        if args.cert is not None:
            chain = load_certificates(_read(args.cert, "the client certificate"), what=f"--cert {args.cert}")
        offline_cas = [
            AssociatedCA(
                id=str(path),
                uploaded_on=f"{index:04d}",
                certificates=load_certificates(_read(path, "the CA"), what=f"--ca {path}"),
            )
            for index, path in enumerate(args.ca or [])
        ]
    except ClientCertificateError as error:
        raise UsageError(str(error)) from None
    rules = None
    if args.rules is not None:
        try:
            rules = read_rules_file(args.rules, _read(args.rules, "the rules file"))
        except RulesFileError as error:
            raise UsageError(str(error)) from None
    client: CloudflareClient | None = None
    try:
        if args.ca is None or rules is None:
            settings = ProviderSettings.resolve()
            client = _client(settings)
            zone_id = args.zone or _zone_of(client, _account(args, settings), hostname)
            if args.ca is None:
                offline_cas = _associated_cas(client, _account(args, settings), zone_id, hostname)
            if rules is None:
                ruleset = client.get_custom_rules_entrypoint(zone_id)
                rules = list(ruleset.rules) if ruleset is not None else []
    finally:
        if client is not None:
            client.close()
    result = check_client(host, chain, offline_cas, rules, path=args.path)
    if args.json:
        print(check_json(result))
    else:
        print_check(console(), result)
    return {"allowed": EXIT_OK, "refused": EXIT_ERROR_FINDING, "unknown": EXIT_UNKNOWN}[result.decision]


def _zone_of(client: CloudflareClient, account: str, hostname: str) -> str:
    zones: list[Zone] = client.list_zones(account)
    matching = [zone for zone in zones if in_domain(zone.name, hostname)]
    if not matching:
        raise UsageError(f"no zone of account {account} holds {hostname}; pass --zone ID.")
    longest = max(len(zone.name) for zone in matching)
    closest = [zone for zone in matching if len(zone.name) == longest]
    if len(closest) > 1:
        ids = ", ".join(zone.id for zone in closest)
        raise UsageError(f"several zones of account {account} are named {closest[0].name} ({ids}); pass --zone ID.")
    return closest[0].id


def _associated_cas(client: CloudflareClient, account: str, zone_id: str, hostname: str) -> list[AssociatedCA]:
    """The CAs whose association list in the zone covers ``hostname`` (the Managed CA's too)."""
    found: list[AssociatedCA] = []
    if any(covers(name, hostname) for name in client.get_managed_ca_hostnames(zone_id)):
        found.append(AssociatedCA(id=MANAGED_CA_ID, uploaded_on="", certificates=(), managed=True))
    for record in client.list_certificates(account):
        if not record.ca:
            continue
        if any(covers(name, hostname) for name in client.get_hostname_associations(zone_id, record.id)):
            try:
                certificates = load_certificates(record.certificates, what=f"CA {record.id}")
            except ClientCertificateError as error:
                raise UsageError(str(error)) from None
            found.append(AssociatedCA(id=record.id, uploaded_on=record.uploaded_on, certificates=certificates))
    return found
