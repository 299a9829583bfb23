"""Program side: rules of one program that pin the same hostname to different CAs.

Each pinned ``ClientCertificateRule`` blocks a request unless its client certificate was issued by its CA, so two
rules pinning one hostname to two CAs block every request to it. Cloudflare evaluates every custom rule; nothing
is wrong with either rule alone, so this is a warning at preview, naming both rules, both CAs and the hostnames.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PinnedRule", "conflicting_pins"]


@dataclass(frozen=True)
class PinnedRule:
    name: str
    zone_id: str
    hostnames: tuple[str, ...]
    issuer_ski: str


_SEEN: list[PinnedRule] = []
_LOCK = threading.Lock()


def _covers(pattern: str, hostname: str) -> bool:
    """The rule expression's matching: a name exactly, ``*.example.com`` any name ending in ``.example.com``."""
    return pattern == hostname or (pattern.startswith("*.") and hostname.endswith(pattern[1:]))


def _shared(a: Sequence[str], b: Sequence[str]) -> list[str]:
    return sorted({name for x in a for y in b if _covers(x, y) or _covers(y, x) for name in (x, y)})


def conflicting_pins(rule: PinnedRule) -> list[str]:
    """Record ``rule``; a sentence for each rule seen before that pins one of its hostnames to another CA."""
    with _LOCK:
        others = [seen for seen in _SEEN if seen.name != rule.name]
        _SEEN.append(rule)
    warnings = []
    for other in others:
        shared = _shared(rule.hostnames, other.hostnames)
        if other.zone_id != rule.zone_id or other.issuer_ski == rule.issuer_ski or not shared:
            continue
        warnings.append(
            f"ClientCertificateRule {rule.name!r} pins {', '.join(shared)} (zone {rule.zone_id}) to the CA with SKI "
            f"{rule.issuer_ski}, and {other.name!r} pins them to the CA with SKI {other.issuer_ski}: a request must "
            "pass both rules, so every request to those hostnames will be blocked. To run two CAs side by side, "
            "give the shared hostnames one rule (see 'Two CAs on the same hostnames' in the README)."
        )
    return warnings
