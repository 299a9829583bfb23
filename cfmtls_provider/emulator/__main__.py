"""``python -m cfmtls_provider.emulator``: serve the local Cloudflare API until interrupted.

Prints ``cfmtls emulator listening on http://HOST:PORT/client/v4`` (flushed) once it accepts connections.
See docs/emulator.md for every option.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

#: The modules the emulator extra installs (pyproject.toml, [project.optional-dependencies] emulator).
_EXTRA_MODULES = frozenset({"starlette", "uvicorn", "OpenSSL", "h11"})

try:
    from . import assumptions as cf
    from .budget import RateLimit
    from .config import EmulatorConfig, parse_global_key, parse_managed_certificate, parse_token, parse_zone
    from .faults import FaultRule, FaultSpecError
    from .server import EmulatorServer
    from .store import StateFileError
except ModuleNotFoundError as missing:  # the package without its [emulator] extra
    if (missing.name or "").split(".")[0] not in _EXTRA_MODULES:
        raise
    sys.exit(
        f"The emulator needs the package's 'emulator' extra ({missing.name} is not installed): "
        "pip install 'cfmtls-provider[emulator]' (or 'cfmtls-provider[emulator] @ <path or git URL>')."
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cfmtls_provider.emulator",
        description="A local emulator of Cloudflare's v4 API for 'bring your own CA for mTLS'.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port (default 8787)")
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN[=SCOPES]",
        help=f"an accepted API token, optionally with comma-separated scopes ({', '.join(cf.SCOPES)}); "
        f"repeatable; default: {cf.DEFAULT_TOKEN} with every scope",
    )
    parser.add_argument(
        "--global-key", action="append", default=[], metavar="EMAIL:KEY", help="accepted X-Auth-Email + X-Auth-Key"
    )
    parser.add_argument(
        "--zone",
        action="append",
        default=[],
        metavar="ZONE_ID=DOMAIN@ACCOUNT_ID",
        help="a zone the API serves: its id, its domain (e.g. example.com) and its account; repeatable. "
        "Calls on any other zone answer 7003, as Cloudflare does for an unknown zone",
    )
    parser.add_argument(
        "--managed-certificate",
        action="append",
        default=[],
        metavar="ACCOUNT_ID:TYPE",
        help="give the account a Cloudflare-managed certificate (TYPE gateway_managed or access_managed); repeatable",
    )
    parser.add_argument(
        "--non-enterprise-account",
        action="append",
        default=[],
        metavar="ACCOUNT_ID",
        help="refuse mTLS certificate uploads to this account, as for a non-Enterprise plan",
    )
    parser.add_argument("--state-file", type=Path, help="load the state from, and save it after each change to, this")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every API answer by N ms")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="METHOD:PATHGLOB:ACTION[=VALUE][:key=value]..."
    )
    parser.add_argument(
        "--association-lag-seconds",
        type=float,
        default=cf.DEFAULT_ASSOCIATION_LAG_SECONDS,
        help="how long a CA still counts as in use after its hostname list is emptied",
    )
    parser.add_argument(
        "--edge-port",
        type=int,
        metavar="PORT",
        help="also serve the mTLS edge: HTTPS for any hostname on this port (0: a free one), enforcing the "
        "hostname associations and custom rules the API built (docs/emulator.md)",
    )
    parser.add_argument(
        "--edge-ca-file",
        type=Path,
        metavar="PATH",
        help="where to write the edge CA certificate for clients (default: edge-ca.pem beside --state-file, "
        "else in a temporary directory); also served at /__emulator__/edge-ca",
    )
    parser.add_argument(
        "--edge-multiple-cas",
        choices=("newest", "any"),
        default=cf.EDGE_MULTIPLE_CAS,
        help="with several uploaded CAs on one hostname, verify against the most recently deployed one "
        "(newest, Cloudflare's documented priority) or against any of them",
    )
    parser.add_argument(
        "--rate-limit",
        default=f"{cf.RATE_LIMIT_QUOTA}/{cf.RATE_LIMIT_WINDOW_SECONDS:g}",
        metavar="QUOTA/SECONDS",
        help="API calls each credential may make per window, then a lock-out of one window (429, code 971); "
        f"'off' for none (default {cf.RATE_LIMIT_QUOTA}/{cf.RATE_LIMIT_WINDOW_SECONDS:g}, Cloudflare's)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="run the rate limit's windows FACTOR times faster (10: 1200/300 behaves as 1200 per 30 s)",
    )
    return parser


def _config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> EmulatorConfig:
    try:
        tokens = dict(parse_token(spec) for spec in args.token)
        global_keys = dict(parse_global_key(spec) for spec in args.global_key)
        zones = EmulatorConfig.zone_map(*(parse_zone(spec) for spec in args.zone))
        managed = tuple(parse_managed_certificate(spec) for spec in args.managed_certificate)
        if not math.isfinite(args.time_scale) or args.time_scale <= 0:
            raise ValueError(f"--time-scale {args.time_scale:g}: it must be above 0 (1 is real time)")
        rate_limit = RateLimit.parse(args.rate_limit, time_scale=args.time_scale)
    except ValueError as exc:
        parser.error(str(exc))
    if not math.isfinite(args.association_lag_seconds) or args.association_lag_seconds < 0:
        parser.error("--association-lag-seconds must be a number >= 0")
    if not math.isfinite(args.latency_ms) or args.latency_ms < 0:
        parser.error("--latency-ms must be a number >= 0")
    common = {
        "zones": zones,
        "managed_certificates": managed,
        "non_enterprise_accounts": frozenset(args.non_enterprise_account),
        "latency_ms": args.latency_ms,
        "association_lag_seconds": args.association_lag_seconds,
        "rate_limit": rate_limit,
    }
    if not tokens and not global_keys:
        return EmulatorConfig(**common)
    return EmulatorConfig(tokens=tokens, global_keys=global_keys, **common)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = _config(args, parser)
    try:
        faults = [FaultRule.parse(spec) for spec in args.fault]
    except FaultSpecError as exc:
        parser.error(str(exc))
    try:
        edge_ca_file = args.edge_ca_file
        if edge_ca_file is None and args.state_file is not None:
            edge_ca_file = args.state_file.parent / "edge-ca.pem"
        server = EmulatorServer(
            config,
            host=args.host,
            port=args.port,
            state_file=args.state_file,
            faults=faults,
            edge_port=args.edge_port,
            edge_ca_file=edge_ca_file,
            edge_multiple_cas=args.edge_multiple_cas,
        )
    except StateFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"cfmtls emulator listening on {server.base_url}", flush=True)
    if args.edge_port is not None:
        print(f"cfmtls edge listening on {server.edge.url} (edge CA: {server.edge.ca_file})", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
