"""The timestamps the emulator writes (``uploaded_on``, ``last_updated``...)."""

from __future__ import annotations

from datetime import UTC, datetime

from .. import assumptions as cf

__all__ = ["timestamp"]


def timestamp(moment: datetime | None = None) -> str:
    """An RFC 3339 UTC timestamp with a 'Z' suffix."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime(cf.TIMESTAMP_FORMAT)
