"""What the emulator's two listeners share: run on a thread from ``start()`` to ``stop()``, as a context manager."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["BackgroundServer"]


class BackgroundServer(ABC):
    """A server on ``host:port`` (``port`` is the bound one once started) run by a background thread."""

    host: str
    port: int

    @abstractmethod
    def start(self) -> Self:
        """Listen and serve; returns at once (the socket is bound) and does nothing when already started."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and release the socket; does nothing when not started."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _url(self, scheme: str) -> str:
        """``scheme://host:port``, an IPv6 address in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"
