"""The private hook into ``python -m pulumi.dynamic`` that keeps tracebacks out of users' messages.

``_UserFacingTracebacks`` (cfmtls_provider/resources/_base.py) replaces the ``traceback`` module that the
server's ``_abort_with_traceback`` calls (pulumi 3.260.0 and later). The server module runs ``main()`` when
imported, so its source is read, not imported: if an SDK upgrade renames or drops the function, these tests
fail before users see Python stacks again. tests/grpc/test_provider_server.py proves it on the running server.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from cfmtls_provider.resources import _base
from cfmtls_provider.resources._base import ProviderError, _install_server_shims, _UserFacingTracebacks

PROVIDER_METHODS = {"Check", "Diff", "Create", "Read", "Update", "Delete"}


def server_source() -> ast.Module:
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def test_the_installed_sdk_reports_provider_errors_through_traceback_format_exc() -> None:
    tree = server_source()
    imports = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    assert "traceback" in imports, "pulumi.dynamic's server no longer imports traceback: revisit _UserFacingTracebacks"
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "_abort_with_traceback" in functions, "pulumi.dynamic's server has no _abort_with_traceback any more"
    calls = [
        ast.unparse(node.func) for node in ast.walk(functions["_abort_with_traceback"]) if isinstance(node, ast.Call)
    ]
    assert "traceback.format_exc" in calls
    servicer = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "DynamicResourceProviderServicer"
    )
    wrapped = {
        method.name
        for method in servicer.body
        if isinstance(method, ast.FunctionDef)
        and any(ast.unparse(decorator) == "_abort_with_traceback" for decorator in method.decorator_list)
    }
    assert wrapped >= PROVIDER_METHODS


def abort_with_traceback(fn: Callable[[], None], server: types.ModuleType) -> str:
    """What the SDK's ``_abort_with_traceback`` does with an exception, with the server's ``traceback``."""

    class Aborted(Exception):
        pass

    class Context:
        details = ""

        def abort(self, code: grpc.StatusCode, details: str) -> None:
            self.details = details
            raise Aborted

    context = Context()
    with pytest.raises(Aborted):
        try:
            fn()
        except Exception:
            context.abort(grpc.StatusCode.UNKNOWN, server.traceback.format_exc())
    return context.details


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A ``__main__`` that looks like pulumi.dynamic's server (the watchdog is not started in the test process)."""
    server = types.ModuleType("__main__")
    monkeypatch.setattr(server, "DynamicResourceProviderServicer", object, raising=False)
    monkeypatch.setattr(server, "traceback", traceback, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", server)
    monkeypatch.setattr(_base, "start_engine_watchdog", lambda: None)
    return server


def test_inside_the_server_a_provider_error_is_reported_as_its_message_alone(fake_server: types.ModuleType) -> None:
    _install_server_shims()
    assert isinstance(fake_server.traceback, _UserFacingTracebacks)

    def refuse() -> None:
        raise ProviderError("Uploading the CA certificate failed: it expired. Renew it.")

    assert abort_with_traceback(refuse, fake_server) == "Uploading the CA certificate failed: it expired. Renew it."


def test_any_other_exception_keeps_its_traceback_for_the_bug_report(fake_server: types.ModuleType) -> None:
    _install_server_shims()

    def bug() -> None:
        raise KeyError("id")

    details = abort_with_traceback(bug, fake_server)
    assert details.startswith("Traceback (most recent call last):")
    assert "KeyError: 'id'" in details


def test_outside_the_server_nothing_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    program = types.ModuleType("__main__")
    monkeypatch.setattr(program, "traceback", traceback, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", program)
    started: list[Any] = []
    monkeypatch.setattr(_base, "start_engine_watchdog", lambda: started.append(True))
    _install_server_shims()
    assert program.traceback is traceback
    assert started == []
