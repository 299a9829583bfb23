"""The reliability program (tests/e2e/programs/reliability): its folder, its project and the zones and hostnames
the fault suite declares in it (zones of tests/support/zones.py: alpha, beta and gamma.example)."""

from __future__ import annotations

from pathlib import Path

PROGRAM = Path(__file__).parent / "programs" / "reliability"
PROJECT = "cfmtls-reliability"
ZONES = ["a1" * 16, "b2" * 16, "c3" * 16]
HOSTNAMES = [
    ["api.alpha.example", "admin.alpha.example", "*.svc.alpha.example", "login.alpha.example"],
    ["api.beta.example", "admin.beta.example", "pay.beta.example", "status.beta.example"],
    ["api.gamma.example", "admin.gamma.example", "*.edge.gamma.example", "vpn.gamma.example"],
]
