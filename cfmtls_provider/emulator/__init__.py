"""A local emulator of Cloudflare's v4 API for "bring your own CA for mTLS" (see docs/emulator.md).

``EmulatorServer`` and ``EmulatorConfig`` are imported lazily, so reading :mod:`.assumptions` needs
neither Starlette nor uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import EmulatorConfig
    from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]


def __getattr__(name: str) -> Any:
    if name == "EmulatorServer":
        from .server import EmulatorServer

        return EmulatorServer
    if name == "EmulatorConfig":
        from .config import EmulatorConfig

        return EmulatorConfig
    raise AttributeError(name)
