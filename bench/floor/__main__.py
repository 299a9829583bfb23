"""The engine floor: the benchmark stack's graph with dynamic providers that make no API call."""

from pathlib import Path

import pulumi
from bench_floor_providers import Instant

config = pulumi.Config()
ca_dir = Path(config.require("caDir"))
cas = config.require_int("cas")
zones = config.require_int("zones")
hosts = config.require_int("hosts")
extra = config.get("extraHost") or ""

certificates = [Instant(f"ca-{i}", {"pem": (ca_dir / f"ca-{i}.pem").read_text()}) for i in range(cas)]
for z in range(zones):
    names = [f"h{h}.z{z}.example.com" for h in range(hosts)] + ([f"{extra}.z{z}.example.com"] if extra else [])
    Instant(f"hosts-{z}", {"ca": certificates[z % cas].id, "hostnames": names})
