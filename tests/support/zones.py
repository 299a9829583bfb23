"""The zones the tests' emulators declare (Cloudflare zones have an id, a domain and an account)."""

from __future__ import annotations

from cfmtls_provider.emulator.config import EmulatorConfig, Zone

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "11111111111111111111111111111111"
ZONE = "fedcba9876543210fedcba9876543210"  # example.com
ZONE_ORG = "abcdefabcdefabcdefabcdefabcdefab"  # example.org
ZONE_OF_OTHER_ACCOUNT = "22222222222222222222222222222222"  # example.net, of OTHER_ACCOUNT

TEST_ZONES: dict[str, Zone] = EmulatorConfig.zone_map(
    f"{ZONE}=example.com@{ACCOUNT}",
    f"{ZONE_ORG}=example.org@{ACCOUNT}",
    f"{'1' * 32}=example.com@{ACCOUNT}",
    f"{'d4' * 16}=full.example@{ACCOUNT}",  # tests/e2e/test_full_account_rotation.py
    f"{'a1' * 16}=alpha.example@{ACCOUNT}",  # tests/e2e/test_reliability_faults.py
    f"{'b2' * 16}=beta.example@{ACCOUNT}",
    f"{'c3' * 16}=gamma.example@{ACCOUNT}",
    f"{ZONE_OF_OTHER_ACCOUNT}=example.net@{OTHER_ACCOUNT}",
    *(f"{index:032x}=example.com@{ACCOUNT}" for index in range(1, 33)),
)
