"""The ``cfmtls`` command (also ``python -m cfmtls_provider``): ``inventory`` and ``check-client``.

Its dependencies (rich, the HTTP client) are imported only when the command runs, never by
``import cfmtls_provider`` or a ``pulumi preview``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    from .app import main as run

    return run(argv)
