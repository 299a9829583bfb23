"""``python -m cfmtls_provider.emulator.summary BASE_URL``: what a running emulator holds, for people."""

from __future__ import annotations

import sys
from typing import Any

from .admin_client import EmulatorAdmin

__all__ = ["render"]


def render(state: dict[str, Any]) -> str:
    lines = []
    certificates = state.get("certificates") or []
    lines.append(f"CA certificates ({len(certificates)}):")
    for cert in certificates:
        lines.append(
            f"  {cert['id']}  name={cert.get('name') or '-'}  account={cert['account_id']}  "
            f"signature={cert.get('signature')}  expires={cert.get('expires_on')}"
        )
    associations = state.get("associations") or {}
    lines.append("Hostname associations:")
    for zone_id, by_certificate in sorted(associations.items()):
        for certificate_id, hostnames in sorted(by_certificate.items()):
            if hostnames:
                lines.append(f"  zone {zone_id} / CA {certificate_id}: {', '.join(hostnames)}")
    rulesets = state.get("rulesets") or []
    lines.append("WAF custom rules:")
    for ruleset in rulesets:
        for rule in ruleset.get("rules") or []:
            lines.append(
                f"  zone {ruleset.get('zone_id')}: [{rule['action']}] {rule['expression']}  (ref {rule.get('ref')})"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m cfmtls_provider.emulator.summary http://HOST:PORT/client/v4")
    try:
        admin = EmulatorAdmin.from_base_url(args[0], timeout=10)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    with admin:
        print(render(admin.state()))


if __name__ == "__main__":
    main()
