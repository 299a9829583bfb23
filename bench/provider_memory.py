"""The peak memory of a stack's provider process (``python -m pulumi.dynamic``) while a command runs."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

__all__ = ["ProviderMemory"]


def _peak_rss_kib(pid: str) -> int:
    """VmHWM: the process's peak resident set so far (kB), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class ProviderMemory:
    """Polls /proc for provider processes of the stack whose PULUMI_HOME is ``pulumi_home`` (Linux only)."""

    def __init__(self, pulumi_home: str, interval: float = 0.2) -> None:
        self._marker = f"PULUMI_HOME={pulumi_home}".encode()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bench-provider-memory", daemon=True)
        self.peak_kib = 0

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    if b"pulumi.dynamic" not in (proc / "cmdline").read_bytes():
                        continue
                    if self._marker not in (proc / "environ").read_bytes():
                        continue
                except OSError:
                    continue
                self.peak_kib = max(self.peak_kib, _peak_rss_kib(proc.name))

    @property
    def peak_mib(self) -> float | None:
        return round(self.peak_kib / 1024, 1) if self.peak_kib else None

    def __enter__(self) -> ProviderMemory:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
