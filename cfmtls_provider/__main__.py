"""``python -m cfmtls_provider``: the ``cfmtls`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
