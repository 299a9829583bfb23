"""What every provider in this package shares: settings from ``configure``, one lazily built client, and
input helpers that let unknown values through (errors users read: :mod:`._errors`).

Provider objects are pickled into state (by reference, since they live in this package). They hold
no state of their own in the pickle: ``__getstate__`` drops the runtime settings and client, so no
credential can ever reach the state file.
"""

from __future__ import annotations

import pickle
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from .. import provider_process
from ..settings import ProviderSettings, SettingsError
from ._errors import ProviderError

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = [
    "CloudflareProvider",
    "ProviderError",
    "differs",
    "has_unknown",
    "is_unknown",
    "refuse_import",
    "require_id",
    "same_items",
    "sdk_pickler_restored",
]


@contextmanager
def sdk_pickler_restored() -> Iterator[None]:
    """Around ``pulumi.dynamic.Resource.__init__`` (the program's process): put back the two pickler methods that the
    SDK's ``serialize_provider`` replaces and, up to pulumi 3.272, never restores.

    Every call of it wraps ``pickle._Pickler._batch_setitems`` in a new sorting closure around the previous one (and
    replaces ``save_dict``), and its ``try/finally`` puts back ``pickle.Pickler`` only, so the 973rd dynamic resource
    of a program fails with RecursionError. This restores both in a ``finally`` of its own, as the SDK's v3.274.1
    source does in its: docs/upstream/serialize-provider-recursion.md (a standalone reproduction, and the upstream
    status). Scoped to this package's own resources; pickling elsewhere, and other packages' resources, are left
    as the SDK leaves them."""
    pickler: Any = pickle._Pickler
    saved = pickler._batch_setitems, pickler.save_dict
    try:
        yield
    finally:
        pickler._batch_setitems, pickler.save_dict = saved


ADOPT_INSTEAD = "set adopt_existing=True on it instead: the next 'pulumi up' takes the existing object into the stack"


def refuse_import(kind: str, resource_name: str, opts: pulumi.ResourceOptions | None, instead: str) -> None:
    """Pulumi cannot import a dynamic resource (the engine reads it without its provider and fails with
    ``KeyError: '__provider'``): say so in the program, before the engine is asked to, and say what works."""
    if opts is not None and opts.import_:
        raise pulumi.RunError(
            f"{kind} {resource_name!r}: opts=ResourceOptions(import_={opts.import_!r}) cannot work: Pulumi does "
            f"not import dynamic resources, and this package's resources are dynamic. Remove import_ and {instead}."
        )


def is_unknown(value: object) -> bool:
    """True for a value Pulumi does not know yet (a preview of something not yet created)."""
    return isinstance(value, Unknown)


def has_unknown(value: object) -> bool:
    """True when the value, or any element nested in it, is not known yet.

    At preview, any input may be unknown, and so may any element of a list or map (a hostname taken from
    another resource's output). Code that inspects an input looks here first, and plans around the value.
    """
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(has_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(item) for item in value)
    return False


def same_items(a: object, b: object) -> bool:
    """Two lists holding the same items in any order (hostname lists: Cloudflare keeps no order)."""
    return isinstance(a, list) and isinstance(b, list) and sorted(map(str, a)) == sorted(map(str, b))


def differs(old: object, new: object) -> bool:
    """Whether a planned value may differ from the recorded one: an unknown value may."""
    return has_unknown(new) or old != new


def require_id(
    inputs: Mapping[str, Any], key: str, what: str, failures: list[CheckFailure], *, pattern: re.Pattern[str] | None
) -> None:
    value = inputs.get(key)
    if is_unknown(value):
        return
    if not isinstance(value, str) or not value.strip():
        failures.append(CheckFailure(key, f"{key} is required: the {what}."))
        return
    if pattern is not None and not pattern.match(value):
        failures.append(
            CheckFailure(
                key,
                f"{key} {value!r} is not a Cloudflare id: expected 32 lower-case hex characters "
                f"(the {what}, shown in the dashboard's Overview page and in its URL).",
            )
        )


class CloudflareProvider(ResourceProvider):
    """Base of the three providers: settings come from ``configure`` (stack config) or the environment."""

    # The pickle holds the class and an empty state (``__getstate__``): no secret, so it is stored in clear. The
    # SDK still makes it a secret if a secret Output were captured while pickling (pulumi/dynamic/dynamic.py).
    # In clear it takes 150 bytes instead of 330 in the inputs and again in the outputs of every resource, and
    # the engine does not encrypt it at every checkpoint (docs/benchmarks.md, "State per resource").
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        """The server calls this on one of its workers, before any other method: the one place that installs the
        provider process's patches (:mod:`cfmtls_provider.provider_process`; once per process, nothing outside it),
        before the settings are read, so that a refusal of them is shown as its sentence too."""
        try:
            settings, refused = ProviderSettings.resolve(req.config.get), ""
        except SettingsError as error:
            settings, refused = ProviderSettings(credentials=None), str(error)
        provider_process.install(server_workers=settings.server_workers, user_errors=(ProviderError,))
        if refused:
            raise ProviderError(refused)
        self.__dict__["_settings"] = settings

    @property
    def settings(self) -> ProviderSettings:
        settings = self.__dict__.get("_settings")
        if settings is None:
            try:
                settings = ProviderSettings.resolve(None)
            except SettingsError as error:
                raise ProviderError(str(error)) from None
            self.__dict__["_settings"] = settings
        assert isinstance(settings, ProviderSettings)
        return settings

    def client(self) -> CloudflareClient:
        """One client per provider process, built on first use (thread-safe: the server's workers share it)."""
        client = self.__dict__.get("_client")
        if client is None:
            lock = _CLIENT_LOCK
            with lock:
                client = self.__dict__.get("_client")
                if client is None:
                    settings = self.settings
                    try:
                        credentials = settings.require_credentials()
                    except SettingsError as error:
                        raise ProviderError(str(error)) from None
                    client = settings.client(credentials)
                    self.__dict__["_client"] = client
        return client


_CLIENT_LOCK = threading.Lock()
