"""N dynamic resources, each with P string properties (so N x (P + 4) outputs), whose provider takes createMs (50)
per create.
At exit the program's CPU seconds go to the file named by $PROGRAM_CPU_FILE. With config ``linear: true`` the
SDK's wait for pending outputs is replaced by the drain proposed upstream (from outside, before any resource)."""

import asyncio
import atexit
import os
import pickle
import time
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider
from pulumi.runtime import stack
from pulumi.runtime.settings import SETTINGS

config = pulumi.Config()


class Slow(ResourceProvider):
    """Takes ``create_ms`` per create, as a cloud API does: the resources complete one at a time."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        time.sleep(float(props["create_ms"]) / 1000)
        return CreateResult(id_=props["label"], outs=props)


class Thing(Resource, module="repro", name="Thing"):
    pass


async def drain_outputs() -> None:
    """The proposed drain (see wait_for_rpcs_quadratic.py)."""
    completed: asyncio.Queue[asyncio.Future[Any]] = asyncio.Queue()
    watched = 0
    while True:
        with SETTINGS.lock:
            new = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        for task in new:
            task.add_done_callback(completed.put_nowait)
        watched += len(new)
        if not watched:
            return
        done = await completed.get()
        watched -= 1
        await done


sdk_wait_for_rpcs = stack.wait_for_rpcs


async def linear_wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    while True:
        await sdk_wait_for_rpcs(await_all_outstanding_tasks=False)
        if not await_all_outstanding_tasks:
            return
        await drain_outputs()
        if not SETTINGS.rpc_manager.rpcs:
            return


if config.get_bool("linear"):
    stack.wait_for_rpcs = linear_wait_for_rpcs


def write_cpu_seconds(path: str) -> None:
    Path(path).write_text(f"{time.process_time():.2f}\n")


if "PROGRAM_CPU_FILE" in os.environ:
    atexit.register(write_cpu_seconds, os.environ["PROGRAM_CPU_FILE"])

# serialize_provider leaves a wrapper around the pickler at each call and fails after a few hundred resources
# (docs/upstream/serialize-provider-recursion.md): the pickler's methods are put back after each resource.
pickler_methods = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict  # type: ignore[attr-defined]
provider = Slow()
create_ms = config.get_float("createMs") or 50.0
first = Thing(provider, "first", {"label": "first", "create_ms": create_ms})
for index in range(config.require_int("n")):
    props = {f"p{p}": f"value {p} of resource {index}" for p in range(config.get_int("props") or 10)}
    Thing(provider, f"r{index}", {"label": f"r{index}", "create_ms": create_ms, "first": first.id, **props})
    pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = pickler_methods  # type: ignore[attr-defined]
