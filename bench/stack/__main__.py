"""Benchmark stack: `cas` CAs, `zones` zones split across them, `hosts` hostnames per zone, one association per zone
(each owning its rule)."""

from pathlib import Path

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
ca_dir = Path(config.require("caDir"))
cas = config.require_int("cas")
zones = config.require_int("zones")
hosts = config.require_int("hosts")
extra = config.get("extraHost") or ""
one_account = config.get_bool("oneAccount") or False  # all CAs in CLOUDFLARE_ACCOUNT_ID's account instead


def account_of(ca: int) -> str:
    """One account per CA: an account holds at most 5 CAs, and a rotation uploads the new CA before it
    deletes the old one, so a CA can only be rotated in an account with room for one more."""
    return f"{0xBE0C0000 + ca:032x}"


certificates = [
    MTLSCertificate(
        f"ca-{i}",
        certificates=(ca_dir / f"ca-{i}.pem").read_text(),
        name=f"bench-ca-{i}",
        account_id=None if one_account else account_of(i),
    )
    for i in range(cas)
]
for z in range(zones):
    names = [f"h{h}.z{z}.example.com" for h in range(hosts)] + ([f"{extra}.z{z}.example.com"] if extra else [])
    HostnameAssociation(f"hosts-{z}", zone_id=f"{z:032x}", certificate=certificates[z % cas], hostnames=names)
