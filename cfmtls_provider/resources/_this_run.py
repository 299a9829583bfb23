"""What this provider process uploaded in this run: one ``python -m pulumi.dynamic`` serves one Pulumi command.

A CA uploaded by this run has an id nobody else has seen yet, so no hostname list can exist for it until this
stack writes one: a ``HostnameAssociation`` created for it needs no read before its PUT (at 1000 resources,
a quarter of a create's API calls; see docs/benchmarks.md).
"""

from __future__ import annotations

import threading

__all__ = ["record_upload", "uploaded_this_run"]

_UPLOADED: set[str] = set()
_LOCK = threading.Lock()


def record_upload(certificate_id: str) -> None:
    """A CA this process uploaded (or recovered from its own interrupted upload, checked unused)."""
    with _LOCK:
        _UPLOADED.add(certificate_id)


def uploaded_this_run(certificate_id: str) -> bool:
    with _LOCK:
        return certificate_id in _UPLOADED
