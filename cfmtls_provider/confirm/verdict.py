"""What the command says of each assumption: confirmed, refuted or not checked, with the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..emulator.assumptions import ErrorSpec
from .wire import Reply

__all__ = ["Outcome", "Verdict", "as_expected", "confirmed_if", "expect_error", "not_checked"]

Verdict = Literal["confirmed", "refuted", "not checked"]


@dataclass(frozen=True)
class Outcome:
    """The verdict on one assumption (a constant of ``cfmtls_provider/emulator/assumptions.py``)."""

    name: str
    verdict: Verdict
    evidence: str


def not_checked(name: str, why: str) -> Outcome:
    return Outcome(name, "not checked", why)


def confirmed_if(name: str, holds: bool, evidence: str) -> Outcome:
    return Outcome(name, "confirmed" if holds else "refuted", evidence)


def _prefix(spec: ErrorSpec) -> str:
    """The fixed start of the spec's message (before any placeholder), the part Cloudflare's wording must share."""
    return spec.message.split("{", 1)[0].rstrip(" :'\"")


def as_expected(reply: Reply, spec: ErrorSpec) -> bool:
    """Whether an answer is the refusal ``spec`` describes: its status, its code, its message's fixed start."""
    prefix = _prefix(spec).lower()
    worded = not prefix or any(message.lower().startswith(prefix) for message in reply.messages)
    return reply.status == spec.status and spec.code in reply.codes and worded


def expect_error(name: str, what: str, reply: Reply, spec: ErrorSpec) -> Outcome:
    """Confirmed when ``reply`` (to the request ``what`` describes) is the refusal ``spec`` says."""
    evidence = f"{what}: {reply.said()}"
    if as_expected(reply, spec):
        return Outcome(name, "confirmed", evidence)
    expected = f"HTTP {spec.status}, {spec.code}" + (f" {_prefix(spec)!r}..." if _prefix(spec) else "")
    return Outcome(name, "refuted", f"{evidence}; the emulator answers {expected}")
