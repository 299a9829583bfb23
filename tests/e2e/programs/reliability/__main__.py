"""The reliability suite's stack: several CAs, several zones, a dozen hostnames, one association (and so one rule)
per zone.

Config (see tests/e2e/test_reliability_faults.py):
  caPemPaths  ["/path/ca-0.pem", ...]                     one MTLSCertificate per entry; change a path to rotate
  zones       [{"id": "<32 hex>", "ca": 0, "hostnames": [...]}, ...]
  caKeyPaths  {"0": "/path/ca-0.key"}                     optional: MTLSCertificate(private_key=...) for that CA
  deleteBeforeReplace  [0]                                optional: these CAs are replaced delete-first
"""

from pathlib import Path
from typing import TypedDict

import pulumi

from cfmtls_provider import HostnameAssociation, MTLSCertificate


class Zone(TypedDict):
    id: str
    ca: int
    hostnames: list[str]


config = pulumi.Config()
ca_paths: list[str] = config.require_object("caPemPaths")
zones: list[Zone] = config.require_object("zones")
key_paths: dict[str, str] = config.get_object("caKeyPaths") or {}
delete_first: list[int] = config.get_object("deleteBeforeReplace") or []

cas = []
for index, pem_path in enumerate(ca_paths):
    key_path = key_paths.get(str(index))
    cas.append(
        MTLSCertificate(
            f"ca-{index}",
            certificates=Path(pem_path).read_text(),
            name=f"reliability-ca-{index}",
            private_key=pulumi.Output.secret(Path(key_path).read_text()) if key_path else None,
            opts=pulumi.ResourceOptions(delete_before_replace=True) if index in delete_first else None,
        )
    )

for position, zone in enumerate(zones):
    hosts = HostnameAssociation(
        f"hosts-{position}", zone_id=zone["id"], certificate=cas[zone["ca"]], hostnames=zone["hostnames"]
    )
    pulumi.export(f"ruleId{position}", hosts.rule_id)

pulumi.export("certificateIds", [ca.id for ca in cas])
