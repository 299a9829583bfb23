"""``cfmtls confirm-assumptions``: check the emulator's UNCONFIRMED assumptions against a real account.

Every choice the emulator makes where no public source settles Cloudflare's behaviour is a constant of
:mod:`cfmtls_provider.emulator.assumptions` marked UNCONFIRMED. Given credentials and a scratch zone, this sends the
requests that show Cloudflare's answer (:mod:`.read_only` only reads; :mod:`.certificate_probes` uploads a throwaway
CA and writes its hostnames; :mod:`.ruleset_probes` adds one disabled rule), removes everything it made
(:class:`.scratch.Scratch`), and says of each assumption: confirmed, refuted or not checked, with the evidence.
Against the emulator every assumption it checks comes out confirmed (tests/cli/test_confirm_assumptions.py).
"""

from __future__ import annotations

from .run import Confirmation, confirm_assumptions, unconfirmed_assumptions
from .verdict import Outcome
from .wire import ConfirmError, Wire

__all__ = ["ConfirmError", "Confirmation", "Outcome", "Wire", "confirm_assumptions", "unconfirmed_assumptions"]
